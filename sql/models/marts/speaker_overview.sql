-- One row per entity quoted at least once in a current document.
with

quotes as (
    select * from {{ ref('quotes') }}
),

entities as (
    select * from {{ ref('stg_entities') }}
),

per_speaker as (
    select
        speaker_entity_id as entity_id,
        count(*) as n_quotes,
        count(*) filter (where quote_kind = 'direct') as n_direct_quotes,
        count(distinct doc_id) as n_documents,
        count(distinct story_id) as n_stories,
        count(distinct outlet) as n_outlets,
        list_sort(list(distinct language)) as languages,
        min(published_at) as first_quoted_at,
        max(published_at) as last_quoted_at,
        round(avg(quote_sentiment), 4) as mean_quote_sentiment
    from quotes
    where speaker_entity_id is not null
    group by speaker_entity_id
),

final as (
    select
        entities.entity_id,
        entities.entity_name,
        entities.entity_label,
        per_speaker.n_quotes,
        per_speaker.n_direct_quotes,
        per_speaker.n_documents,
        per_speaker.n_stories,
        per_speaker.n_outlets,
        per_speaker.languages,
        per_speaker.first_quoted_at,
        per_speaker.last_quoted_at,
        per_speaker.mean_quote_sentiment
    from per_speaker
    inner join entities on per_speaker.entity_id = entities.entity_id
)

select * from final
