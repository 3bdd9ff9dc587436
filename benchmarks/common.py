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
