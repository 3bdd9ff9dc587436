"""Imported once by the workers' fork server (see `pipelines.forkserver`): load what workers use.

The configured spaCy pipelines with the watchlist, the sentiment scorers and the langdetect
profiles are loaded into the caches the workers read (`load_pipeline`, `sentiment_scorers`,
`_factory`), from the same settings the run reads. Loading is an optimisation only: anything that
fails here is left for the worker that needs it, which loads it itself and reports the error.
"""

from pathlib import Path

from pipelines.settings import parse_mapping, setting
from pipelines.workers import load_pipeline, sentiment_scorers
from transforms.entities import parse_watchlist
from transforms.language import _factory


def _preload() -> None:
    try:
        _factory(0)  # LanguageDetection's default seed
        watchlist = parse_watchlist(Path(setting("NEWS_WATCHLIST_PATH")).read_text(encoding="utf-8"))
        for model in sorted(set(parse_mapping(setting("NEWS_SPACY_MODELS")).values())):
            load_pipeline(model, watchlist)
        sentiment_scorers(tuple(sorted(parse_mapping(setting("NEWS_SENTIMENT_BACKENDS")).items())))
    except Exception:  # noqa: BLE001 - an optimisation; the worker reports real errors
        pass


_preload()
