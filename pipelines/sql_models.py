"""The dbt project in sql/ as Dagster assets: staging views and marts, dbt tests as asset checks."""

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from pipelines.assets import OWNERS
from pipelines.resources import Warehouse, markdown_preview, quote_identifier

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
dbt_project = DbtProject(project_dir=SQL_DIR, profiles_dir=SQL_DIR)


class NewsDbtTranslator(DagsterDbtTranslator):
    """Asset keys are DuckDB `schema.table`, so lineage joins the Python assets' `core.*` keys."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["config"]["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return None
        return "sql_" + dbt_resource_props["config"]["schema"]

    def get_owners(self, dbt_resource_props: Mapping[str, Any]):
        return OWNERS


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    """Expose values to the dbt subprocess (its profile reads NEWS_WORK_DATABASE), then restore."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=NewsDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
)
def sql_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
    """dbt build of sql/ on the working database: staging views, marts tables, dbt tests."""
    with _environment(NEWS_WORK_DATABASE=str(warehouse.work_path)):
        # dbt holds the DuckDB file while it runs: collect its events, then read row counts and
        # previews of the models it built once it has let go.
        # dbt's artefacts and logs go beside the warehouse too, not into the project folder
        target = warehouse.work_path.parent / "dbt"  # one run at a time (RunLock): one folder
        events = list(dbt.cli(["build"], context=context, target_path=target).stream())
    with warehouse.connect(read_only=True) as connection:
        for event in events:
            if isinstance(event, dg.Output):
                schema, table = context.asset_key_for_output(event.output_name).path[-2:]
                relation = f"{quote_identifier(schema)}.{quote_identifier(table)}"
                rows = connection.execute(f"select count(*) from {relation}").fetchone()[0]
                preview = connection.execute(f"select * from {relation} limit 5").pl()
                event = event.with_metadata(
                    {
                        **event.metadata,
                        "dagster/row_count": rows,
                        "preview": dg.MetadataValue.md(markdown_preview(preview)),
                    }
                )
            yield event
