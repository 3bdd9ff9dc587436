"""NLP over cleaned documents: sentences, entities, sentiment and tone, in one pass per language."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from spacy.language import Language

from transforms.entities import (
    RAW_MENTION_SCHEMA,
    SENTENCE_SCHEMA,
    WatchlistEntry,
    canonicalise_entities,
    extract_mentions,
)
from transforms.sentiment import SentimentScorer, document_tone, score_sentences, weighted_document_sentiment


@dataclass(frozen=True)
class LanguagePipeline:
    """The spaCy pipeline for one language; `has_ner` is false for a sentence-splitting fallback."""

    name: str
    nlp: Language
    has_ner: bool


@dataclass(frozen=True)
class Analysis:
    documents: pl.DataFrame
    sentences: pl.DataFrame
    mentions: pl.DataFrame
    entities: pl.DataFrame


# Metadata that cleaning moves out of the text but that names people and organisations
# (translators, original publications); their mentions carry offsets into that column.
METADATA_FIELDS_WITH_ENTITIES = ("credits", "source_note")


def _metadata_mentions(nlp: Language, documents: pl.DataFrame, batch_size: int) -> list[pl.DataFrame]:
    frames = []
    for field in METADATA_FIELDS_WITH_ENTITIES:
        pairs = [(doc_id, value) for doc_id, value in documents.select("doc_id", field).iter_rows() if value]
        if pairs:
            _, mentions = extract_mentions(nlp, pairs, batch_size=batch_size)
            frames.append(
                mentions.with_columns(
                    pl.lit(None, dtype=pl.Int32).alias("sentence_index"), pl.lit(field).alias("field")
                )
            )
    return frames


def analyse_documents(
    documents: pl.DataFrame,
    pipelines: dict[str, LanguagePipeline],
    scorers: dict[str, SentimentScorer],
    watchlist: tuple[WatchlistEntry, ...],
    *,
    batch_size: int = 16,
    n_process: int = 1,
) -> Analysis:
    """Analyse documents (`doc_id`, `language`, `text`, …) with the pipeline of their language.

    Every language in `documents` must have an entry in `pipelines` (a fallback without NER is
    fine); documents whose pipeline has no NER get an `entities_missing_reason`.
    """
    sentence_frames = [pl.DataFrame(schema=SENTENCE_SCHEMA)]
    mention_frames = [pl.DataFrame(schema={**RAW_MENTION_SCHEMA, "field": pl.String})]
    for language in sorted(documents.get_column("language").unique().to_list()):
        subset = documents.filter(pl.col("language") == language).sort("doc_id")
        sentences, mentions = extract_mentions(
            pipelines[language].nlp,
            list(subset.select("doc_id", "text").iter_rows()),
            batch_size=batch_size,
            n_process=n_process,
        )
        sentence_frames.append(sentences)
        if pipelines[language].has_ner:
            mention_frames.append(mentions.with_columns(pl.lit("text").alias("field")))
            mention_frames.extend(_metadata_mentions(pipelines[language].nlp, subset, batch_size))
    texts = dict(documents.select("doc_id", "text").iter_rows())
    languages = dict(documents.select("doc_id", "language").iter_rows())
    sentences = score_sentences(pl.concat(sentence_frames).sort("doc_id", "sentence_index"), texts, languages, scorers)
    mentions, entities = canonicalise_entities(pl.concat(mention_frames), watchlist)
    pipeline_names = {language: pipeline.name for language, pipeline in pipelines.items()}
    with_ner = [language for language, pipeline in pipelines.items() if pipeline.has_ner]
    enriched = (
        documents.join(document_tone(documents, scorers), on="doc_id", how="left")
        .join(weighted_document_sentiment(sentences), on="doc_id", how="left")
        .join(sentences.group_by("doc_id").agg(pl.len().cast(pl.Int64).alias("n_sentences")), on="doc_id", how="left")
        .with_columns(
            pl.col("language").replace_strict(pipeline_names, default=None).alias("nlp_pipeline"),
            pl.when(pl.col("language").is_in(with_ner))
            .then(pl.lit(None, dtype=pl.String))
            .otherwise(pl.format("no spaCy NER pipeline for language '{}'", "language"))
            .alias("entities_missing_reason"),
        )
        .sort("doc_id")
    )
    return Analysis(
        documents=enriched,
        sentences=sentences,
        mentions=mentions.sort("doc_id", "field", "start_char", "end_char"),
        entities=entities,
    )
