with

stories as (
    select * from {{ ref('stg_stories') }}
),

documents as (
    select * from {{ ref('stg_current_documents') }}
),

mentions_in_context as (
    select * from {{ ref('int_entity_mentions_in_context') }}
),

entities as (
    select * from {{ ref('stg_entities') }}
),

story_documents as (
    select
        stories.story_id,
        documents.doc_id,
        coalesce(documents.title, left(documents.text, 80)) as headline,
        documents.outlet,
        documents.language,
        documents.published_at,
        documents.tone
    from stories
    inner join documents on stories.doc_id = documents.doc_id
),

per_story as (
    select
        story_id,
        first(doc_id order by published_at asc nulls last, doc_id asc) as first_doc_id,
        first(headline order by published_at asc nulls last, doc_id asc) as headline,
        min(published_at) as first_published_at,
        max(published_at) as last_published_at,
        count(*) as n_documents,
        count(distinct outlet) as n_outlets,
        coalesce(list_sort(list(distinct outlet) filter (where outlet is not null)), []) as outlets,
        count(distinct language) as n_languages,
        list_sort(list(distinct language)) as languages,
        round(avg(tone), 4) as mean_tone
    from story_documents
    group by story_id
),

entity_counts as (
    select
        mentions_in_context.story_id,
        entities.entity_name,
        count(*) as n_mentions
    from mentions_in_context
    inner join entities on mentions_in_context.entity_id = entities.entity_id
    where mentions_in_context.story_id is not null
    group by mentions_in_context.story_id, entities.entity_name
),

per_story_entities as (
    select
        story_id,
        list(entity_name order by n_mentions desc, entity_name asc)[1:5] as top_entities
    from entity_counts
    group by story_id
),

final as (
    select
        per_story.story_id,
        per_story.headline,
        per_story.first_doc_id,
        per_story.first_published_at,
        per_story.last_published_at,
        per_story.n_documents,
        per_story.n_outlets,
        per_story.outlets,
        per_story.n_languages,
        per_story.languages,
        coalesce(per_story_entities.top_entities, []) as top_entities,
        per_story.mean_tone
    from per_story
    left join per_story_entities on per_story.story_id = per_story_entities.story_id
)

select * from final
