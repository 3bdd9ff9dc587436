"""Quotations, amounts and dates of the current documents: core.quotations, core.amounts, core.date_mentions.

Frames in, frames out. Per document, the rules of its language (`LanguageRules`, from
config/extraction/<language>.toml) find the three kinds of mention in `core.documents.text`
(transforms/quotations.py, amounts.py, dates.py); offsets point into that text, sentence indexes
into core.sentences, speakers into core.entities through the entity mentions. A document in a
language without rules gets no rows. Rows of documents whose text and fingerprint an earlier run
saw are taken over from it (`reusable`), so a rerun extracts new documents only.
"""

from __future__ import annotations

import functools
import hashlib
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl

from transforms.amounts import find_amounts
from transforms.dates import find_dates
from transforms.extraction_rules import LanguageRules
from transforms.quotations import Mention, find_quotations
from transforms.schema import AMOUNTS, DATE_MENTIONS, QUOTATIONS

DOCUMENT_INPUTS = ("doc_id", "language", "text", "title", "published_at", "published_at_precision")


@dataclass(frozen=True)
class Extracted:
    quotations: pl.DataFrame
    amounts: pl.DataFrame
    date_mentions: pl.DataFrame
    n_extracted: int  # documents whose rows were computed this run
    n_reused: int  # documents whose rows came from the last run


def _row_id(kind: str, doc_id: str, start: int, end: int) -> str:
    return hashlib.sha256(f"{kind}\x1f{doc_id}\x1f{start}\x1f{end}".encode()).hexdigest()[:16]


def _quote_sentiment(start: int, end: int, sentences: list[tuple[int, int, float | None]]) -> float | None:
    """Mean sentiment of the sentences overlapping [start, end), weighted by the overlap."""
    total, weight = 0.0, 0
    for sentence_start, sentence_end, sentiment in sentences:
        overlap = min(end, sentence_end) - max(start, sentence_start)
        if overlap > 0 and sentiment is not None:
            total += overlap * sentiment
            weight += overlap
    return round(total / weight, 4) if weight else None


def extract_document(
    document: dict, sentences: list[tuple[int, int, float | None]], mentions: list[Mention], rules: LanguageRules, fingerprint: str
) -> tuple[list[dict], list[dict], list[dict]]:
    """The quotation, amount and date rows of one document (a dict of DOCUMENT_INPUTS)."""
    text, doc_id = document["text"] or "", document["doc_id"]
    sentences = sorted(sentences)
    starts = [start for start, _, _ in sentences]

    def sentence_index(position: int) -> int | None:
        index = bisect_right(starts, position) - 1
        return index if index >= 0 else (0 if sentences else None)

    quotations = []
    for q in find_quotations(text, [(s, e) for s, e, _ in sentences], mentions, rules, document.get("title")):
        quotations.append(
            {
                "quote_id": _row_id(f"quote:{q.kind}", doc_id, q.start, q.end),
                "doc_id": doc_id,
                "sentence_index": sentence_index(q.start),
                "start_char": q.start,
                "end_char": q.end,
                "quote_text": text[q.start : q.end],
                "kind": q.kind,
                "cue_text": text[q.cue_start : q.cue_end] if q.cue_start is not None else None,
                "speaker_text": q.speaker_text,
                "speaker_start_char": q.speaker_start,
                "speaker_end_char": q.speaker_end,
                "speaker_entity_id": q.speaker_entity_id,
                "speaker_resolution": q.speaker_resolution,
                "speaker_name": q.speaker_name,
                "sentiment": _quote_sentiment(q.start, q.end, sentences),
                "extraction_fingerprint": fingerprint,
            }
        )
    amounts = [
        {
            "amount_id": _row_id(f"amount:{a.kind}", doc_id, a.start, a.end),
            "doc_id": doc_id,
            "sentence_index": sentence_index(a.start),
            "start_char": a.start,
            "end_char": a.end,
            "mention_text": text[a.start : a.end],
            "kind": a.kind,
            "value": a.value,
            "currency": a.currency,
            "is_approximate": a.is_approximate,
            "extraction_fingerprint": fingerprint,
        }
        for a in find_amounts(text, rules)
    ]
    anchor = document["published_at"]
    precision = document["published_at_precision"]
    dates = [
        {
            "date_mention_id": _row_id(f"date:{d.kind}", doc_id, d.start, d.end),
            "doc_id": doc_id,
            "sentence_index": sentence_index(d.start),
            "start_char": d.start,
            "end_char": d.end,
            "mention_text": text[d.start : d.end],
            "kind": d.kind,
            "resolved_date": d.resolved_date,
            "granularity": d.granularity,
            "anchor_date": anchor.date() if anchor is not None and d.kind == "relative" and d.status == "resolved" else None,
            "status": d.status,
            "extraction_fingerprint": fingerprint,
        }
        for d in find_dates(text, rules, anchor, precision)
    ]
    return quotations, amounts, dates


def extract(
    documents: pl.DataFrame,
    sentences: pl.DataFrame,
    mentions: pl.DataFrame,
    rules: dict[str, LanguageRules],
    fingerprint: str,
    previous: tuple[pl.DataFrame | None, pl.DataFrame | None, pl.DataFrame | None] = (None, None, None),
    map_batches: Callable[[Callable[[pl.DataFrame], Any], pl.DataFrame], list[Any]] = lambda function, frame: [function(frame)],
) -> Extracted:
    """The three tables for the current documents of `documents` (core.documents rows).

    `fingerprint` names the rules and code; each row records it with the document's analysis
    fingerprint (its sentences and mentions). `previous` are the last run's three tables: rows of
    documents they hold under the same fingerprints are kept, the other documents extracted.
    `map_batches(function, frame)` applies `function` to batches of `frame` and returns the results
    in batch order (the worker pool's `map_frame`; by default the whole frame in this process)."""
    current = documents.filter(pl.col("is_current")) if "is_current" in documents.columns else documents
    current = current.with_columns(
        pl.concat_str(pl.lit(fingerprint), pl.col("analysis_fingerprint").fill_null(""), separator=":").alias("_fp")
        if "analysis_fingerprint" in current.columns
        else pl.lit(fingerprint).alias("_fp")
    )
    if "title" not in current.columns:
        current = current.with_columns(pl.lit(None, dtype=pl.String).alias("title"))
    done = _documents_done(current, previous)
    fresh = current.join(done, on=["doc_id", "_fp"], how="anti").filter(pl.col("language").is_in(list(rules)))
    fresh_ids = fresh.select("doc_id")
    nested_sentences = (
        sentences.join(fresh_ids, on="doc_id", how="semi")
        .group_by("doc_id")
        .agg(pl.struct("start_char", "end_char", "sentiment").alias("sentences"))
    )
    nested_mentions = (
        mentions.join(fresh_ids, on="doc_id", how="semi")
        .filter(pl.col("field") == "text")
        .group_by("doc_id")
        .agg(pl.struct("start_char", "end_char", "label", "mention_text", "entity_id").alias("mentions"))
    )
    batches = (
        fresh.select(*DOCUMENT_INPUTS, "_fp")
        .join(nested_sentences, on="doc_id", how="left")
        .join(nested_mentions, on="doc_id", how="left")
        .sort("doc_id")
    )
    results = map_batches(functools.partial(extract_batch, rules=rules), batches) if batches.height else []
    rows: tuple[list[dict], list[dict], list[dict]] = ([], [], [])
    for result in results:
        for collected, part in zip(rows, result, strict=True):
            collected.extend(part)
    tables = []
    for table, collected, old in zip((QUOTATIONS, AMOUNTS, DATE_MENTIONS), rows, previous, strict=True):
        new = pl.DataFrame(collected, schema=table.polars_schema)
        kept = (
            old.join(done.rename({"_fp": "extraction_fingerprint"}), on=["doc_id", "extraction_fingerprint"], how="semi")
            .select(table.column_names)
            .cast(table.polars_schema)
            if old is not None and done.height
            else table.empty()
        )
        tables.append(pl.concat([kept, new]).sort("doc_id", "start_char", "end_char", table.key[0]))
    return Extracted(*tables, n_extracted=fresh.height, n_reused=done.height)


def extract_batch(batch: pl.DataFrame, rules: dict[str, LanguageRules]) -> tuple[list[dict], list[dict], list[dict]]:
    """The rows of a batch of documents (DOCUMENT_INPUTS, `_fp`, and their `sentences` and
    `mentions` as lists of structs): what a worker process runs."""
    rows: tuple[list[dict], list[dict], list[dict]] = ([], [], [])
    for document in batch.iter_rows(named=True):
        sentences = [(s["start_char"], s["end_char"], s["sentiment"]) for s in document["sentences"] or []]
        mentions = [
            Mention(m["start_char"], m["end_char"], m["label"], m["mention_text"], m["entity_id"])
            for m in document["mentions"] or []
        ]
        parts = extract_document(document, sentences, mentions, rules[document["language"]], document["_fp"])
        for collected, part in zip(rows, parts, strict=True):
            collected.extend(part)
    return rows


def _documents_done(current: pl.DataFrame, previous: tuple[pl.DataFrame | None, ...]) -> pl.DataFrame:
    """(doc_id, _fp) of current documents the last run extracted with the same fingerprints: those
    with a row in one of its tables. A document with nothing to extract has no row anywhere and is
    extracted again next run: cheap, and the result is the same."""
    found = [
        frame.select("doc_id", pl.col("extraction_fingerprint").alias("_fp"))
        for frame in previous
        if frame is not None and "extraction_fingerprint" in frame.columns
    ]
    if not found or any(frame is None for frame in previous):
        return pl.DataFrame(schema={"doc_id": pl.String, "_fp": pl.String})
    return pl.concat(found).unique().join(current.select("doc_id", "_fp"), on=["doc_id", "_fp"], how="semi")
