with

source as (
    select * from {{ source('core', 'story_links') }}
),

final as (
    select
        doc_id_a || ':' || doc_id_b as story_link_id,
        doc_id_a,
        doc_id_b,
        link_type,
        method,
        cast(score as double) as score,
        shared_names,
        shared_numbers,
        cast(shingle_share as double) as shingle_share
    from source
)

select * from final
