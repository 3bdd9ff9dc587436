with

source as (
    select * from {{ source('core', 'amounts') }}
),

final as (
    select
        amount_id,
        doc_id,
        sentence_index,
        start_char,
        end_char,
        mention_text,
        kind as amount_kind,
        cast(value as double) as amount_value,
        currency,
        is_approximate
    from source
)

select * from final
