"""Reruns pay only for what is new, and the optimised paths give the tables a clean run gives."""

from __future__ import annotations

import shutil

import dagster as dg
import duckdb

from tests.conftest import SEEDS, run_pipeline, table_fingerprints


def _metadata(result: dg.ExecuteInProcessResult, key: str) -> dict:
    for event in result.get_asset_materialization_events():
        if event.asset_key.to_user_string() == key:
            return {name: getattr(value, "value", value) for name, value in event.materialization.metadata.items()}
    raise AssertionError(f"{key} was not materialized")


def _skipped(result: dg.ExecuteInProcessResult) -> set[str]:
    return {event.step_key for event in result.all_events if event.event_type == dg.DagsterEventType.STEP_SKIPPED}


def test_a_rerun_on_unchanged_input_does_no_work(tmp_path, monkeypatch, seed_warehouse):
    source = tmp_path / "source"
    shutil.copytree(SEEDS, source)
    warehouse = tmp_path / "warehouse" / "news.duckdb"
    assert run_pipeline(source, warehouse, tmp_path / "dagster_home", monkeypatch).success
    first = table_fingerprints(warehouse)
    assert first == table_fingerprints(seed_warehouse), "a run with another warehouse path must give the same content"
    inode = warehouse.stat().st_ino

    again = run_pipeline(source, warehouse, tmp_path / "dagster_home", monkeypatch)

    assert again.success
    prepared = _metadata(again, "prep/cleaned_documents")
    analysed = _metadata(again, "core/documents")
    assert (prepared["documents_cleaned_and_detected"], prepared["documents_reused"]) == (0, 5)
    assert (analysed["documents_through_nlp"], analysed["documents_reused"]) == (0, 5)
    assert {"published_warehouse", "report__entity_report"} <= _skipped(again), "nothing changed: nothing to publish"
    assert _metadata(again, "core/sentences")["rewritten"] is False
    assert warehouse.stat().st_ino == inode
    assert table_fingerprints(warehouse) == first


def test_new_changed_and_removed_files_while_an_analyst_reads(tmp_path, monkeypatch):
    source = tmp_path / "source"
    shutil.copytree(SEEDS, source)
    warehouse = tmp_path / "warehouse" / "news.duckdb"
    assert run_pipeline(source, warehouse, tmp_path / "dagster_home", monkeypatch).success
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        before = dict(connection.execute("select source_path, doc_id from core.documents").fetchall())
    inode = warehouse.stat().st_ino

    changed = sorted(source.iterdir())[0]
    removed = sorted(source.iterdir())[1]
    changed.write_text(changed.read_text(encoding="utf-8") + "\nUne phrase ajoutée par la rédaction.\n", "utf-8")
    removed.unlink()
    (source / "new.txt").write_text(
        "OpenAI et Microsoft annoncent un nouvel accord.\n\nLes deux entreprises travailleront ensemble à Paris.\n",
        encoding="utf-8",
    )
    with duckdb.connect(str(warehouse), read_only=True) as analyst:
        # the analyst holds the published file open for the whole run
        result = run_pipeline(source, warehouse, tmp_path / "dagster_home", monkeypatch)
        assert result.success
        assert analyst.execute("select count(*) from core.documents").fetchone()[0] == 5
    assert warehouse.stat().st_ino != inode, "the new snapshot is renamed into place, never written in place"

    assert _metadata(result, "prep/cleaned_documents")["documents_cleaned_and_detected"] == 2
    analysed = _metadata(result, "core/documents")
    # reused: the three unchanged documents, and the two whose file is gone (kept, not redone)
    assert (analysed["documents_through_nlp"], analysed["documents_reused"]) == (2, 5)
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = dict(connection.execute("select doc_id, present_in_source from core.documents").fetchall())
        new_paths = dict(
            connection.execute("select source_path, doc_id from core.documents where present_in_source").fetchall()
        )
        accounted = (
            connection.execute("select count(*) from core.documents where present_in_source").fetchone()[0]
            + connection.execute("select count(*) from core.rejected_documents").fetchone()[0]
        )
        gone_mentions = connection.execute(
            "select count(*) from core.entity_mentions where doc_id = ?", [before[removed.name]]
        ).fetchone()[0]
    assert len(rows) == 7, "5 present documents, plus the removed file and the old version of the changed one"
    assert rows[before[removed.name]] is False and rows[before[changed.name]] is False
    assert new_paths[changed.name] != before[changed.name], "a changed file is a new version with a new doc_id"
    assert "new.txt" in new_paths
    assert accounted == len(list(source.iterdir()))
    assert gone_mentions > 0, "a document whose file left keeps its analysis"


def test_incremental_and_parallel_runs_equal_a_clean_run(tmp_path, monkeypatch, seed_warehouse):
    """Half the seeds first, then all of them, with worker processes: the same tables as one clean
    in-process run over all the seeds."""
    source = tmp_path / "source"
    source.mkdir()
    seeds = sorted(SEEDS.iterdir())
    for path in seeds[:2]:
        shutil.copy(path, source / path.name)
    warehouse = tmp_path / "warehouse" / "news.duckdb"
    assert run_pipeline(source, warehouse, tmp_path / "dagster_home", monkeypatch).success
    for path in seeds[2:]:
        shutil.copy(path, source / path.name)
    monkeypatch.setenv("NEWS_WORKERS", "2")
    monkeypatch.setenv("NEWS_PARALLEL_MIN_DOCUMENTS", "1")
    monkeypatch.setenv("NEWS_DOCUMENTS_PER_BATCH", "1")  # three batches: both workers get some

    result = run_pipeline(source, warehouse, tmp_path / "dagster_home", monkeypatch)

    assert result.success
    analysed = _metadata(result, "core/documents")
    assert (analysed["documents_through_nlp"], analysed["worker_processes"]) == (3, 2)
    assert table_fingerprints(warehouse) == table_fingerprints(seed_warehouse)
