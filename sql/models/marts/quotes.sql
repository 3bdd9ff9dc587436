-- One row per quotation of a current document: who said what, where and when, in what tone.
with

quotations as (
    select * from {{ ref('stg_quotations') }}
),

documents as (
    select * from {{ ref('stg_current_documents') }}
),

entities as (
    select * from {{ ref('stg_entities') }}
),

stories as (
    select * from {{ ref('stg_stories') }}
),

final as (
    select
        quotations.quote_id,
        quotations.doc_id,
        stories.story_id,
        documents.title as document_title,
        documents.outlet,
        documents.language,
        documents.published_at,
        quotations.quote_kind,
        quotations.quote_text,
        quotations.cue_text,
        coalesce(entities.entity_name, quotations.speaker_name, quotations.speaker_text) as speaker_name,
        quotations.speaker_entity_id,
        entities.entity_label as speaker_label,
        quotations.speaker_resolution,
        quotations.quote_sentiment,
        quotations.sentence_index,
        quotations.start_char,
        quotations.end_char
    from quotations
    inner join documents on quotations.doc_id = documents.doc_id
    left join entities on quotations.speaker_entity_id = entities.entity_id
    left join stories on quotations.doc_id = stories.doc_id
)

select * from final
