"""From raw documents to cleaned, language-tagged documents, and what could not become one."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from transforms.cleaning import CLEAN_DOCUMENT_SCHEMA, CleaningRule, clean_documents
from transforms.ingest import REJECTION_SCHEMA
from transforms.language import LanguageDetector, detect_languages

PREPARED_SCHEMA = {
    "doc_id": pl.String,
    "source_path": pl.String,
    **{name: dtype for name, dtype in CLEAN_DOCUMENT_SCHEMA.items() if name != "doc_id"},
    "language": pl.String,
    "language_confidence": pl.Float64,
    "present_in_source": pl.Boolean,
    "prepare_fingerprint": pl.String,
}


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


@dataclass(frozen=True)
class Prepared:
    """The result of preparing one batch of raw documents."""

    documents: pl.DataFrame  # one row per document, current and previously seen
    cleaning_log: pl.DataFrame
    links: pl.DataFrame
    rejections: pl.DataFrame
    n_processed: int  # documents cleaned and language-detected in this run
    n_reused: int  # documents taken over unchanged from the previous run


def prepare_documents(
    raw_documents: pl.DataFrame,
    rules: tuple[CleaningRule, ...],
    detector: LanguageDetector,
    *,
    fingerprint: str = "",
    previous: Prepared | None = None,
) -> Prepared:
    """Deduplicate, clean and detect the language of raw documents, reusing earlier work.

    A document whose bytes (`doc_id`) were prepared before with the same rules and settings
    (`fingerprint`) is taken from `previous` instead of being cleaned and detected again. Documents
    of `previous` whose file has gone stay, with `present_in_source` false. Rejections cover
    duplicates and documents cleaning leaves empty.
    """
    unique, duplicates = split_duplicates(raw_documents)
    current_ids = unique.get_column("doc_id").implode()
    earlier = previous.documents if previous is not None else pl.DataFrame(schema=PREPARED_SCHEMA)
    reusable = earlier.filter(pl.col("prepare_fingerprint") == fingerprint, pl.col("doc_id").is_in(current_ids))
    reused_ids = reusable.get_column("doc_id").implode()
    fresh = unique.filter(~pl.col("doc_id").is_in(reused_ids))

    cleaned, log, links = clean_documents(fresh, rules)
    empty = cleaned.filter(pl.col("text").str.strip_chars() == "").get_column("doc_id").implode()
    cleaned = cleaned.filter(~pl.col("doc_id").is_in(empty))
    detected = detect_languages(fresh.select("doc_id", "source_path").join(cleaned, on="doc_id", how="inner"), detector)
    paths = unique.select("doc_id", "source_path")
    current = pl.concat(
        [
            detected.with_columns(pl.lit(fingerprint).alias("prepare_fingerprint")),
            reusable.drop("source_path").join(paths, on="doc_id"),
        ],
        how="diagonal",
    ).with_columns(pl.lit(True).alias("present_in_source"))
    gone = earlier.filter(~pl.col("doc_id").is_in(current_ids)).with_columns(pl.lit(False).alias("present_in_source"))
    documents = (
        pl.concat([current, gone], how="diagonal").select(list(PREPARED_SCHEMA)).cast(PREPARED_SCHEMA).sort("doc_id")
    )

    no_text = unique.filter(pl.col("doc_id").is_in(empty)).select(
        "source_path",
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
    )
