-- The one place that says which documents the marts count: the current version of each article.
-- Earlier versions stay in stg_documents (and core.documents) as history.
with

documents as (
    select * from {{ ref('stg_documents') }}
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
        published_at,
        published_at_precision,
        published_at_source,
        published_date,
        published_date_precision,
        language,
        language_confidence,
        language_source,
        n_words,
        n_sentences,
        tone,
        positive_pct,
        negative_pct,
        polarity_pct,
        sentiment,
        text
    from documents
    where is_current
)

select * from final
