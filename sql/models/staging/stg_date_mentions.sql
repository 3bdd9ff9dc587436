with

source as (
    select * from {{ source('core', 'date_mentions') }}
),

final as (
    select
        date_mention_id,
        doc_id,
        sentence_index,
        start_char,
        end_char,
        mention_text,
        kind as date_kind,
        resolved_date,
        granularity,
        anchor_date,
        status as resolution_status
    from source
)

select * from final
