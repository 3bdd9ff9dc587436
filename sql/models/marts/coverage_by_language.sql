with

documents as (
    select * from {{ ref('stg_current_documents') }}
),

per_language_month as (
    select
        language,
        date_trunc('month', published_at) as published_month,
        count(*) as n_documents,
        sum(n_words) as n_words,
        round(avg(tone), 4) as mean_tone,
        round(avg(sentiment), 4) as mean_sentiment
    from documents
    group by language, date_trunc('month', published_at)
),

final as (
    select
        language || ':' || coalesce(strftime(published_month, '%Y-%m'), 'undated') as coverage_id,
        language,
        published_month,
        n_documents,
        n_words,
        mean_tone,
        mean_sentiment
    from per_language_month
)

select * from final
