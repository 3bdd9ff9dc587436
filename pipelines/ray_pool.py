"""The worker pool on a Ray cluster: the same batches, the same batch functions, other machines.

Set NEWS_RAY_ADDRESS to a running cluster (`host:port` of its head, or `ray://host:10001` from
outside it) and the CPU-bound stages (cleaning and language detection, NLP and sentiment,
extraction) send their batches to Ray actors instead of local worker processes: one actor per CPU
the cluster has (at most one per batch), each a long-lived process that loads the configured
spaCy pipelines, watchlist and scorers on its first batch and keeps them (`transforms.nlp` caches
them per process) and runs exactly the batch function a local worker runs. Results come back in
batch order (`ray.util.ActorPool.map`), so every table is the same whatever the backend, the
number of actors or which finished first. Unset, the local pool (`pipelines.parallel`) is used
and Ray is never imported: it is an optional dependency (`requirements-ray.lock`, installed by
`make test` and `make ray`).

The run's code goes with the job: `transforms/` and `pipelines/` are shipped to the cluster as
`py_modules` of the job's runtime environment (Ray caches them by content), so the actors run
the code whose fingerprints the run records; the cluster's nodes need the same Python packages
(the lock file's, with the spaCy pipelines) installed, as the deployment guide says
(docs/scale-out.md). Small inputs stay in the run's process, as with the local pool
(NEWS_PARALLEL_MIN_DOCUMENTS).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from pipelines.parallel import SINGLE_THREADED, WorkerPool, sentiment_overlays_of_environment

T = TypeVar("T")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_PACKAGES = ("transforms", "pipelines")


class BatchActor:
    """One Ray actor: a process on one CPU that runs batch functions (the class is wrapped with
    `ray.remote` when a pool starts, so importing this module does not need Ray)."""

    def __init__(self) -> None:
        for name, value in SINGLE_THREADED.items():
            os.environ.setdefault(name, value)

    def run(self, function: Callable[[Any], T], batch: Any) -> T:
        return function(batch)

    def warm_up(self, settings: Any, language_seed: int) -> None:
        """Load the models the NLP will use (the local pool's fork server does the same)."""
        from transforms.language import preload_profiles
        from transforms.nlp import load_models

        preload_profiles(language_seed)
        load_models(settings)

    def pid(self) -> int:
        return os.getpid()


class RayPool(WorkerPool):
    """`WorkerPool` (same batches, same order, same metadata) whose workers are Ray actors of the
    cluster at `address`."""

    def __init__(self, address: str, min_documents: int, documents_per_batch: int, *, log: Any = None):
        if not address.strip():
            raise ValueError("NEWS_RAY_ADDRESS is empty: unset it for the local pool, or give host:port or ray://host:port")
        super().__init__(0, min_documents, documents_per_batch, log=log)
        self.address = address.strip()
        self._cluster_cpus: int | None = None

    def uses_workers(self, n_documents: int) -> bool:
        """Whether `n_documents` new documents go to the cluster (enough for two batches, and at
        least NEWS_PARALLEL_MIN_DOCUMENTS)."""
        return n_documents >= self.min_documents and n_documents > self.documents_per_batch

    def describe(self) -> str:
        """What the pool did, for a stage's metadata (also after `close`)."""
        if self._cluster_cpus is None:
            return f"in the run's process (fewer than {self.min_documents} new documents)"
        return f"{self.processes_used} Ray actors on {self.address} (a cluster of {self._cluster_cpus} CPUs)"

    def _in_workers(self, function: Callable[[Any], T], batches: list[Any]) -> Iterator[T]:
        import ray
        from ray.util import ActorPool

        every = run_actors(self.address)
        self._cluster_cpus = _CLUSTER_CPUS[self.address]
        actors = every[: max(1, min(len(every), len(batches)))]
        ray.get([actor.pid.remote() for actor in actors])  # every actor up before the first batch
        self.processes_used = len(actors)
        return ActorPool(actors).map(lambda actor, batch: actor.run.remote(function, batch), batches)

    def close(self) -> None:
        """Nothing to stop: the run's actors serve every stage and end with the run's process (Ray
        stops a driver's actors when it disconnects)."""


_RUN_ACTORS: dict[str, list[Any]] = {}  # address → this run's actors, one per CPU of the cluster
_CLUSTER_CPUS: dict[str, int] = {}


def run_actors(address: str) -> list[Any]:
    """This process's actors on the cluster at `address`, started on first use and kept for the
    run: each stage reuses them (and the models they loaded) instead of starting its own."""
    if address not in _RUN_ACTORS:
        import ray

        connect(address)
        _CLUSTER_CPUS[address] = int(ray.cluster_resources().get("CPU", 1))
        remote = ray.remote(num_cpus=1)(BatchActor)
        _RUN_ACTORS[address] = [remote.remote() for _ in range(max(1, _CLUSTER_CPUS[address]))]
    return _RUN_ACTORS[address]


def start_warm(address: str) -> None:
    """At the start of `python -m pipelines` (before Dagster is imported), when the run may send
    work to the cluster: start the run's actors and have each load the models of the settings in
    the environment, while this process imports Dagster and the first stages run — as the local
    fork server preloads them. A failure here is left to the stage that needs the cluster, which
    reports it."""
    try:
        from pathlib import Path as _Path

        from pipelines.settings import int_setting, parse_mapping, setting
        from transforms.entities import parse_watchlist
        from transforms.nlp import NlpSettings

        settings = NlpSettings(
            models=tuple(sorted(parse_mapping(setting("NEWS_SPACY_MODELS")).items())),
            watchlist=parse_watchlist(_Path(setting("NEWS_WATCHLIST_PATH")).read_text(encoding="utf-8")),
            sentiment_backends=tuple(sorted(parse_mapping(setting("NEWS_SENTIMENT_BACKENDS")).items())),
            sentiment_overlays=sentiment_overlays_of_environment(),
        )
        for actor in run_actors(address):
            actor.warm_up.remote(settings, int_setting("NEWS_LANGUAGE_SEED"))  # not awaited: batches queue behind it
    except Exception:  # noqa: BLE001 - a head start only
        _RUN_ACTORS.pop(address, None)


def connect(address: str) -> None:
    """Connect this process to the cluster once (a second stage reuses the connection), shipping
    the project's packages with the job and keeping the workers single-threaded."""
    import ray

    if ray.is_initialized():
        return
    _probe(address)
    try:
        ray.init(
            address=address,
            runtime_env={
                "py_modules": [str(PROJECT_ROOT / name) for name in SHIPPED_PACKAGES],
                "env_vars": dict(SINGLE_THREADED),
            },
            logging_level="WARNING",
            log_to_driver=False,
        )
    except ConnectionError as error:
        raise ConnectionError(f"NEWS_RAY_ADDRESS={address}: no Ray cluster answers there ({error})") from None


def _probe(address: str, timeout: float = 10.0) -> None:
    """Fail at once, naming the setting, when nothing listens at the address (Ray itself retries
    for minutes before it gives up)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"NEWS_RAY_ADDRESS={address!r}: expected host:port or ray://host:port")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as error:
        raise ConnectionError(f"NEWS_RAY_ADDRESS={address}: no Ray cluster answers there ({error})") from None
