"""Shared fixtures: real seeds in a temporary source folder, a real run into a temporary warehouse."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEEDS = PROJECT_ROOT / "seeds"
# Asset key → materialization metadata of the session's seed run (filled by `seed_warehouse`).
SEED_RUN_METADATA: dict[str, dict] = {}


def run_pipeline(
    source: Path, warehouse: Path, dagster_home: Path, monkeypatch: pytest.MonkeyPatch
) -> dg.ExecuteInProcessResult:
    """Materialize every asset of the real definitions from `source` into `warehouse`."""
    monkeypatch.setenv("NEWS_SOURCE_DIR", str(source))
    monkeypatch.setenv("NEWS_WAREHOUSE_PATH", str(warehouse))
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    dagster_home.mkdir(parents=True, exist_ok=True)
    from pipelines.definitions import defs

    with dg.instance_for_test(temp_dir=str(dagster_home)) as instance:
        return defs.resolve_job_def("news_warehouse").execute_in_process(instance=instance, raise_on_error=False)


def table_fingerprints(database: Path) -> dict[str, str]:
    """A content hash per table and view (row order and `*_at` columns ignored)."""
    fingerprints = {}
    with duckdb.connect(str(database), read_only=True) as connection:
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables order by all"
        ).fetchall()
        for schema, table in tables:
            columns = [
                name
                for (name,) in connection.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, table],
                ).fetchall()
                if not name.endswith("_at")
            ]
            selection = ", ".join(f'"{name}"' for name in columns)
            rows = connection.execute(f'select {selection} from "{schema}"."{table}"').fetchall()
            digest = hashlib.sha256()
            for row in sorted(repr(row) for row in rows):
                digest.update(row.encode())
            fingerprints[f"{schema}.{table}"] = digest.hexdigest()
    return fingerprints


@pytest.fixture(scope="session")
def seed_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds, materialized once for the session into a temporary warehouse."""
    root = tmp_path_factory.mktemp("seed_run")
    source = root / "source"
    shutil.copytree(SEEDS, source)
    warehouse = root / "warehouse" / "news.duckdb"
    with pytest.MonkeyPatch.context() as monkeypatch:
        result = run_pipeline(source, warehouse, root / "dagster_home", monkeypatch)
    assert result.success, "the seed run failed"
    SEED_RUN_METADATA.update(
        {
            event.asset_key.to_user_string(): dict(event.step_materialization_data.materialization.metadata)
            for event in result.get_asset_materialization_events()
        }
    )
    return warehouse


@pytest.fixture
def seed_run_metadata(seed_warehouse: Path) -> dict[str, dict]:
    """Asset key → materialization metadata of the session's seed run."""
    return SEED_RUN_METADATA


@pytest.fixture
def seed_db(seed_warehouse: Path):
    with duckdb.connect(str(seed_warehouse), read_only=True) as connection:
        yield connection
