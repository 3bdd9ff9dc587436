with

documents as (
    select * from {{ ref('stg_current_documents') }}
),

stories as (
    select * from {{ ref('stg_stories') }}
),

mentions as (
    select * from {{ ref('stg_entity_mentions') }}
),

entities as (
    select * from {{ ref('stg_entities') }}
),

entity_counts as (
    select
        mentions.doc_id,
        entities.entity_name,
        count(*) as n_mentions
    from mentions
    inner join entities on mentions.entity_id = entities.entity_id
    group by mentions.doc_id, entities.entity_name
),

per_document as (
    select
        doc_id,
        sum(n_mentions) as n_mentions,
        count(*) as n_entities,
        list(entity_name order by n_mentions desc, entity_name asc)[1:5] as top_entities
    from entity_counts
    group by doc_id
),

final as (
    select
        documents.doc_id,
        documents.source_path,
        coalesce(documents.title, left(documents.text, 80)) as headline,
        documents.title,
        documents.outlet,
        documents.url,
        documents.language,
        documents.published_date,
        documents.published_at,
        documents.article_id,
        documents.version,
        stories.story_id,
        documents.n_words,
        documents.n_sentences,
        documents.tone,
        documents.sentiment,
        coalesce(per_document.n_mentions, 0) as n_mentions,
        coalesce(per_document.n_entities, 0) as n_entities,
        coalesce(per_document.top_entities, []) as top_entities
    from documents
    left join stories on documents.doc_id = stories.doc_id
    left join per_document on documents.doc_id = per_document.doc_id
)

select * from final
