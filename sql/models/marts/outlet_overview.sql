-- Documents whose outlet is unknown (no record, front matter, URL or source note named one) make
-- one row of their own, with a null outlet: n_documents over all rows is every current document.
with

documents as (
    select * from {{ ref('stg_current_documents') }}
),

stories as (
    select * from {{ ref('stg_stories') }}
),

mentions_in_context as (
    select * from {{ ref('int_entity_mentions_in_context') }}
),

entities as (
    select * from {{ ref('stg_entities') }}
),

per_outlet as (
    select
        documents.outlet,
        count(*) as n_documents,
        count(distinct stories.story_id) as n_stories,
        count(distinct documents.language) as n_languages,
        list_sort(list(distinct documents.language)) as languages,
        min(documents.published_at) as first_published_at,
        max(documents.published_at) as last_published_at,
        round(avg(documents.tone), 4) as mean_tone
    from documents
    left join stories on documents.doc_id = stories.doc_id
    group by documents.outlet
),

entity_counts as (
    select
        mentions_in_context.outlet,
        entities.entity_name,
        count(*) as n_mentions
    from mentions_in_context
    inner join entities on mentions_in_context.entity_id = entities.entity_id
    group by mentions_in_context.outlet, entities.entity_name
),

per_outlet_entities as (
    select
        outlet,
        list(entity_name order by n_mentions desc, entity_name asc)[1:5] as top_entities
    from entity_counts
    group by outlet
),

final as (
    select
        per_outlet.outlet,
        per_outlet.n_documents,
        per_outlet.n_stories,
        per_outlet.n_languages,
        per_outlet.languages,
        per_outlet.first_published_at,
        per_outlet.last_published_at,
        per_outlet.mean_tone,
        coalesce(per_outlet_entities.top_entities, []) as top_entities
    from per_outlet
    left join per_outlet_entities on per_outlet.outlet is not distinct from per_outlet_entities.outlet
)

select * from final
