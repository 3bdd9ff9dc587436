"""Unattended operation: runs whose process died are failed, and the run history stays bounded.

A run killed by `kill -9`, the out-of-memory killer or a reboot cannot record its own end: its
Dagster record would stay "started" for ever and, with the one-run-at-a-time queue of
`config/dagster.yaml`, every run after it would wait behind it. So every run says which process
executes it: `python -m pipelines` tags the runs it creates, and the `Warehouse` resource tags
every run (whatever started it) when its resources start, with the process id, the process's
start time and the host (`process_tags`). `fail_dead_runs` finds the runs still in progress whose
process is gone (a recycled pid is told apart by its start time) and reports them failed, with
the reason. It runs when `python -m pipelines` starts, and every 30 seconds in the daemon of
`make ui` (the `run_housekeeping` sensor), so the queue moves on by itself. Runs that never got a
process (stuck starting) are Dagster's run monitoring's, enabled in `config/dagster.yaml`.

`prune_history` deletes finished runs, with their events, older than `NEWS_HISTORY_DAYS` or
beyond the newest `NEWS_HISTORY_MAX_RUNS`; Dagster's own retention settings
(`config/dagster.yaml`) bound the schedule and sensor ticks.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import psutil

from pipelines.settings import int_setting

PID_TAG = "news_warehouse/pid"
PROCESS_STARTED_TAG = "news_warehouse/process_started"
HOST_TAG = "news_warehouse/host"
IN_PROGRESS = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
FINISHED = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]


def process_tags(pid: int | None = None) -> dict[str, str]:
    """The tags that name the process executing a run: this one unless `pid` is given."""
    process = psutil.Process(pid or os.getpid())
    return {
        PID_TAG: str(process.pid),
        PROCESS_STARTED_TAG: f"{process.create_time():.2f}",
        HOST_TAG: socket.gethostname(),
    }


def process_is_alive(tags: dict[str, str]) -> bool | None:
    """Whether the process the tags name still runs: None when they name none, or another host."""
    if PID_TAG not in tags or tags.get(HOST_TAG) != socket.gethostname():
        return None
    try:
        process = psutil.Process(int(tags[PID_TAG]))
        alive = process.status() != psutil.STATUS_ZOMBIE
        started = float(tags.get(PROCESS_STARTED_TAG, "nan"))
        return alive and abs(process.create_time() - started) < 1.0  # else a new process with the same pid
    except (psutil.NoSuchProcess, ValueError):
        return False
    except psutil.AccessDenied:  # it exists; someone else's
        return True


@dataclass(frozen=True)
class DeadRun:
    run_id: str
    job_name: str
    reason: str


def fail_dead_runs(instance: dg.DagsterInstance) -> list[DeadRun]:
    """Report failed every run in progress whose process is gone; return them."""
    dead = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=IN_PROGRESS)):
        run = record.dagster_run
        if process_is_alive(dict(run.tags)) is not False:
            continue
        reason = (
            f"the process that ran it (pid {run.tags[PID_TAG]} on {run.tags[HOST_TAG]}) ended without recording "
            "the run's end (killed, out of memory or a reboot); the published warehouse was left as it was"
        )
        instance.report_run_failed(run, message=f"Run failed: {reason}")
        dead.append(DeadRun(run.run_id, run.job_name, reason))
    return dead


@dataclass(frozen=True)
class Retention:
    days: int
    max_runs: int

    @classmethod
    def from_settings(cls) -> Retention:
        return cls(days=int_setting("NEWS_HISTORY_DAYS"), max_runs=int_setting("NEWS_HISTORY_MAX_RUNS"))


def prune_history(instance: dg.DagsterInstance, retention: Retention, now: float | None = None) -> int:
    """Delete the finished runs (and their events) older than `retention.days`, or beyond the
    newest `retention.max_runs`; return how many. Runs in progress or queued are never touched."""
    cutoff = (now if now is not None else time.time()) - retention.days * 86400
    records = instance.get_run_records(filters=dg.RunsFilter(statuses=FINISHED))  # newest first
    doomed = [
        record.dagster_run.run_id
        for index, record in enumerate(records)
        if index >= retention.max_runs or record.create_timestamp.timestamp() < cutoff
    ]
    for run_id in doomed:
        delete_run_entirely(instance, run_id)
    return len(doomed)


def _delete_check_executions(instance: dg.DagsterInstance, run_id: str) -> None:
    """Asset-check results stay in SQL event storage's `asset_check_executions` after
    `delete_run` (about 75 rows a run on the seeds, an unbounded table otherwise)."""
    index_connection = getattr(instance.event_log_storage, "index_connection", None)
    if index_connection is None:
        return
    import sqlalchemy

    with index_connection() as connection:
        connection.execute(
            sqlalchemy.text("delete from asset_check_executions where run_id = :run_id"), {"run_id": run_id}
        )


def delete_run_entirely(instance: dg.DagsterInstance, run_id: str) -> None:
    """`instance.delete_run` (the run and its events), plus what it leaves on disk: the run's
    captured stdout/stderr and, with SQLite storage, its now empty event database file."""
    instance.delete_run(run_id)
    _delete_check_executions(instance, run_id)
    instance.compute_log_manager.delete_logs(prefix=[run_id])
    path_for_shard = getattr(instance.event_log_storage, "path_for_shard", None)  # SQLite: a file per run
    if path_for_shard is not None:
        Path(path_for_shard(run_id)).unlink(missing_ok=True)
