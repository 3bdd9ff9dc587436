"""NLP over cleaned documents: sentences, entities, sentiment and tone.

The work is split in two so that it can run in batches, in worker processes, and be reused from
an earlier run: `analyse_texts` does everything that depends on one document alone (spaCy,
sentence sentiment, tone), `assemble_analysis` what depends on all of them (canonical entities).
"""

from __future__ import annotations

import time
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
from transforms.schema import DOCUMENTS, ENTITY_MENTIONS, SENTENCES
from transforms.sentiment import (
    TONE_SCHEMA,
    SentimentScorer,
    document_tone,
    score_sentences,
    weighted_document_sentiment,
)


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


# Per-document results of the NLP pass (joined onto core.documents).
DOCUMENT_ANALYSIS_SCHEMA = {**TONE_SCHEMA, **DOCUMENTS.subset("nlp_pipeline", "entities_missing_reason")}
SCORED_SENTENCE_SCHEMA = SENTENCES.polars_schema
FIELD_MENTION_SCHEMA = {**RAW_MENTION_SCHEMA, **ENTITY_MENTIONS.subset("field")}

# Metadata that cleaning moves out of the text but that names people and organisations
# (translators, original publications); their mentions carry offsets into that column.
METADATA_FIELDS_WITH_ENTITIES = ("credits", "source_note")
_FIELD_ORDER = {"text": 0, "credits": 1, "source_note": 2}

# The inputs of the analysis of one document: when all are equal, so is its analysis.
ANALYSIS_INPUTS = ("doc_id", "language", "text", *METADATA_FIELDS_WITH_ENTITIES)


@dataclass(frozen=True)
class TextAnalysis:
    """What the NLP pass found in a batch of documents, before entities are made canonical."""

    documents: pl.DataFrame  # DOCUMENT_ANALYSIS_SCHEMA
    sentences: pl.DataFrame  # SCORED_SENTENCE_SCHEMA
    mentions: pl.DataFrame  # FIELD_MENTION_SCHEMA, labels as the pipeline gave them
    nlp_seconds: float = 0.0
    sentiment_seconds: float = 0.0


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


def analyse_texts(
    documents: pl.DataFrame,
    pipelines: dict[str, LanguagePipeline],
    scorers: dict[str, SentimentScorer],
    *,
    batch_size: int = 16,
    n_process: int = 1,
) -> TextAnalysis:
    """Sentences, raw entity mentions, sentence sentiment and tone of each document.

    `documents` has `doc_id`, `language`, `text`, `credits` and `source_note`; every language in
    it needs an entry in `pipelines` (a fallback without NER is fine). Documents whose pipeline
    has no NER get an `entities_missing_reason`.
    """
    started = time.perf_counter()
    sentence_frames = [pl.DataFrame(schema=SENTENCE_SCHEMA)]
    mention_frames = [pl.DataFrame(schema=FIELD_MENTION_SCHEMA)]
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
    nlp_done = time.perf_counter()

    texts = dict(documents.select("doc_id", "text").iter_rows())
    languages = dict(documents.select("doc_id", "language").iter_rows())
    sentences = score_sentences(pl.concat(sentence_frames).sort("doc_id", "sentence_index"), texts, languages, scorers)
    pipeline_names = {language: pipeline.name for language, pipeline in pipelines.items()}
    with_ner = [language for language, pipeline in pipelines.items() if pipeline.has_ner]
    per_document = (
        documents.select("doc_id", "language")
        .join(document_tone(documents, scorers), on="doc_id", how="left")
        .with_columns(
            pl.col("language").replace_strict(pipeline_names, default=None).alias("nlp_pipeline"),
            pl.when(pl.col("language").is_in(with_ner))
            .then(pl.lit(None, dtype=pl.String))
            .otherwise(pl.format("no spaCy NER pipeline for language '{}'", "language"))
            .alias("entities_missing_reason"),
        )
        .select(list(DOCUMENT_ANALYSIS_SCHEMA))
        .cast(DOCUMENT_ANALYSIS_SCHEMA)
    )
    return TextAnalysis(
        documents=per_document,
        sentences=sentences.select(list(SCORED_SENTENCE_SCHEMA)),
        mentions=pl.concat(mention_frames, how="diagonal").select(list(FIELD_MENTION_SCHEMA)),
        nlp_seconds=nlp_done - started,
        sentiment_seconds=time.perf_counter() - nlp_done,
    )


ANALYSIS_FAILED = "analysis failed"


def analyse_texts_or_record_failures(
    documents: pl.DataFrame,
    pipelines: dict[str, LanguagePipeline],
    scorers: dict[str, SentimentScorer],
    *,
    batch_size: int = 16,
) -> TextAnalysis:
    """`analyse_texts`, except that a document on which it fails does not fail the others.

    When a batch fails, its documents are analysed one by one; a document that fails alone gets
    no sentences or mentions, and says why in `entities_missing_reason` and
    `sentiment_missing_reason` (the next run tries it again)."""
    try:
        return analyse_texts(documents, pipelines, scorers, batch_size=batch_size)
    except Exception as error:  # a model or scorer choked on some text; find which
        if documents.height <= 1:
            reason = f"{ANALYSIS_FAILED}: {type(error).__name__}: {error}"[:500]
            per_document = (
                documents.select("doc_id")
                .join(document_tone(documents, {}).select("doc_id", "n_words"), on="doc_id", how="left")
                .with_columns(
                    pl.lit(reason).alias("sentiment_missing_reason"), pl.lit(reason).alias("entities_missing_reason")
                )
            )
            return TextAnalysis(
                documents=pl.concat([pl.DataFrame(schema=DOCUMENT_ANALYSIS_SCHEMA), per_document], how="diagonal"),
                sentences=pl.DataFrame(schema=SCORED_SENTENCE_SCHEMA),
                mentions=pl.DataFrame(schema=FIELD_MENTION_SCHEMA),
            )
        parts = [
            analyse_texts_or_record_failures(documents.slice(row, 1), pipelines, scorers, batch_size=batch_size)
            for row in range(documents.height)
        ]
        return TextAnalysis(
            documents=pl.concat([part.documents for part in parts]),
            sentences=pl.concat([part.sentences for part in parts]),
            mentions=pl.concat([part.mentions for part in parts]),
            nlp_seconds=sum(part.nlp_seconds for part in parts),
            sentiment_seconds=sum(part.sentiment_seconds for part in parts),
        )


def reusable_documents(
    documents: pl.DataFrame, previous_documents: pl.DataFrame | None, fingerprint: str
) -> pl.DataFrame:
    """The `doc_id`s whose earlier analysis still holds: same inputs, same models and settings,
    and the analysis did not fail."""
    if previous_documents is None:
        return pl.DataFrame(schema={"doc_id": pl.String})
    earlier = previous_documents.filter(
        pl.col("analysis_fingerprint") == fingerprint,
        ~pl.col("entities_missing_reason").fill_null("").str.starts_with(ANALYSIS_FAILED),
    ).select(ANALYSIS_INPUTS)
    matched = documents.select(ANALYSIS_INPUTS).join(earlier, on="doc_id", how="inner", suffix="_before")
    same = pl.all_horizontal(
        [pl.col(name).eq_missing(pl.col(f"{name}_before")) for name in ANALYSIS_INPUTS if name != "doc_id"]
    )
    return matched.filter(same).select("doc_id").sort("doc_id")


def previous_text_analysis(
    doc_ids: pl.DataFrame, documents: pl.DataFrame, sentences: pl.DataFrame, mentions: pl.DataFrame
) -> TextAnalysis:
    """An earlier run's results (core.documents, core.sentences, core.entity_mentions) for `doc_ids`,
    as `analyse_texts` returned them (mentions without the entity they were resolved to)."""
    keep = doc_ids.get_column("doc_id").implode()
    return TextAnalysis(
        documents=documents.filter(pl.col("doc_id").is_in(keep))
        .select(list(DOCUMENT_ANALYSIS_SCHEMA))
        .cast(DOCUMENT_ANALYSIS_SCHEMA),
        sentences=sentences.filter(pl.col("doc_id").is_in(keep)).select(list(SCORED_SENTENCE_SCHEMA)),
        mentions=mentions.filter(pl.col("doc_id").is_in(keep))
        .select(list(FIELD_MENTION_SCHEMA))
        .cast(FIELD_MENTION_SCHEMA),
    )


def assemble_analysis(
    documents: pl.DataFrame,
    parts: list[TextAnalysis],
    watchlist: tuple[WatchlistEntry, ...],
    aliases: tuple[WatchlistEntry, ...] = (),
    nouns: dict[str, frozenset[str]] | None = None,
) -> Analysis:
    """Put the per-document results of `parts` together and resolve canonical entities over all
    mentions. The result depends on the documents and results, not on how they were batched."""
    analysed = pl.concat([pl.DataFrame(schema=DOCUMENT_ANALYSIS_SCHEMA), *(part.documents for part in parts)])
    sentences = pl.concat([pl.DataFrame(schema=SCORED_SENTENCE_SCHEMA), *(part.sentences for part in parts)]).sort(
        "doc_id", "sentence_index"
    )
    raw_mentions = pl.concat([pl.DataFrame(schema=FIELD_MENTION_SCHEMA), *(part.mentions for part in parts)]).sort(
        "doc_id", pl.col("field").replace_strict(_FIELD_ORDER, default=len(_FIELD_ORDER)), "start_char", "end_char"
    )
    mentions, entities = canonicalise_entities(
        raw_mentions,
        watchlist,
        aliases,
        documents=documents.select("doc_id", "language", "text") if nouns else None,
        nouns=nouns,
    )
    enriched = (
        documents.join(analysed, on="doc_id", how="left")
        .join(weighted_document_sentiment(sentences), on="doc_id", how="left")
        .join(sentences.group_by("doc_id").agg(pl.len().cast(pl.Int64).alias("n_sentences")), on="doc_id", how="left")
        .sort("doc_id")
    )
    return Analysis(
        documents=enriched,
        sentences=sentences,
        mentions=mentions.sort("doc_id", "field", "start_char", "end_char"),
        entities=entities,
    )


def analyse_documents(
    documents: pl.DataFrame,
    pipelines: dict[str, LanguagePipeline],
    scorers: dict[str, SentimentScorer],
    watchlist: tuple[WatchlistEntry, ...],
    *,
    batch_size: int = 16,
    n_process: int = 1,
) -> Analysis:
    """Analyse documents (`doc_id`, `language`, `text`, …) in one go, in this process."""
    part = analyse_texts(documents, pipelines, scorers, batch_size=batch_size, n_process=n_process)
    return assemble_analysis(documents, [part], watchlist)
