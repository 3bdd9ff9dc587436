"""The run behind `make run` (`python -m pipelines`): materialize every asset once and print a summary.

The run is recorded in the Dagster instance of DAGSTER_HOME, so it shows in the UI like any other,
with its full event log. The console gets one line per step (`pipelines.console`); with VERBOSE=1
in the environment (`make run VERBOSE=1`), Dagster's own console log of every event instead.
"""

from __future__ import annotations

import contextlib
import os
import sys
import uuid

import dagster as dg
import duckdb

from pipelines.alerts import Alert, alert_for_failed_run, alert_log_path, send_alert
from pipelines.console import dagster_internal_warnings, quiet_console_logger, straight_to_terminal, unsaid_lines
from pipelines.definitions import defs
from pipelines.run_health import Retention, fail_dead_runs, process_tags, prune_history
from pipelines.warehouse import Warehouse


def summarise(path) -> str:
    with duckdb.connect(str(path), read_only=True) as connection:
        documents = connection.execute("select count(*) from core.documents").fetchone()[0]
        languages = connection.execute(
            "select string_agg(language || ' ' || n, ', ' order by n desc, language) "
            "from (select language, count(*) as n from core.documents group by language)"
        ).fetchone()[0]
        rejected = connection.execute("select count(*) from core.rejected_documents").fetchone()[0]
        entities = connection.execute("select count(*) from core.entities").fetchone()[0]
        mentions = connection.execute("select count(*) from core.entity_mentions").fetchone()[0]
    return "\n".join(
        [
            f"documents:       {documents} ({languages or 'none'})",
            f"rejected files:  {rejected}",
            f"entities:        {entities} ({mentions} mentions)",
            f"warehouse:       {path}",
        ]
    )


def verbose() -> bool:
    """VERBOSE set to anything but '', 0, false or no: print Dagster's full event log."""
    return os.environ.get("VERBOSE", "").strip().lower() not in {"", "0", "false", "no"}


def job_and_run_config() -> tuple[dg.JobDefinition, dict]:
    """The job to execute and its run config: Dagster's console logger at DEBUG with VERBOSE,
    else the quiet console in its place (the event log in run storage is complete either way)."""
    job = defs.resolve_job_def("news_warehouse")
    if verbose():
        return job, {}
    return job.with_logger_defs({"quiet_console": quiet_console_logger}), {"loggers": {"quiet_console": {}}}


def main() -> int:
    job, run_config = job_and_run_config()
    run_id = str(uuid.uuid4())
    console = contextlib.ExitStack()
    if not verbose():
        console.enter_context(straight_to_terminal())  # not through Dagster's capture of step output
        console.enter_context(dagster_internal_warnings(run_id))
    alerts = alert_log_path(Warehouse().published_path)
    with dg.DagsterInstance.get() as instance:
        for dead in fail_dead_runs(instance):  # the queue must not wait behind a run that died
            print(f"run {dead.run_id} had died: marked failed ({dead.reason})", file=sys.stderr)
            send_alert(Alert(dead.run_id, dead.job_name, dead.reason), alerts)
        with console:
            result = job.execute_in_process(
                run_config=run_config, instance=instance, run_id=run_id, tags=process_tags(), raise_on_error=False
            )
        if not verbose():
            for line in unsaid_lines(run_id, result.all_events):
                print(line, file=sys.stderr)
        if not result.success:
            send_alert(alert_for_failed_run(run_id, job.name, result.all_events), alerts)
        prune_history(instance, Retention.from_settings())
    sys.stderr.flush()
    if not result.success:
        failed = sorted({event.step_key for event in result.all_events if event.is_step_failure})
        print(
            f"run {result.run_id} failed at {failed}; the published warehouse was left as it was (alert: {alerts})."
            + ("" if verbose() else " Its full event log: `make ui`, or again with `make run VERBOSE=1`."),
            file=sys.stderr,
        )
        return 1
    print(f"\nrun {result.run_id} succeeded")
    print(summarise(Warehouse().published_path), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
