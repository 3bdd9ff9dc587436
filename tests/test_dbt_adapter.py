"""pipelines/dbt_adapter.py: the private dbt pieces of the in-process build, pinned, with the public
`DbtCliResource.cli()` path as the fallback that gives the same warehouse."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb

from pipelines import dbt_adapter, sql_models
from tests.conftest import SEEDS, run_pipeline, table_fingerprints


def test_the_adapter_was_checked_against_the_installed_packages():
    """Fails on an upgrade of dagster-dbt, dbt-core or dbt-duckdb (or a private name gone): the
    pipeline then takes the slower public path until the adapter is checked again."""
    problems = dbt_adapter.problems()
    assert not problems, (
        "pipelines/dbt_adapter.py uses private dagster-dbt/dbt/dbt-duckdb names and was checked "
        f"against {dbt_adapter.CHECKED_AGAINST}. Check again what its docstring lists, then move "
        "CHECKED_AGAINST (until then every build goes through DbtCliResource.cli(), slower):\n- "
        + "\n- ".join(problems)
    )


def test_a_version_or_a_name_that_differs_makes_the_adapter_incompatible(monkeypatch):
    assert dbt_adapter.compatible()
    monkeypatch.setitem(dbt_adapter.CHECKED_AGAINST, "dbt-core", "0.0.1")
    assert not dbt_adapter.compatible()
    assert any("dbt-core" in problem and "0.0.1" in problem for problem in dbt_adapter.problems())
    monkeypatch.undo()
    monkeypatch.setitem(dbt_adapter.PRIVATE_NAMES, "dbt.parser.manifest", ("no_such_decoder",))
    problems = dbt_adapter.problems()
    assert len(problems) == 1 and problems[0].startswith("dbt.parser.manifest.no_such_decoder is missing")


def test_dbt_lets_go_of_the_database_file(tmp_path, monkeypatch):
    """After release_duckdb(), the file dbt wrote opens again with another configuration."""
    from dbt.cli.main import dbtRunner

    database = tmp_path / "news.duckdb"
    duckdb.connect(str(database)).close()
    project = tmp_path / "project"
    project.mkdir()
    (project / "dbt_project.yml").write_text("name: probe\nversion: '1.0'\nprofile: probe\n")
    (project / "profiles.yml").write_text(
        f"probe:\n  target: local\n  outputs:\n    local:\n      type: duckdb\n      path: '{database}'\n"
    )
    (project / "models").mkdir()
    (project / "models" / "one.sql").write_text("select 1 as id")
    arguments = ["run", "--project-dir", str(project), "--profiles-dir", str(project), "--quiet"]
    arguments += ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "target")]
    try:
        assert dbtRunner().invoke(arguments).success
    finally:
        dbt_adapter.release_duckdb()
    with duckdb.connect(str(database), read_only=True) as connection:
        assert connection.execute("select id from main.one").fetchall() == [(1,)]


def _spy_on_cli(monkeypatch, invocations: list | None = None) -> list[list[str]]:
    """The argument lists of every `DbtCliResource.cli()` call (the public path), run as usual;
    the invocations it returns appended to `invocations`."""
    calls: list[list[str]] = []
    cli = sql_models.DbtCli.cli

    def spy(self, args, **kwargs):
        calls.append(list(args))
        invocation = cli(self, args, **kwargs)
        if invocations is not None:
            invocations.append(invocation)
        return invocation

    monkeypatch.setattr(sql_models.DbtCli, "cli", spy)
    return calls


def test_the_public_path_builds_the_same_warehouse(tmp_path, monkeypatch, seed_warehouse):
    """With the adapter off, the build goes through DbtCliResource.cli(); same tables, same checks."""
    monkeypatch.setattr(dbt_adapter, "compatible", lambda: False)
    calls = _spy_on_cli(monkeypatch)
    source = tmp_path / "source"
    shutil.copytree(SEEDS, source)
    warehouse = tmp_path / "warehouse" / "news.duckdb"
    result = run_pipeline(source, warehouse, tmp_path / "dagster_home", monkeypatch)
    assert result.success
    assert calls == [["build", "--exclude-resource-type", "unit_test"]]
    assert table_fingerprints(warehouse) == table_fingerprints(seed_warehouse)
    evaluations = result.get_asset_check_evaluations()
    assert {spec.key for spec in sql_models.sql_models.check_specs} <= {e.asset_check_key for e in evaluations}
    assert all(evaluation.passed for evaluation in evaluations)


def test_a_subset_goes_through_dagster_dbt_and_its_selector_project(tmp_path, monkeypatch, seed_warehouse):
    """A part of the dbt assets is built by DbtCliResource.cli(), which picks the dbt selection.

    Above 200 selected resources dagster-dbt writes a selector into a temporary copy of the
    project, which the in-process build's `--project-dir` would miss. The in-process build only
    ever selects every asset (`--select fqn:*`, one resource); with dagster-dbt's threshold at 0 a
    one-mart subset takes that selector branch here, without a project of 200 models."""
    import dagster_dbt.asset_utils

    monkeypatch.setattr(dagster_dbt.asset_utils, "_SELECTION_ARGS_THRESHOLD", 0)
    # a copy of the seed run's working database, without its published file: nothing to skip
    warehouse = tmp_path / "warehouse" / "news.duckdb"
    shutil.copytree(seed_warehouse.parent / ".build", warehouse.parent / ".build")
    work = warehouse.parent / ".build" / "news" / "news.duckdb"
    with duckdb.connect(str(work)) as connection:
        connection.execute("drop table marts.document_overview")
    invocations: list = []
    calls = _spy_on_cli(monkeypatch, invocations)
    monkeypatch.setenv("NEWS_WAREHOUSE_PATH", str(warehouse))
    monkeypatch.setenv("NEWS_SOURCE_DIR", str(SEEDS))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    (tmp_path / "dagster_home").mkdir()
    from pipelines.definitions import defs

    mart = dg.AssetKey(["marts", "document_overview"])
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster_home")) as instance:
        result = defs.resolve_job_def("news_warehouse").execute_in_process(
            instance=instance, asset_selection=[mart], raise_on_error=False
        )
    assert result.success
    assert calls == [["build", "--exclude-resource-type", "unit_test"]]
    selector_project = Path(invocations[0].project_dir)
    try:
        assert selector_project != sql_models.SQL_DIR and (selector_project / "selectors.yml").exists()
    finally:
        shutil.rmtree(selector_project)  # dagster-dbt leaves its temporary copy behind
    assert [event.asset_key for event in result.get_asset_materialization_events()] == [mart]
    assert result.get_asset_check_evaluations() and all(e.passed for e in result.get_asset_check_evaluations())
    rebuilt = {name: digest for name, digest in table_fingerprints(work).items() if name == "marts.document_overview"}
    published = table_fingerprints(seed_warehouse)
    assert rebuilt == {"marts.document_overview": published["marts.document_overview"]}
