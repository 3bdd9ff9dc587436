"""The dbt project in sql/ as Dagster assets: staging views and marts, dbt tests as asset checks."""

import hashlib
import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets
from dagster_dbt.asset_utils import get_updated_cli_invocation_params_for_context
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage
from dbt.version import __version__ as dbt_version
from packaging import version

from pipelines.assets import OWNERS
from pipelines.resources import fingerprint
from pipelines.warehouse import Warehouse, quote_identifier
from transforms.report import markdown_table

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
dbt_project = DbtProject(project_dir=SQL_DIR, profiles_dir=SQL_DIR)
# Folders of sql/ that dbt writes, not part of the project's definition.
_GENERATED = {"target", "logs", "dbt_packages"}


# The dbt events that carry a node's result: dagster-dbt turns them into outputs and check results.
_RESULT_EVENTS = frozenset({"LogModelResult", "LogTestResult", "LogSeedResult", "LogSnapshotResult"})


class DbtCli(DbtCliResource):
    """dagster-dbt's CLI resource, plus `build_in_process`: the same build through dbt's Python API.

    `dbt.cli()` starts a dbt process that imports dbt and parses the project again, several
    seconds on every run; this process has dbt imported already (dagster-dbt needs it), so the
    pipeline invokes dbt here and turns its events into Dagster events with dagster-dbt's own
    translation. `cli()` stays available and avoids two costs as well: the version is read from
    the dbt-core package instead of a `dbt --version` subprocess, and no in-process adapter is
    opened for `fetch_column_metadata()`/`fetch_row_counts()`, which this project does not use."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(dbt_version)

    def _initialize_dbt_core_adapter(self, args):
        return None

    def build_in_process(
        self, args: list[str], *, context: dg.AssetExecutionContext, target_path: Path, parse_key: str
    ) -> list[dg.Output | dg.AssetCheckResult | dg.AssetObservation]:
        """`dbt build <args>` for the assets the context selected, run by dbt's `dbtRunner`.

        `parse_key` names what dbt's parse of the project depends on (the project's files, the
        database name); the parse is kept under it in `sql/target/parsed/` and handed to dbt on
        later runs, instead of parsing again (a full parse is seconds; dbt's own partial parsing
        starts over for every new warehouse path). Raises dg.Failure, with dbt's error messages,
        when a model or a test fails; the DuckDB file dbt opened is closed again before
        returning, whatever happened."""
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
        from dbt.cli.main import dbtRunner
        from dbt_common.events.functions import msg_to_dict

        parsed = PARSED_PROJECTS / f"{parse_key}.msgpack"
        manifest = _load_parsed_project(parsed)

        params = get_updated_cli_invocation_params_for_context(
            context=context, manifest={}, dagster_dbt_translator=DagsterDbtTranslator()
        )
        arguments = [
            "build",
            *args,
            *params.selection_args,
            *(["--indirect-selection", params.indirect_selection] if params.indirect_selection else []),
            "--project-dir", str(self.project_dir),
            "--profiles-dir", str(self.profiles_dir or self.project_dir),
            "--target-path", str(target_path),
            "--log-path", str(target_path),
            "--quiet",
            "--no-send-anonymous-usage-stats",
            "--no-version-check",
        ]  # fmt: skip
        results: list[dict[str, Any]] = []
        errors: list[str] = []

        def collect(message) -> None:
            if message.info.name in _RESULT_EVENTS:
                results.append(msg_to_dict(message))
            elif message.info.level == "error":
                errors.append(message.info.msg)

        reuse = "a parse kept from an earlier run" if manifest is not None else "parsing the project"
        context.log.info(f"dbt {' '.join(arguments)} (in process, {reuse})")
        try:
            outcome = dbtRunner(manifest=manifest, callbacks=[collect]).invoke(arguments)
        finally:
            # dbt-duckdb keeps its database open for the life of the process; let it go so the
            # pipeline can open the file with its own configuration.
            environment = DuckDBConnectionManager._ENV
            if environment is not None:
                environment.close()
            DuckDBConnectionManager.close_all_connections()
        events = [
            event
            for raw_event in results
            for event in DbtCoreCliEventMessage(raw_event=raw_event, event_history_metadata={}).to_default_asset_events(
                manifest=params.manifest,
                dagster_dbt_translator=params.dagster_dbt_translator,
                context=context,
                target_path=target_path,
                project=params.dbt_project,
            )
        ]
        if not outcome.success:
            detail = "\n".join(errors) or str(outcome.exception)
            raise dg.Failure(description=f"dbt build failed:\n{detail}")
        if manifest is None:
            _keep_parsed_project(target_path / "partial_parse.msgpack", parsed)
        return events


# dbt's parse of the project, kept per parse key (see DbtCli.build_in_process).
PARSED_PROJECTS = SQL_DIR / "target" / "parsed"


def _load_parsed_project(path: Path):
    """The dbt Manifest kept at `path`, ready to run; None when there is none or it is unreadable."""
    from dbt.contracts.graph.manifest import Manifest
    from dbt.parser.manifest import extended_mashumuro_decoder

    try:
        manifest = Manifest.from_msgpack(path.read_bytes(), decoder=extended_mashumuro_decoder)
    except Exception:  # noqa: BLE001 - absent, or written by another dbt version: parse instead
        return None
    manifest.build_flat_graph()
    return manifest


def _keep_parsed_project(source: Path, destination: Path) -> None:
    """Keep dbt's parse (its partial-parse file) under the parse key, written atomically."""
    if not source.exists():
        return
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = destination.with_name(f".{destination.name}.{os.getpid()}")
    shutil.copyfile(source, staging)
    os.replace(staging, destination)


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
    """Expose values to dbt (its profile reads NEWS_WORK_DATABASE), then restore."""
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
    project = dbt_project_fingerprint()
    state = warehouse.input_state(project)
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
        # dbt's parse depends on the project's files, the dbt version and the database name (dbt
        # names the catalogue after the file); not on where the file is
        parse_key = fingerprint(project, str(SQL_DIR), dbt_version, warehouse.work_path.stem)
        events = dbt.build_in_process(
            ["--exclude-resource-type", "unit_test"], context=context, target_path=target, parse_key=parse_key
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
                        "preview": dg.MetadataValue.md(markdown_table(preview)),
                    }
                )
            yield event
