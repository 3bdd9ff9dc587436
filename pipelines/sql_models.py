"""The dbt project in sql/ as Dagster assets: staging views and marts, dbt tests as asset checks.

The build runs dbt in this process through dbt's public `dbtRunner`, from a parse of the project
kept by an earlier run; the few private dagster-dbt/dbt/dbt-duckdb things that needs are in
pipelines/dbt_adapter.py, pinned to the versions they were checked against. When the installed
versions are not those, or when only part of the dbt assets is selected, the build goes through
dagster-dbt's public `DbtCliResource.cli()` instead: a dbt process, slower, the same result."""

import hashlib
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from pipelines import dbt_adapter
from pipelines.assets import OWNERS
from pipelines.resources import fingerprint
from pipelines.warehouse import Warehouse, quote_identifier
from transforms.report import markdown_table

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
dbt_project = DbtProject(project_dir=SQL_DIR, profiles_dir=SQL_DIR)
# Folders of sql/ that dbt writes, not part of the project's definition.
_GENERATED = {"target", "logs", "dbt_packages"}
# What the dbt assets select: dagster-dbt's default, spelled out because the in-process build passes
# it to dbt itself (dagster-dbt passes it when every dbt asset is selected).
DBT_SELECT = "fqn:*"
# dbt's parse of the project, kept per parse key (see DbtCli.build_in_process).
PARSED_PROJECTS = SQL_DIR / "target" / "parsed"

DbtEvent = dg.Output | dg.AssetCheckResult | dg.AssetObservation | dg.AssetMaterialization


class DbtCli(DbtCliResource):
    """dagster-dbt's CLI resource, plus `build`: the same `dbt build`, in this process when it can be.

    `cli()` starts a dbt process that imports dbt and parses the project again, 11 to 14 s on the
    seeds; this process has dbt imported already (dagster-dbt needs it), so `build` runs dbt here
    from a kept parse (about 3 s) and turns its events into Dagster events as `cli()` would."""

    def build(
        self,
        args: list[str],
        *,
        context: dg.AssetExecutionContext,
        selects_everything: bool,
        target_path: Path,
        parse_key: str,
    ) -> list[DbtEvent]:
        """`dbt build <args>` for the assets the context selected: dagster-dbt's events for it.

        In this process (`build_in_process`) when the context selected every dbt asset and check
        (`selects_everything`) and pipelines/dbt_adapter.py is `compatible()` with the installed
        packages. Otherwise through dagster-dbt's `cli()`: it picks a subset's dbt selection itself
        (above 200 resources, with a selector in a temporary copy of the project) and needs
        nothing private. Raises when a model or a test fails."""
        if not dbt_adapter.compatible():
            reasons = "; ".join(dbt_adapter.problems()) or "dbt_adapter.compatible() is False"
            context.log.warning(
                "dbt build through DbtCliResource.cli() (a dbt process, slower): pipelines/dbt_adapter.py "
                f"does not match the installed packages: {reasons}"
            )
        elif not selects_everything:
            context.log.info(
                "dbt build through DbtCliResource.cli() (a dbt process): part of the dbt assets is "
                "selected, and dagster-dbt works out the dbt selection for it"
            )
        else:
            return self.build_in_process(args, context=context, target_path=target_path, parse_key=parse_key)
        return list(self.cli(["build", *args], context=context, target_path=target_path).stream())

    def build_in_process(
        self, args: list[str], *, context: dg.AssetExecutionContext, target_path: Path, parse_key: str
    ) -> list[DbtEvent]:
        """`dbt build <args> --select fqn:*` (every dbt asset) run by dbt's `dbtRunner`.

        `parse_key` names what dbt's parse of the project depends on (the project's files, the
        database name); the parse is kept under it in `sql/target/parsed/` and handed to dbt on
        later runs, instead of parsing again (a full parse is seconds; dbt's own partial parsing
        starts over for every new warehouse path). Raises dg.Failure, with dbt's error messages,
        when a model or a test fails; the DuckDB file dbt opened is closed again before
        returning, whatever happened."""
        from dbt.cli.main import dbtRunner

        kept = PARSED_PROJECTS / f"{parse_key}.msgpack"
        manifest = dbt_adapter.load_parse(kept)
        arguments = [
            *self.global_config_flags,
            "build",
            *args,
            "--select", DBT_SELECT,
            *(["--profile", self.profile] if self.profile else []),
            *(["--target", self.target] if self.target else []),
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
            result = dbt_adapter.result_event(message)
            if result is not None:
                results.append(result)
            elif message.info.level == "error":
                errors.append(message.info.msg)

        reuse = "a parse kept from an earlier run" if manifest is not None else "parsing the project"
        context.log.info(f"dbt {' '.join(arguments)} (in process, {reuse})")
        try:
            outcome = dbtRunner(manifest=manifest, callbacks=[collect]).invoke(arguments)
        finally:
            # dbt-duckdb keeps its database open for the life of the process; let it go so the
            # pipeline can open the file with its own configuration.
            dbt_adapter.release_duckdb()
        events = dbt_adapter.dagster_events(
            results,
            context=context,
            manifest=dbt_project.manifest_path,
            translator=TRANSLATOR,
            target_path=target_path,
            project=dbt_project,
        )
        if not outcome.success:
            detail = "\n".join(errors) or str(outcome.exception)
            raise dg.Failure(description=f"dbt build failed:\n{detail}")
        if manifest is None:
            dbt_adapter.keep_parse(target_path, kept)
        return events


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


TRANSLATOR = NewsDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=dbt_project.manifest_path, project=dbt_project, select=DBT_SELECT, dagster_dbt_translator=TRANSLATOR
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
        parse_key = fingerprint(project, str(SQL_DIR), version("dbt-core"), warehouse.work_path.stem)
        everything = context.selected_asset_keys == set(sql_models.keys) and context.selected_asset_check_keys == {
            spec.key for spec in sql_models.check_specs
        }
        events = dbt.build(
            ["--exclude-resource-type", "unit_test"],
            context=context,
            selects_everything=everything,
            target_path=target,
            parse_key=parse_key,
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
