with

mentions as (
    select * from {{ ref('stg_entity_mentions') }}
),

documents as (
    select * from {{ ref('stg_current_documents') }}
),

sentences as (
    select * from {{ ref('stg_sentences') }}
),

stories as (
    select * from {{ ref('stg_stories') }}
),

final as (
    select
        mentions.mention_id,
        mentions.entity_id,
        mentions.doc_id,
        mentions.field,
        mentions.sentence_id,
        documents.language,
        documents.published_date,
        documents.outlet,
        stories.story_id,
        sentences.sentiment as sentence_sentiment
    from mentions
    inner join documents on mentions.doc_id = documents.doc_id
    left join sentences on mentions.sentence_id = sentences.sentence_id
    left join stories on mentions.doc_id = stories.doc_id
)

select * from final
