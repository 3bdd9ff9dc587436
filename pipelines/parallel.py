"""Where work is parallelised: batches of documents over worker processes.

The CPU-bound stages (cleaning and language detection, then NLP and sentiment) hand their new
documents to a `WorkerPool`. It slices them into batches, sends the batches to worker processes
and returns the results in batch order, so the output never depends on the number of workers or
on which was faster. Below `min_documents` new documents the work stays in the run's process
(starting workers costs more than it saves); the choice depends on the input and the settings
only, never on how the run was started, and each stage's metadata says which it made.

Workers are forked from a fork server rather than from the run's process (Polars' and DuckDB's
native thread pools do not survive a fork: a forked worker waits on them forever) and rather
than spawned (a spawned worker would import spaCy and load every model itself). The server
imports `pipelines.worker_preload` once, which calls `preload()` below: the configured spaCy
pipelines, scorers and langdetect profiles are then in memory before any worker exists, shared
copy-on-write by every worker forked from it. Each worker still receives the run's own settings
(from its resources) and loads anything the preload did not; the preload is only a head start.
`python -m pipelines` starts the server first thing (`start_fork_server`), so the models load
on an otherwise idle core while the run's process imports Dagster and dbt.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import forkserver
from multiprocessing.context import BaseContext
from typing import Any, TypeVar

from pipelines.settings import int_setting, parse_mapping, setting, worker_count

T = TypeVar("T")

PRELOAD_MODULE = "pipelines.worker_preload"
# Each worker is one process on one core: numerical libraries must not start threads of their own.
SINGLE_THREADED = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def split_batches(frame: Any, size: int) -> list[Any]:
    """Consecutive slices of a Polars frame of at most `size` rows (none for an empty frame), a
    quarter of that over the last `2 × size` rows: workers then run out of work at nearly the same
    time."""
    if size < 1:
        raise ValueError(f"batches need at least one document, got {size}")
    tail = max(0, frame.height - 2 * size)
    offsets = [*range(0, tail, size), *range(tail, frame.height, max(1, size // 4))]
    ends = [*offsets[1:], frame.height][: len(offsets)]
    return [frame.slice(start, end - start) for start, end in zip(offsets, ends, strict=True)]


class WorkerPool:
    """Applies functions to batches of a frame's rows, in worker processes when there are enough.

    `map_frame` has the signature of `transforms.documents.FrameMap`. Worker processes start on
    the first call that needs them and stop when `close()` is called; each loads the models a
    batch needs on first use (`transforms.nlp` caches them per process). `log`, when given,
    receives a progress line now and then over long work.
    """

    def __init__(
        self,
        processes: int,
        min_documents: int,
        documents_per_batch: int,
        *,
        log: Any = None,
        context: BaseContext | None = None,
    ):
        self.max_processes = processes
        self.min_documents = min_documents
        self.documents_per_batch = documents_per_batch
        self.log = log
        self.processes_used = 1
        self._context = context
        self._pool: ProcessPoolExecutor | None = None

    def uses_workers(self, n_documents: int) -> bool:
        """Whether `n_documents` new documents go to worker processes."""
        return (
            self.max_processes > 1
            and n_documents >= self.min_documents
            and n_documents > self.documents_per_batch  # at least two batches
        )

    def describe(self) -> str:
        """What the pool did, for a stage's metadata."""
        if self._pool is None:
            return f"in the run's process (fewer than {self.min_documents} new documents, or one worker)"
        return f"{self.processes_used} worker processes"

    def map_frame(self, function: Callable[[Any], T], frame: Any, *, label: str = "documents") -> list[T]:
        """`function` applied to consecutive batches of `frame`'s rows, results in batch order."""
        batches = split_batches(frame, self.documents_per_batch)
        if not batches:
            return []
        progress = _progress(self.log, label, frame.height)
        mapped = self._in_workers(function, batches) if self.uses_workers(frame.height) else map(function, batches)
        results = []
        for batch, result in zip(batches, mapped, strict=True):
            results.append(result)
            progress.advance(batch.height)
        progress.finish()
        return results

    def _in_workers(self, function: Callable[[Any], T], batches: list[Any]) -> Iterator[T]:
        """The results of `function` over `batches` from the workers, in batch order."""
        return self._executor(len(batches)).map(function, batches)

    def _executor(self, n_batches: int) -> ProcessPoolExecutor:
        if self._pool is None:
            self.processes_used = min(self.max_processes, n_batches)
            self._pool = ProcessPoolExecutor(
                max_workers=self.processes_used,
                mp_context=self._context or fork_server_context(),
            )
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _progress(log: Any, label: str, total: int):
    if log is None:
        return _NoProgress()
    from pipelines.progress import Progress

    return Progress(log, label, total)


class _NoProgress:
    def advance(self, n: int) -> None:
        pass

    def finish(self) -> None:
        pass


def fork_server_context() -> BaseContext:
    """The multiprocessing context of the worker pools: forks from the preloading fork server."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([PRELOAD_MODULE])
    return context


def start_fork_server() -> None:
    """Start the fork server now; it preloads the models in the background while this process goes on."""
    fork_server_context()
    forkserver.ensure_running()


def ray_address() -> str:
    """NEWS_RAY_ADDRESS, stripped: empty for the local pool."""
    return setting("NEWS_RAY_ADDRESS").strip()


def may_use_workers() -> bool:
    """Whether a run with the current settings may use workers: more than one worker (or a Ray
    cluster) and at least NEWS_PARALLEL_MIN_DOCUMENTS files in the source folder (an upper bound
    on new documents)."""
    try:
        if not ray_address() and worker_count(int_setting("NEWS_WORKERS")) <= 1:
            return False
        wanted, found = int_setting("NEWS_PARALLEL_MIN_DOCUMENTS"), 0
        for _, _, files in os.walk(setting("NEWS_SOURCE_DIR")):
            found += len(files)
            if found >= wanted:
                return True
    except (ValueError, OSError):  # a bad setting is reported by the run itself
        pass
    return False


def sentiment_overlays_of_environment() -> tuple[tuple[str, str], ...]:
    """(language, text) of each overlay file in NEWS_SENTIMENT_OVERLAYS, as the run's resource
    reads them: a warm-up builds the very scorers the workers will ask for."""
    from pathlib import Path

    folder = Path(setting("NEWS_SENTIMENT_OVERLAYS"))
    return tuple((file.stem, file.read_text(encoding="utf-8")) for file in sorted(folder.glob("*.toml")))


def preload() -> None:
    """Load, in the fork server, what workers will use with the settings of the environment (the
    ones the run's resources resolve unless configured otherwise). A failure is reported on
    standard error and left to the worker that needs the model, which then fails the run with it."""
    for name, value in SINGLE_THREADED.items():
        os.environ.setdefault(name, value)  # the fork server's own environment, before NumPy loads
    started = time.perf_counter()
    try:
        from pathlib import Path

        from transforms.entities import parse_watchlist
        from transforms.language import preload_profiles
        from transforms.nlp import NlpSettings, load_models

        preload_profiles(int_setting("NEWS_LANGUAGE_SEED"))
        watchlist = parse_watchlist(Path(setting("NEWS_WATCHLIST_PATH")).read_text(encoding="utf-8"))
        load_models(
            NlpSettings(
                models=tuple(sorted(parse_mapping(setting("NEWS_SPACY_MODELS")).items())),
                watchlist=watchlist,
                sentiment_backends=tuple(sorted(parse_mapping(setting("NEWS_SENTIMENT_BACKENDS")).items())),
                sentiment_overlays=sentiment_overlays_of_environment(),
            )
        )
    except Exception as error:  # noqa: BLE001 - a head start only; the workers report real errors
        print(f"worker preload: {type(error).__name__}: {error} (workers will load what they need)", file=sys.stderr)
    else:
        if os.environ.get("VERBOSE"):
            print(f"worker preload: models loaded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
