with

source as (
    select * from {{ source('core', 'stories') }}
),

final as (
    select
        doc_id,
        story_id,
        cast(n_documents as bigint) as n_documents
    from source
)

select * from final
