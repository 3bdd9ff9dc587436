"""`make status`: the last run, the published warehouse's age, runs queued and running, the last alert.

    python -m pipelines.status

Reads the Dagster instance of DAGSTER_HOME and the files beside NEWS_WAREHOUSE_PATH; changes nothing.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

import dagster as dg

from pipelines.alerts import alert_log_path, last_alert
from pipelines.run_health import IN_PROGRESS
from pipelines.warehouse import Warehouse


def _age(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h {minutes % 60} min" if hours < 48 else f"{hours // 24} days"


def _documents_added(instance: dg.DagsterInstance, run_id: str) -> str:
    """What the run's core/documents materialization says it put through the NLP, if it has one."""
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION).records
    for record in records:
        materialization = record.event_log_entry.dagster_event.step_materialization_data.materialization
        if materialization.asset_key == dg.AssetKey(["core", "documents"]):
            value = materialization.metadata.get("documents_through_nlp")
            return str(getattr(value, "value", value)) if value is not None else "?"
    return "none (no documents step)"


def report(instance: dg.DagsterInstance, warehouse: Warehouse) -> list[str]:
    lines = []
    records = instance.get_run_records(limit=1)
    if records:
        record = records[0]
        run = record.dagster_run
        started = record.start_time or record.create_timestamp.timestamp()
        when = datetime.fromtimestamp(started, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        took = f"{record.end_time - started:.1f} s" if record.end_time else "still going"
        lines.append(f"last run:          {run.run_id} {run.status.value} at {when}, {took}")
        lines.append(f"documents added:   {_documents_added(instance, run.run_id)}")
    else:
        lines.append("last run:          none yet")
    path = warehouse.published_path
    if path.exists():
        lines.append(f"published:         {path}, {_age(time.time() - path.stat().st_mtime)} old")
    else:
        lines.append(f"published:         nothing yet at {path}")
    queued = instance.get_run_records(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.QUEUED]))
    running = instance.get_run_records(filters=dg.RunsFilter(statuses=IN_PROGRESS))
    lines.append(f"queued / running:  {len(queued)} / {len(running)}")
    lines.append(f"last alert:        {last_alert(alert_log_path(path)) or 'none'}")
    return lines


def main() -> int:
    with dg.DagsterInstance.get() as instance:
        print("\n".join(report(instance, Warehouse())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
