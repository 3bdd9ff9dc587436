"""The fork server the worker processes start from, warmed with the models they need.

Workers are forked from a fork server rather than from the run's process (Polars' and DuckDB's
native thread pools do not survive a fork) and rather than spawned (a spawned worker would import
spaCy and load every model itself). The server imports `pipelines.worker_preload` once, which
loads the configured spaCy pipelines, scorers and langdetect profiles; every worker forked from
it starts with them in memory, shared copy-on-write.

`start()` launches the server ahead of need: `python -m pipelines` calls it first thing, so the
models load on an otherwise idle core while the run's process is still importing Dagster.
Standard library only, so that calling it early costs nothing.
"""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing import forkserver
from multiprocessing.context import BaseContext

PRELOAD = ["pipelines.worker_preload"]
# Each worker is one process on one core: numerical libraries must not start threads of their own.
SINGLE_THREADED = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

_started_early = False


def context() -> BaseContext:
    """The multiprocessing context of the worker pools."""
    for name, value in SINGLE_THREADED.items():
        os.environ.setdefault(name, value)
    server_context = multiprocessing.get_context("forkserver")
    server_context.set_forkserver_preload(PRELOAD)
    return server_context


def start() -> None:
    """Start the fork server now; it preloads in the background while this process goes on."""
    global _started_early
    context()
    forkserver.ensure_running()
    _started_early = True


def started_early() -> bool:
    """Whether `start()` ran in this process: workers then cost a fork, not a model load."""
    return _started_early
