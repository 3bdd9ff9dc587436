with

source as (
    select * from {{ source('core', 'entities') }}
),

final as (
    select
        entity_id,
        name as entity_name,
        label as entity_label,
        in_watchlist
    from source
)

select * from final
