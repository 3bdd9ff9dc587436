"""The Dagster definitions of News Warehouse: one job over every asset, a schedule and a sensor."""

import base64
import sys
from pathlib import Path

import dagster as dg

from pipelines.alerts import Alert, alert_for_failed_run, alert_log_path, send_alert
from pipelines.assets import OWNERS, analyse, asset_key, extract, ingest, link_stories, prepare
from pipelines.checks import CHECKS
from pipelines.resources import (
    CleaningRules,
    ExtractionRules,
    LanguageDetection,
    NlpModels,
    SourceFolder,
    StoryLinking,
    Workers,
)
from pipelines.run_health import Retention, fail_dead_runs, prune_history
from pipelines.sources import fingerprint_source_folder
from pipelines.sql_models import DbtCli, dbt_project, dbt_project_fingerprint, sql_models
from pipelines.warehouse import Warehouse, WarehouseIOManager
from transforms import schema
from transforms.report import CHART_ENTITIES, render_entity_chart, render_report_html

SUMMARY_TABLES = (
    "core.documents",
    "core.rejected_documents",
    "core.entities",
    "core.entity_mentions",
    "core.story_links",
)


@dg.asset(
    key="published_warehouse",
    group_name="publish",
    owners=OWNERS,
    kinds={"duckdb"},
    deps=[*sql_models.keys, *(asset_key(table) for table in schema.TABLES)],
)
def published_warehouse(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """The DuckDB file analysts open: a complete copy of the working database, renamed into place."""
    warehouse.record_published_state(warehouse.input_state(dbt_project_fingerprint()))
    path = warehouse.publish(log=context.log)
    with warehouse.read_published() as connection:
        counts = {table: connection.execute(f"select count(*) from {table}").fetchone()[0] for table in SUMMARY_TABLES}
    context.log.info(f"published {path}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "size_bytes": path.stat().st_size,
            **{f"rows_{table.replace('.', '_')}": int(count) for table, count in counts.items()},
        }
    )


@dg.asset(
    key=["report", "entity_report"],
    group_name="publish",
    owners=OWNERS,
    kinds={"svg", "html"},
    deps=[published_warehouse],
)
def entity_report(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """The picture of the warehouse: an SVG chart of the most-mentioned entities and their tone, and
    a static HTML page (top entities, tone by language, documents) in `<warehouse folder>/report/`."""
    with warehouse.read_published() as connection:
        entities = connection.execute("select * from marts.entity_overview").pl()
        coverage = connection.execute("select * from marts.coverage_by_language").pl()
        documents = connection.execute("select * from marts.document_overview").pl()
        stories = connection.execute("select * from marts.story_overview").pl()
    chart = render_entity_chart(entities).encode("utf-8")
    page = render_report_html(entities, coverage, documents, chart_file="entities.svg", stories=stories)
    folder = warehouse.publish_report({"entities.svg": chart, "index.html": page.encode("utf-8")})
    return dg.MaterializeResult(
        metadata={
            "report": dg.MetadataValue.path(str(folder / "index.html")),
            "chart": dg.MetadataValue.md(f"![entities](data:image/svg+xml;base64,{base64.b64encode(chart).decode()})"),
            "entities_charted": min(entities.height, CHART_ENTITIES),
        }
    )


news_warehouse_job = dg.define_asset_job(
    "news_warehouse",
    selection=dg.AssetSelection.all(),
    description="Ingest the source folder, clean, analyse, build the SQL models and publish the warehouse.",
)

daily_schedule = dg.ScheduleDefinition(
    name="daily_news_warehouse",
    job=news_warehouse_job,
    cron_schedule="0 6 * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Rebuild the warehouse every day at 06:00.",
)


@dg.sensor(job=news_warehouse_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def source_folder_sensor(context: dg.SensorEvaluationContext, source: SourceFolder, warehouse: Warehouse):
    """Start a run when files in the source folder are added, changed or removed."""
    fingerprint = fingerprint_source_folder(source.root)
    if fingerprint == context.cursor:
        return dg.SkipReason("the source folder has not changed")
    first_look = context.cursor is None
    context.update_cursor(fingerprint)
    if first_look and warehouse.published_path.exists():
        return dg.SkipReason("first look at the source folder; the warehouse already exists")
    return dg.RunRequest(run_key=fingerprint)


@dg.sensor(minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def run_housekeeping(context: dg.SensorEvaluationContext):
    """Every 30 s in the daemon: fail the runs whose process died (so the one-at-a-time queue moves
    on) and alert about them; delete finished runs beyond the history's retention."""
    alerts = alert_log_path(Warehouse().published_path)
    dead = fail_dead_runs(context.instance)
    for run in dead:
        send_alert(Alert(run.run_id, run.job_name, run.reason), alerts)
    pruned = prune_history(context.instance, Retention.from_settings())
    return dg.SkipReason(f"{len(dead)} dead runs marked failed, {pruned} old runs deleted")


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    monitor_all_code_locations=True,
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def alert_on_run_failure(context: dg.RunFailureSensorContext):
    """A failed run (a step error, a failed blocking check, a dead process): an alert line in
    `alerts.log` beside the warehouse, and a post to NEWS_ALERT_WEBHOOK when set."""
    run = context.dagster_run
    events = [
        record.event_log_entry.dagster_event for record in context.instance.get_records_for_run(run.run_id).records
    ]
    alert = alert_for_failed_run(run.run_id, run.job_name, [event for event in events if event is not None])
    send_alert(alert, alert_log_path(Warehouse().published_path))


WAREHOUSE = Warehouse()

defs = dg.Definitions(
    assets=[ingest, prepare, analyse, link_stories, extract, sql_models, published_warehouse, entity_report],
    asset_checks=CHECKS,
    jobs=[news_warehouse_job],
    schedules=[daily_schedule],
    sensors=[source_folder_sensor, run_housekeeping, alert_on_run_failure],
    executor=dg.in_process_executor,
    # Every setting left unset is read from the environment when the run uses it, with the
    # defaults of pipelines/settings.py; the warehouse is configured once and shared.
    resources={
        "warehouse": WAREHOUSE,
        "io_manager": WarehouseIOManager(warehouse=WAREHOUSE),
        "source": SourceFolder(),
        "cleaning_rules": CleaningRules(),
        "language_detection": LanguageDetection(),
        "nlp_models": NlpModels(),
        "story_linking": StoryLinking(),
        "extraction_rules": ExtractionRules(),
        "workers": Workers(),
        "dbt": DbtCli(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).parent / "dbt")),
    },
)
