"""Helpers shared by the benchmark and evaluation scripts (never imported by the pipeline)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CORPORA = PROJECT_ROOT.parent / "shared" / "corpora"
NEWS_BENCH = CORPORA / "news_bench.jsonl.gz"
DEV = CORPORA / "dev"


def read_news_bench(limit: int | None = None) -> Iterator[dict]:
    """The first `limit` articles of news_bench.jsonl.gz, in file order."""
    with gzip.open(NEWS_BENCH, "rt", encoding="utf-8") as handle:
        for index, line in enumerate(handle):
            if limit is not None and index >= limit:
                return
            yield json.loads(line)


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write_articles(records: list[dict], folder: Path) -> int:
    """Write each record's text to `<folder>/<language>/<id>.txt`; return the number of words."""
    words = 0
    for record in records:
        path = folder / record["language"] / f"{record['id']}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(record["text"], encoding="utf-8")
        words += len(record["text"].split())
    return words


def spread_sample(n: int) -> list[dict]:
    """`n` articles taken at even steps through news_bench (every language and source appears)."""
    records = list(read_news_bench())
    step = max(1, len(records) // n)
    return records[::step][:n]


def macro_f1(gold: list[str], predicted: list[str], labels) -> float:
    """Mean over `labels` of each label's F1 (a label never predicted nor in gold counts 0)."""
    scores = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if p == label != g)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label != p)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores)
