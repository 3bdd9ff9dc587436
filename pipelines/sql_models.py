"""The dbt project in sql/ as Dagster assets: staging views and marts, dbt tests as asset checks."""

import hashlib
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets
from dbt.version import __version__ as dbt_version
from packaging import version

from pipelines.assets import OWNERS
from pipelines.resources import Warehouse, markdown_preview, quote_identifier

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
dbt_project = DbtProject(project_dir=SQL_DIR, profiles_dir=SQL_DIR)
# Folders of sql/ that dbt writes, not part of the project's definition.
_GENERATED = {"target", "logs", "dbt_packages"}


class DbtCli(DbtCliResource):
    """dagster-dbt's CLI resource without two costs it pays on every invocation (≈7 s here).

    It asks `dbt --version` in a subprocess; the dbt it runs is the dbt-core package this process
    imports, so the version is read from the package. And it opens an in-process adapter that
    only serves `fetch_column_metadata()`/`fetch_row_counts()`, which this project does not use
    (row counts and previews are read after the build, below)."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(dbt_version)

    def _initialize_dbt_core_adapter(self, args):
        return None


def dbt_project_fingerprint() -> str:
    """A hash of the dbt project's own files (models, tests, macros, configuration)."""
    digest = hashlib.sha256()
    for path in sorted(SQL_DIR.rglob("*")):
        relative = path.relative_to(SQL_DIR)
        if path.is_file() and relative.parts[0] not in _GENERATED:
            digest.update(str(relative).encode() + b"\x1f" + path.read_bytes() + b"\x1e")
    return digest.hexdigest()[:16]


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
def sql_models(context: dg.AssetExecutionContext, dbt: DbtCli, warehouse: Warehouse):
    """dbt build of sql/ on the working database: staging views, marts tables, dbt tests.

    Skipped, with publishing and the report after it, when the published warehouse was built from
    the same core tables and the same dbt project: a rerun on unchanged input then costs nothing."""
    state = warehouse.input_state(dbt_project_fingerprint())
    if warehouse.published_state() == state:
        context.log.info(
            "the core tables and the dbt project are those the published warehouse was built from: "
            "the SQL models, publishing and the report are left as they are"
        )
        return
    with _environment(NEWS_WORK_DATABASE=str(warehouse.work_path)):
        # dbt holds the DuckDB file while it runs: collect its events, then read row counts and
        # previews of the models it built once it has let go.
        # dbt's artefacts and logs go beside the warehouse too, not into the project folder
        target = warehouse.work_path.parent / "dbt"  # one run at a time (RunLock): one folder
        # unit tests check the SQL logic on fixtures; they run in the test suite, not on every build
        events = list(
            dbt.cli(["build", "--exclude-resource-type", "unit_test"], context=context, target_path=target).stream()
        )
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
