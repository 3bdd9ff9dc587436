"""The dbt project: style (sqlfluff, duckdb dialect, dbt templater) and offline docs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from pipelines.warehouse import work_database_path
from tests.conftest import PROJECT_ROOT, SEEDS, run_pipeline, table_fingerprints

BIN = Path(sys.executable).parent
SQL_DIR = PROJECT_ROOT / "sql"


def _run(command: list[str], env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, cwd=SQL_DIR, env={**os.environ, **env_overrides}, capture_output=True, text=True, timeout=600
    )


def test_sqlfluff_passes(tmp_path):
    completed = _run([str(BIN / "sqlfluff"), "lint", "models"], {"NEWS_WORK_DATABASE": str(tmp_path / "lint.duckdb")})
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_dbt_docs_generate_works_offline(seed_warehouse, tmp_path):
    target = tmp_path / "target"
    completed = _run(
        [str(BIN / "dbt"), "docs", "generate", "--profiles-dir", ".", "--target-path", str(target)],
        {"NEWS_WORK_DATABASE": str(work_database_path(seed_warehouse))},
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    catalog = json.loads((target / "catalog.json").read_text())
    assert "model.news_warehouse.entity_overview" in catalog["nodes"]
    assert (target / "index.html").exists()


def _unit_tests() -> list[dict]:
    """The dbt unit tests the project's YAML files define (`unit_tests:` of sql/models/**/*.yml)."""
    return [
        test
        for path in sorted((SQL_DIR / "models").rglob("*.yml"))
        for test in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("unit_tests", [])
    ]


def test_every_mart_has_a_unit_test():
    marts = {path.stem for path in (SQL_DIR / "models" / "marts").glob("*.sql")}
    assert marts, "no marts found"
    assert marts <= {test["model"] for test in _unit_tests()}


def test_dbt_unit_tests_pass(seed_warehouse, tmp_path):
    """The SQL logic on fixtures (the `unit_tests:` of sql/models/**/*.yml); pipeline runs skip them."""
    database = tmp_path / "news.duckdb"
    shutil.copy(work_database_path(seed_warehouse), database)
    completed = _run(
        [str(BIN / "dbt"), "test", "--select", "test_type:unit", "--profiles-dir", ".", "--target-path", str(tmp_path)],
        {"NEWS_WORK_DATABASE": str(database)},
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert f"PASS={len(_unit_tests())} " in completed.stdout, completed.stdout


def test_a_new_warehouse_builds_from_the_kept_dbt_parse(tmp_path, monkeypatch, seed_warehouse):
    """dbt's parse of the project is kept after a build and handed to dbt by the next, whatever
    the warehouse's folder; the marts come out the same."""
    from pipelines import dbt_adapter, sql_models

    monkeypatch.setattr(sql_models, "PARSED_PROJECTS", tmp_path / "parsed")
    loaded = []
    load = dbt_adapter.load_parse

    def spy(path):
        loaded.append(load(path))
        return loaded[-1]

    monkeypatch.setattr(dbt_adapter, "load_parse", spy)
    source = tmp_path / "source"
    shutil.copytree(SEEDS, source)
    for folder in ("first", "second"):
        warehouse = tmp_path / folder / "news.duckdb"
        assert run_pipeline(source, warehouse, tmp_path / "dagster_home", monkeypatch).success
        assert len(list((tmp_path / "parsed").glob("*.msgpack"))) == 1
    assert loaded[0] is None, "nothing kept yet: the first build parses"
    assert loaded[1] is not None, "the second build starts from the kept parse"
    assert table_fingerprints(warehouse) == table_fingerprints(seed_warehouse)
