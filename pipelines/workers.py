"""Worker processes for the CPU-bound stages (cleaning, language detection, NLP, sentiment).

Batches of documents go to a pool of processes that each load a model once and keep it for the
run; results come back in batch order, so the output never depends on the number of workers or on
which worker was faster. Small inputs stay in the run's own process: starting workers costs more
than it saves below a few hundred documents.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import polars as pl
import spacy
from spacy.language import Language

from pipelines import forkserver
from transforms.analysis import LanguagePipeline, TextAnalysis, analyse_texts_or_record_failures
from transforms.documents import sequential_map
from transforms.entities import LINE_BREAKS, WatchlistEntry, add_watchlist_ruler
from transforms.sentiment import SentimentScorer, build_scorers

# spaCy components the pipeline never uses; NER and senter carry their own embeddings.
UNUSED_COMPONENTS = ("tok2vec", "tagger", "morphologizer", "parser", "attribute_ruler", "lemmatizer")


class WorkerMap:
    """Maps a function over batches of rows, in worker processes when there are enough rows.

    Enough is `min_documents`, or two batches when the fork server was started early with the
    models loaded (`python -m pipelines`): a worker then costs a fork, not a model load."""

    def __init__(self, processes: int, min_documents: int):
        self.max_processes = processes
        self.min_documents = min_documents
        self.processes_used = 1
        self._pool: ProcessPoolExecutor | None = None

    def __call__(self, function: Callable[[Any], Any], batches: list[Any]) -> list[Any]:
        n_documents = sum(len(batch) for batch in batches)
        enough = n_documents >= self.min_documents or (forkserver.started_early() and len(batches) > 1)
        if self.max_processes <= 1 or not enough:
            return sequential_map(function, batches)
        if self._pool is None:
            # Never fork the run's process: Polars' and DuckDB's native thread pools do not
            # survive a fork, and a worker would wait on them forever (see pipelines.forkserver).
            self.processes_used = min(self.max_processes, len(batches))
            self._pool = ProcessPoolExecutor(max_workers=self.processes_used, mp_context=forkserver.context())
        return list(self._pool.map(function, batches))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


@dataclass(frozen=True)
class NlpSettings:
    """Everything a worker needs to build the analysis pipelines itself."""

    models: tuple[tuple[str, str], ...]  # (language, spaCy package)
    watchlist: tuple[WatchlistEntry, ...]
    sentiment_backends: tuple[tuple[str, str], ...]  # (language, backend)
    batch_size: int = 16


@functools.lru_cache(maxsize=8)
def load_pipeline(model: str, watchlist: tuple[WatchlistEntry, ...]) -> Language:
    """Load a spaCy pipeline once per process, with only senter and NER, and the watchlist ruler."""
    nlp = spacy.load(model, exclude=list(UNUSED_COMPONENTS))
    if "senter" in nlp.disabled:
        nlp.enable_pipe("senter")
    if "senter" not in nlp.pipe_names and "sentencizer" not in nlp.pipe_names:
        nlp.add_pipe("sentencizer", first=True)
    splitter = "senter" if "senter" in nlp.pipe_names else "sentencizer"
    nlp.add_pipe(LINE_BREAKS, after=splitter)
    return add_watchlist_ruler(nlp, watchlist)


@functools.lru_cache(maxsize=32)
def _blank_pipeline(language: str) -> LanguagePipeline:
    try:
        blank = spacy.blank(language)
    except Exception:  # spaCy has no tokenizer for this code (or it is 'und')
        blank = spacy.blank("xx")
    blank.add_pipe("sentencizer")
    blank.add_pipe(LINE_BREAKS)
    return LanguagePipeline(f"blank:{blank.lang}", blank, has_ner=False)


def language_pipelines(languages: list[str], settings: NlpSettings) -> dict[str, LanguagePipeline]:
    """The configured pipeline for each language, else a blank one that only splits sentences."""
    registry = dict(settings.models)
    pipelines = {}
    for language in languages:
        model = registry.get(language)
        if model is None:
            pipelines[language] = _blank_pipeline(language)
        else:
            pipelines[language] = LanguagePipeline(model, load_pipeline(model, settings.watchlist), has_ner=True)
    return pipelines


@functools.lru_cache(maxsize=4)
def sentiment_scorers(backends: tuple[tuple[str, str], ...]) -> dict[str, SentimentScorer]:
    return build_scorers(dict(backends))


def analyse_batch(batch: pl.DataFrame, settings: NlpSettings) -> TextAnalysis:
    """Analyse one batch of documents with the pipelines of their languages (run in a worker)."""
    languages = sorted(batch.get_column("language").unique().to_list())
    return analyse_texts_or_record_failures(
        batch,
        language_pipelines(languages, settings),
        sentiment_scorers(settings.sentiment_backends),
        batch_size=settings.batch_size,
    )
