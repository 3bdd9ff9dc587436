with

entities as (
    select * from {{ ref('stg_entities') }}
),

mentions_in_context as (
    select * from {{ ref('int_entity_mentions_in_context') }}
),

quotes as (
    select * from {{ ref('quotes') }}
),

quotes_per_speaker as (
    select
        speaker_entity_id as entity_id,
        count(*) as n_quotes
    from quotes
    where speaker_entity_id is not null
    group by speaker_entity_id
),

per_entity as (
    select
        entity_id,
        count(*) as n_mentions,
        count(distinct doc_id) as n_documents,
        count(distinct story_id) as n_stories,
        count(distinct outlet) as n_outlets,
        count(distinct language) as n_languages,
        list_sort(list(distinct language)) as languages,
        min(published_date) as first_published_date,
        max(published_date) as last_published_date,
        round(avg(sentence_sentiment), 4) as mean_sentiment
    from mentions_in_context
    group by entity_id
),

final as (
    select
        entities.entity_id,
        entities.entity_name,
        entities.entity_label,
        entities.in_watchlist,
        per_entity.n_mentions,
        per_entity.n_documents,
        per_entity.n_stories,
        per_entity.n_outlets,
        per_entity.n_languages,
        per_entity.languages,
        coalesce(quotes_per_speaker.n_quotes, 0) as n_quotes,
        per_entity.first_published_date,
        per_entity.last_published_date,
        per_entity.mean_sentiment
    from entities
    inner join per_entity on entities.entity_id = per_entity.entity_id
    left join quotes_per_speaker on entities.entity_id = quotes_per_speaker.entity_id
)

select * from final
