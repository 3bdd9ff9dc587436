with

entities as (
    select * from {{ ref('stg_entities') }}
),

mentions_in_context as (
    select * from {{ ref('int_entity_mentions_in_context') }}
),

scored_mentions as (
    select
        entity_id,
        language,
        sentence_id,
        sentence_sentiment as sentiment
    from mentions_in_context
    where sentence_sentiment is not null
),

per_entity_language as (
    select
        entity_id,
        language,
        count(*) as n_mentions,
        count(distinct sentence_id) as n_sentences,
        round(avg(sentiment), 4) as mean_sentiment,
        round(coalesce(stddev_samp(sentiment), 0), 4) as stddev_sentiment,
        round(min(sentiment), 4) as min_sentiment,
        round(max(sentiment), 4) as max_sentiment,
        first(sentence_id order by sentiment asc, sentence_id asc) as most_negative_sentence_id,
        first(sentence_id order by sentiment desc, sentence_id asc) as most_positive_sentence_id
    from scored_mentions
    group by entity_id, language
),

final as (
    select
        per_entity_language.entity_id || ':' || per_entity_language.language as entity_language_id,
        per_entity_language.entity_id,
        entities.entity_name,
        entities.entity_label,
        per_entity_language.language,
        per_entity_language.n_mentions,
        per_entity_language.n_sentences,
        per_entity_language.mean_sentiment,
        per_entity_language.stddev_sentiment,
        per_entity_language.min_sentiment,
        per_entity_language.max_sentiment,
        per_entity_language.most_negative_sentence_id,
        per_entity_language.most_positive_sentence_id
    from per_entity_language
    inner join entities on per_entity_language.entity_id = entities.entity_id
)

select * from final
