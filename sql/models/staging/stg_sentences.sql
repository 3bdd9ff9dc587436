with

source as (
    select * from {{ source('core', 'sentences') }}
),

final as (
    select
        doc_id || ':' || cast(sentence_index as varchar) as sentence_id,
        doc_id,
        cast(sentence_index as integer) as sentence_index,
        cast(start_char as integer) as start_char,
        cast(end_char as integer) as end_char,
        cast(sentiment as double) as sentiment
    from source
)

select * from final
