"""From raw documents to cleaned, language-tagged documents, and what could not become one."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import polars as pl

from transforms.cleaning import (
    CLEANING_LOG_SCHEMA,
    LINK_SCHEMA,
    CleaningRule,
    clean_documents,
)
from transforms.ingest import REJECTION_SCHEMA
from transforms.language import LanguageDetector, detect_languages
from transforms.news_model import NEWS_MODEL_COLUMNS, assign_versions, describe_documents
from transforms.schema import DECLARED_COLUMNS, PREP_CLEANED_DOCUMENTS

PREPARED_SCHEMA = PREP_CLEANED_DOCUMENTS.polars_schema
VERSION_COLUMNS = ("version", "is_current", "superseded_by")
DECLARED_NAMES = [column.name for column in DECLARED_COLUMNS]


def split_duplicates(raw_documents: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Keep the first file (by path) of each distinct content; reject the others as duplicates."""
    ordered = raw_documents.sort("source_path")
    first = ordered.unique(subset="doc_id", keep="first", maintain_order=True)
    duplicates = ordered.join(first.select("doc_id", pl.col("source_path").alias("kept_path")), on="doc_id").filter(
        pl.col("source_path") != pl.col("kept_path")
    )
    rejections = duplicates.select(
        "source_path",
        _record_number(duplicates),
        pl.lit("duplicate_content").alias("reason"),
        pl.format("same content as {} (doc_id {})", "kept_path", "doc_id").alias("detail"),
    )
    return first, rejections.cast(REJECTION_SCHEMA)


def _record_number(frame: pl.DataFrame) -> pl.Expr:
    return pl.col("record_number") if "record_number" in frame.columns else pl.lit(None, pl.Int64).alias("record_number")


T = TypeVar("T")
# Applies a function to consecutive slices of a frame of documents and returns the results in
# order. The transforms' results never depend on how the frame is sliced; the pipeline passes
# its worker pool's (`pipelines.parallel`), which slices large frames into batches for workers.
FrameMap = Callable[[Callable[[pl.DataFrame], T], pl.DataFrame], list[T]]


def in_one_piece(function: Callable[[pl.DataFrame], T], frame: pl.DataFrame) -> list[T]:
    """The whole frame at once, in this process (nothing for an empty frame)."""
    return [function(frame)] if frame.height else []


@dataclass(frozen=True)
class CleanedBatch:
    documents: pl.DataFrame  # cleaned, language-tagged documents with some text left
    cleaning_log: pl.DataFrame
    links: pl.DataFrame
    empty_ids: list[str]  # documents cleaning left without text
    cleaning_seconds: float
    language_seconds: float


def clean_and_detect(batch: pl.DataFrame, rules: tuple[CleaningRule, ...], detector: LanguageDetector) -> CleanedBatch:
    """Clean the `raw_text` of a batch of documents, then detect the language of what is left."""
    started = time.perf_counter()
    cleaned, log, links = clean_documents(batch, rules)
    is_empty = pl.col("text").str.strip_chars() == ""
    empty_ids = cleaned.filter(is_empty).get_column("doc_id").to_list()
    cleaned = cleaned.filter(~is_empty)
    cleaned_at = time.perf_counter()
    detected = detect_languages(batch.select("doc_id", "source_path").join(cleaned, on="doc_id", how="inner"), detector)
    return CleanedBatch(detected, log, links, empty_ids, cleaned_at - started, time.perf_counter() - cleaned_at)


@dataclass(frozen=True)
class Prepared:
    """The result of preparing one batch of raw documents."""

    documents: pl.DataFrame  # one row per document, current and previously seen
    cleaning_log: pl.DataFrame
    links: pl.DataFrame
    rejections: pl.DataFrame
    n_processed: int  # documents cleaned and language-detected in this run
    n_reused: int  # documents taken over unchanged from the previous run
    cleaning_seconds: float = 0.0  # time spent cleaning, summed over batches (and workers)
    language_seconds: float = 0.0  # time spent detecting languages, summed likewise


def prepare_documents(
    raw_documents: pl.DataFrame,
    rules: tuple[CleaningRule, ...],
    detector: LanguageDetector,
    *,
    fingerprint: str = "",
    previous: Prepared | None = None,
    map_frame: FrameMap = in_one_piece,
) -> Prepared:
    """Deduplicate, clean and detect the language of raw documents, reusing earlier work.

    A document whose bytes (`doc_id`) were prepared before with the same rules and settings
    (`fingerprint`) is taken from `previous` instead of being cleaned and detected again. Documents
    of `previous` whose file has gone stay, with `present_in_source` false. Rejections cover
    duplicates and documents cleaning leaves empty. Cleaning and detection run through
    `map_frame`, on slices of the new documents; the result does not depend on the slicing.
    """
    unique, duplicates = split_duplicates(raw_documents)
    current_ids = unique.get_column("doc_id").implode()
    earlier = previous.documents if previous is not None else pl.DataFrame(schema=PREPARED_SCHEMA)
    reusable = earlier.filter(pl.col("prepare_fingerprint") == fingerprint, pl.col("doc_id").is_in(current_ids))
    reused_ids = reusable.get_column("doc_id").implode()
    fresh = unique.filter(~pl.col("doc_id").is_in(reused_ids))

    batches = map_frame(
        functools.partial(clean_and_detect, rules=rules, detector=detector),
        fresh.select("doc_id", "source_path", "raw_text"),
    )
    detected = _concat(
        [batch.documents for batch in batches],
        {
            name: dtype
            for name, dtype in PREPARED_SCHEMA.items()
            if name not in ("present_in_source", "prepare_fingerprint", *VERSION_COLUMNS, *NEWS_MODEL_COLUMNS)
        },
    )
    log = _concat([batch.cleaning_log for batch in batches], CLEANING_LOG_SCHEMA)
    links = _concat([batch.links for batch in batches], LINK_SCHEMA)
    empty = pl.Series([doc_id for batch in batches for doc_id in batch.empty_ids], dtype=pl.String).implode()
    paths = unique.select("doc_id", "source_path", *[name for name in DECLARED_NAMES if name in unique.columns])
    current = pl.concat(
        [
            detected.drop("source_path").with_columns(pl.lit(fingerprint).alias("prepare_fingerprint")),
            reusable.drop("source_path", *NEWS_MODEL_COLUMNS, *VERSION_COLUMNS, strict=False),
        ],
        how="diagonal",
    ).join(paths, on="doc_id")
    for name in DECLARED_NAMES:  # raw documents built by hand (tests) may declare nothing
        if name not in current.columns:
            current = current.with_columns(pl.lit(None).alias(name))
    current = describe_documents(current).with_columns(pl.lit(True).alias("present_in_source"))
    gone = earlier.filter(~pl.col("doc_id").is_in(current_ids)).with_columns(pl.lit(False).alias("present_in_source"))
    everything = pl.concat([current, gone], how="diagonal")
    documents = (
        assign_versions(everything, earlier.select("doc_id", "version"))
        .select(list(PREPARED_SCHEMA))
        .cast(PREPARED_SCHEMA)
        .sort("doc_id")
    )

    no_text = unique.filter(pl.col("doc_id").is_in(empty)).select(
        "source_path",
        _record_number(unique),
        pl.lit("no_text").alias("reason"),
        pl.lit("no text is left once whitespace and boilerplate are removed").alias("detail"),
    )
    kept = documents.get_column("doc_id").implode()
    carried = pl.concat([reusable.get_column("doc_id"), gone.get_column("doc_id")]).implode()
    earlier_log = previous.cleaning_log if previous is not None else log.clear()
    earlier_links = previous.links if previous is not None else links.clear()
    return Prepared(
        documents=documents,
        cleaning_log=pl.concat(
            [log.filter(pl.col("doc_id").is_in(kept)), earlier_log.filter(pl.col("doc_id").is_in(carried))]
        ).sort("doc_id", "rule_id"),
        links=pl.concat(
            [links.filter(pl.col("doc_id").is_in(kept)), earlier_links.filter(pl.col("doc_id").is_in(carried))]
        ).sort("doc_id", "url"),
        rejections=pl.concat([duplicates, no_text.cast(REJECTION_SCHEMA)]).sort("source_path"),
        n_processed=fresh.height,
        n_reused=reusable.height,
        cleaning_seconds=sum(batch.cleaning_seconds for batch in batches),
        language_seconds=sum(batch.language_seconds for batch in batches),
    )


def _concat(frames: list[pl.DataFrame], schema: dict | None = None) -> pl.DataFrame:
    if not frames:
        return pl.DataFrame(schema=schema or {})
    return pl.concat(frames, how="vertical")
