with

source as (
    select * from {{ source('core', 'entity_mentions') }}
),

final as (
    select
        doc_id || ':' || field || ':' || cast(start_char as varchar) || ':' || cast(end_char as varchar) as mention_id,
        doc_id,
        field,
        doc_id || ':' || cast(sentence_index as varchar) as sentence_id,
        entity_id,
        mention_text,
        label as entity_label,
        cast(start_char as integer) as start_char,
        cast(end_char as integer) as end_char
    from source
)

select * from final
