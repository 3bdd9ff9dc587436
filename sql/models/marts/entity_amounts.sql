-- One row per organisation and currency: the money mentioned in the same sentence as the organisation.
with

amounts as (
    select * from {{ ref('stg_amounts') }}
),

mentions as (
    select * from {{ ref('stg_entity_mentions') }}
),

documents as (
    select * from {{ ref('stg_current_documents') }}
),

sentences as (
    select * from {{ ref('stg_sentences') }}
),

entities as (
    select * from {{ ref('stg_entities') }}
),

money_beside_organisations as (
    select distinct
        mentions.entity_id,
        amounts.amount_id,
        amounts.doc_id,
        amounts.sentence_index,
        amounts.mention_text,
        amounts.amount_value,
        amounts.currency,
        amounts.is_approximate
    from amounts
    inner join documents on amounts.doc_id = documents.doc_id
    inner join mentions
        on
            amounts.doc_id = mentions.doc_id
            and amounts.doc_id || ':' || cast(amounts.sentence_index as varchar) = mentions.sentence_id
            and mentions.field = 'text'
    inner join entities on mentions.entity_id = entities.entity_id
    where amounts.amount_kind = 'money' and entities.entity_label = 'ORG'
),

per_entity as (
    select
        entity_id,
        currency,
        count(*) as n_amounts,
        count(distinct doc_id) as n_documents,
        max(amount_value) as largest_value,
        arg_max(mention_text, amount_value) as largest_mention,
        arg_max(doc_id, amount_value) as largest_doc_id,
        arg_max(sentence_index, amount_value) as largest_sentence_index,
        bool_or(is_approximate) as any_approximate
    from money_beside_organisations
    group by entity_id, currency
),

final as (
    select
        entities.entity_id,
        entities.entity_name,
        per_entity.currency,
        per_entity.n_amounts,
        per_entity.n_documents,
        per_entity.largest_value,
        per_entity.largest_mention,
        substring(documents.text, sentences.start_char + 1, sentences.end_char - sentences.start_char)
            as example_sentence,
        per_entity.any_approximate
    from per_entity
    inner join entities on per_entity.entity_id = entities.entity_id
    left join sentences
        on
            per_entity.largest_doc_id = sentences.doc_id
            and per_entity.largest_sentence_index = sentences.sentence_index
    left join documents on per_entity.largest_doc_id = documents.doc_id
)

select * from final
