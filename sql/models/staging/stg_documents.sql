with

source as (
    select * from {{ source('core', 'documents') }}
),

final as (
    select
        doc_id,
        source_path,
        present_in_source,
        article_id,
        version,
        is_current,
        superseded_by,
        outlet,
        url,
        external_id,
        title,
        section,
        cast(published_at as timestamp) as published_at,
        published_at_precision,
        published_at_source,
        cast(published_date as date) as published_date,
        published_date_precision,
        language,
        cast(language_confidence as double) as language_confidence,
        language_source,
        cast(n_words as bigint) as n_words,
        cast(n_sentences as bigint) as n_sentences,
        cast(tone as double) as tone,
        cast(positive_pct as double) as positive_pct,
        cast(negative_pct as double) as negative_pct,
        cast(polarity_pct as double) as polarity_pct,
        cast(sentiment as double) as sentiment,
        text
    from source
)

select * from final
