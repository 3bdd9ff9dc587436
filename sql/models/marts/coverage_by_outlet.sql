with

documents as (
    select * from {{ ref('stg_current_documents') }}
),

stories as (
    select * from {{ ref('stg_stories') }}
),

per_outlet_language_month as (
    select
        documents.outlet,
        documents.language,
        date_trunc('month', documents.published_at) as published_month,
        count(*) as n_documents,
        count(distinct stories.story_id) as n_stories,
        sum(documents.n_words) as n_words,
        round(avg(documents.tone), 4) as mean_tone,
        round(avg(documents.sentiment), 4) as mean_sentiment
    from documents
    left join stories on documents.doc_id = stories.doc_id
    group by documents.outlet, documents.language, date_trunc('month', documents.published_at)
),

final as (
    select
        coalesce(outlet, '(unknown)')
        || ':' || language
        || ':' || coalesce(strftime(published_month, '%Y-%m'), 'undated') as coverage_id,
        outlet,
        language,
        published_month,
        n_documents,
        n_stories,
        n_words,
        mean_tone,
        mean_sentiment
    from per_outlet_language_month
)

select * from final
