"""From raw documents to cleaned, language-tagged documents, and what could not become one."""

from __future__ import annotations

import polars as pl

from transforms.cleaning import CleaningRule, clean_documents
from transforms.ingest import REJECTION_SCHEMA
from transforms.language import LanguageDetector, detect_languages


def split_duplicates(raw_documents: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Keep the first file (by path) of each distinct content; reject the others as duplicates."""
    ordered = raw_documents.sort("source_path")
    first = ordered.unique(subset="doc_id", keep="first", maintain_order=True)
    duplicates = ordered.join(first.select("doc_id", pl.col("source_path").alias("kept_path")), on="doc_id").filter(
        pl.col("source_path") != pl.col("kept_path")
    )
    rejections = duplicates.select(
        "source_path",
        pl.lit("duplicate_content").alias("reason"),
        pl.format("same content as {} (doc_id {})", "kept_path", "doc_id").alias("detail"),
    )
    return first, rejections.cast(REJECTION_SCHEMA)


def prepare_documents(
    raw_documents: pl.DataFrame, rules: tuple[CleaningRule, ...], detector: LanguageDetector
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Deduplicate, clean and detect the language of raw documents.

    Returns `(documents, cleaning_log, links, rejections)`: one row per distinct document with text
    left after cleaning; rejections for duplicates and for documents cleaning left empty.
    """
    unique, duplicates = split_duplicates(raw_documents)
    cleaned, log, links = clean_documents(unique, rules)
    empty = cleaned.filter(pl.col("text").str.strip_chars() == "").get_column("doc_id")
    cleaned = cleaned.filter(~pl.col("doc_id").is_in(empty.implode()))
    documents = detect_languages(
        unique.select("doc_id", "source_path").join(cleaned, on="doc_id", how="inner"), detector
    ).sort("doc_id")
    no_text = unique.filter(pl.col("doc_id").is_in(empty.implode())).select(
        "source_path",
        pl.lit("no_text").alias("reason"),
        pl.lit("no text is left once whitespace and boilerplate are removed").alias("detail"),
    )
    rejections = pl.concat([duplicates, no_text.cast(REJECTION_SCHEMA)]).sort("source_path")
    kept = documents.get_column("doc_id").implode()
    return (
        documents,
        log.filter(pl.col("doc_id").is_in(kept)),
        links.filter(pl.col("doc_id").is_in(kept)),
        rejections,
    )
