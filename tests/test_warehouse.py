"""The warehouse resource on its own: the run lock, typed writes, reuse reads and publishing."""

from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from pipelines.warehouse import Warehouse, run_lock
from tests.conftest import PROJECT_ROOT
from transforms.schema import CLEANING_LOG, TABLES

_HOLD_LOCK = """
import sys, time
from pathlib import Path
from pipelines.warehouse import run_lock
with run_lock(Path(sys.argv[1]), 60):
    Path(sys.argv[2]).write_text("held")
    time.sleep(600)
"""


def _hold_lock_in_another_process(lock: Path, marker: Path) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", _HOLD_LOCK, str(lock), str(marker)], cwd=PROJECT_ROOT)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert holder.poll() is None, "the lock holder died"
        assert time.monotonic() < deadline, "the lock holder never took the lock"
        time.sleep(0.02)
    return holder


class _Log:
    def __init__(self):
        self.lines: list[str] = []

    def info(self, message: str) -> None:
        self.lines.append(message)


def test_a_second_run_waits_then_fails_naming_the_holder(tmp_path):
    lock = tmp_path / "run.lock"
    holder = _hold_lock_in_another_process(lock, tmp_path / "held")
    try:
        log = _Log()
        with (
            pytest.raises(dg.Failure, match=rf"another run \(pid {holder.pid}\) still holds"),
            run_lock(lock, wait_seconds=0.3, log=log, poll_seconds=0.05),
        ):
            pytest.fail("took a lock another process holds")
        assert log.lines == [f"another run holds {lock}; waiting for it to finish"]
    finally:
        holder.kill()
        holder.wait()


def test_the_lock_of_a_killed_run_is_free_at_once(tmp_path):
    lock = tmp_path / "run.lock"
    holder = _hold_lock_in_another_process(lock, tmp_path / "held")
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with run_lock(lock, wait_seconds=0):
        assert lock.read_text().strip() == str(os.getpid())


def test_a_waiting_run_goes_on_when_the_holder_finishes(tmp_path):
    lock = tmp_path / "run.lock"
    holder = _hold_lock_in_another_process(lock, tmp_path / "held")
    log, entered = _Log(), threading.Event()

    def second_run() -> None:
        with run_lock(lock, wait_seconds=60, log=log, poll_seconds=0.02):
            entered.set()

    waiter = threading.Thread(target=second_run)
    waiter.start()
    deadline = time.monotonic() + 30
    while not log.lines:  # the second run says it waits
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert not entered.is_set()
    holder.kill()
    holder.wait()
    waiter.join(timeout=30)
    assert entered.is_set()


def test_the_lock_is_reentrant_within_a_process(tmp_path):
    """Resources of one run that share the warehouse take the lock once, never wait on themselves."""
    lock = tmp_path / "run.lock"
    with run_lock(lock, wait_seconds=0), run_lock(lock, wait_seconds=0):
        pass
    with run_lock(lock, wait_seconds=0):  # and it is free again afterwards
        pass


def test_every_run_holds_the_lock_whatever_its_selection(tmp_path, monkeypatch):
    """Selecting only one asset still takes the lock: a run waits for the run that holds it."""
    from pipelines.definitions import defs

    warehouse = tmp_path / "warehouse" / "news.duckdb"
    monkeypatch.setenv("NEWS_WAREHOUSE_PATH", str(warehouse))
    monkeypatch.setenv("NEWS_SOURCE_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("NEWS_RUN_LOCK_WAIT_SECONDS", "0")
    (tmp_path / "empty").mkdir()
    holder = _hold_lock_in_another_process(Warehouse().lock_path, tmp_path / "held")
    try:
        job = defs.resolve_implicit_global_asset_job_def().get_subset(
            asset_selection={dg.AssetKey(["raw", "documents"]), dg.AssetKey(["raw", "rejected_files"])}
        )
        (tmp_path / "home").mkdir()
        with dg.instance_for_test(temp_dir=str(tmp_path / "home")) as instance:
            result = job.execute_in_process(instance=instance, raise_on_error=False)
        assert not result.success
        failure = str(result.all_events)
        assert f"another run (pid {holder.pid}) still holds" in failure
    finally:
        holder.kill()
        holder.wait()
    assert not Warehouse(path=str(warehouse)).work_path.exists(), "the waiting run wrote nothing"


def test_writes_are_typed_and_commented_as_the_schema_declares(tmp_path):
    warehouse = Warehouse(path=str(tmp_path / "news.duckdb"))
    log = pl.DataFrame(
        {"rule_id": ["r1"], "doc_id": ["d1"], "n_matches": [2], "example": ["x → y"]},
        schema={"rule_id": pl.String, "doc_id": pl.String, "n_matches": pl.Int64, "example": pl.String},
    )
    written = warehouse.write_table(CLEANING_LOG, log)
    assert written.rewritten
    assert not warehouse.write_table(CLEANING_LOG, log).rewritten, "the same content is not written again"
    with duckdb.connect(str(warehouse.work_path), read_only=True) as connection:
        columns = connection.execute(
            "select column_name, data_type, comment from duckdb_columns() "
            "where schema_name = 'core' and table_name = 'cleaning_log'"
        ).fetchall()
        comment = connection.execute(
            "select comment from duckdb_tables() where schema_name = 'core' and table_name = 'cleaning_log'"
        ).fetchone()[0]
    assert columns == [(c.name, c.sql_type.upper(), c.comment) for c in CLEANING_LOG.columns]
    assert comment == CLEANING_LOG.description
    assert warehouse.read_previous(CLEANING_LOG).equals(CLEANING_LOG.conform(log))


@pytest.mark.parametrize(
    ("frame", "problem"),
    [
        (pl.DataFrame({"doc_id": ["d"], "rule_id": ["r"], "n_matches": [1]}), "missing column example"),
        (
            pl.DataFrame({"doc_id": ["d"], "rule_id": ["r"], "n_matches": [1], "example": ["e"], "extra": [1]}),
            "undeclared column extra",
        ),
        (
            pl.DataFrame({"doc_id": ["d"], "rule_id": ["r"], "n_matches": ["1"], "example": ["e"]}),
            "column n_matches is String, declared Int64",
        ),
        (
            pl.DataFrame({"doc_id": ["d", "d"], "rule_id": ["r", "r"], "n_matches": [1, 2], "example": ["e", "f"]}),
            "key doc_id, rule_id repeats",
        ),
    ],
)
def test_a_frame_that_is_not_the_table_is_refused_and_nothing_is_written(tmp_path, frame, problem):
    warehouse = Warehouse(path=str(tmp_path / "news.duckdb"))
    with pytest.raises(ValueError, match=problem):
        warehouse.write_table(CLEANING_LOG, frame)
    assert not warehouse.work_path.exists() or warehouse.read_previous(CLEANING_LOG) is None


def test_a_previous_table_of_other_types_is_not_reused(tmp_path):
    warehouse = Warehouse(path=str(tmp_path / "news.duckdb"))
    with warehouse.connect() as connection:
        connection.execute("create schema core")
        connection.execute(
            "create table core.cleaning_log (doc_id varchar, rule_id varchar, n_matches integer, example varchar)"
        )
    assert warehouse.read_previous(CLEANING_LOG) is None


def test_publishing_renames_a_complete_copy_into_place(tmp_path):
    warehouse = Warehouse(path=str(tmp_path / "published" / "news.duckdb"))
    for table in TABLES:
        warehouse.write_table(table, table.empty())
    leftover = warehouse.published_path.with_name(".news.duckdb.publishing-123")
    leftover.parent.mkdir(parents=True, exist_ok=True)
    leftover.write_bytes(b"half a copy from a killed run")
    with duckdb.connect(str(warehouse.published_path)) as old:
        old.execute("create table old_snapshot as select 1 as x")
    with duckdb.connect(str(warehouse.published_path), read_only=True) as reader:
        inode = warehouse.published_path.stat().st_ino
        assert warehouse.publish() == warehouse.published_path
        # an analyst who had the file open keeps reading their snapshot
        assert reader.execute("select x from old_snapshot").fetchone() == (1,)
    assert warehouse.published_path.stat().st_ino != inode, "renamed into place, never written in place"
    assert not leftover.exists()
    with warehouse.read_published() as connection:
        tables = {
            f"{s}.{t}" for s, t in connection.execute("select schema_name, table_name from duckdb_tables()").fetchall()
        }
    assert {table.qualified_name for table in TABLES} <= tables and "main.old_snapshot" not in tables


def test_publishing_the_report_replaces_the_old_set_whole(tmp_path):
    warehouse = Warehouse(path=str(tmp_path / "news.duckdb"))
    warehouse.publish_report({"a.html": b"1", "old.svg": b"2"})
    folder = warehouse.publish_report({"a.html": b"3"})
    assert sorted(path.name for path in folder.iterdir()) == ["a.html"]
    assert (folder / "a.html").read_bytes() == b"3"
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".report")] == []


# snapshots, roll-back and the disk-space check


class _Warnings:
    def __init__(self):
        self.lines: list[str] = []

    def info(self, message: str) -> None:
        self.lines.append(message)

    def warning(self, message: str) -> None:
        self.lines.append(message)


def _publish(warehouse: Warehouse, n: int, log=None) -> Path:
    """Publish a working database whose one table says `n`."""
    with warehouse.connect() as connection:
        connection.execute("create or replace table main.marker as select ?::integer as n", [n])
    return warehouse.publish(log=log or _Warnings())


def _marker(database: Path) -> int:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute("select n from main.marker").fetchone()[0]


def _staging_files(warehouse: Warehouse) -> list[str]:
    return [path.name for path in warehouse.published_path.parent.iterdir() if ".publishing-" in path.name]


def test_publishing_keeps_the_last_published_files_as_snapshots(tmp_path):
    warehouse = Warehouse(path=str(tmp_path / "published" / "news.duckdb"), keep_snapshots=3)
    assert warehouse.snapshots() == []
    _publish(warehouse, 1)
    assert warehouse.snapshots() == [], "nothing was published before the first"
    for n in (2, 3, 4):
        replaced = warehouse.published_path.stat().st_ino
        _publish(warehouse, n)
        assert warehouse.snapshots()[0].stat().st_ino == replaced, "the replaced file is kept by a hard link"
    assert _marker(warehouse.published_path) == 4
    kept = warehouse.snapshots()
    assert [_marker(path) for path in kept] == [3, 2, 1], "newest first: the three previous publishes"
    assert all(re.fullmatch(r"news-\d{8}T\d{6}\d{6}Z\.duckdb", path.name) for path in kept)
    assert all(path.parent == tmp_path / "published" / "snapshots" for path in kept)
    _publish(warehouse, 5)
    assert [_marker(path) for path in warehouse.snapshots()] == [4, 3, 2], "the oldest is pruned"
    assert sorted(path.name for path in warehouse.snapshot_directory.iterdir()) == sorted(
        path.name for path in warehouse.snapshots()
    )


def test_snapshots_are_copies_where_hard_links_fail_and_follow_the_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWS_KEEP_SNAPSHOTS", "1")
    warehouse = Warehouse(path=str(tmp_path / "news.duckdb"))

    def no_links(*args, **kwargs):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_links)
    for n in (1, 2, 3):
        _publish(warehouse, n)
    assert [_marker(path) for path in warehouse.snapshots()] == [2]
    assert [path.name for path in warehouse.snapshot_directory.iterdir()] == [warehouse.snapshots()[0].name]


def test_no_snapshots_are_kept_when_they_are_off(tmp_path):
    warehouse = Warehouse(path=str(tmp_path / "news.duckdb"), keep_snapshots=0)
    for n in (1, 2):
        _publish(warehouse, n)
    assert _marker(warehouse.published_path) == 2
    assert not warehouse.snapshot_directory.exists()


@pytest.mark.parametrize("breakage", ["snapshots folder is a file", "links and copies fail"])
def test_a_snapshot_that_cannot_be_written_never_stops_publishing(tmp_path, monkeypatch, breakage):
    warehouse = Warehouse(path=str(tmp_path / "news.duckdb"), keep_snapshots=3)
    _publish(warehouse, 1)
    if breakage == "snapshots folder is a file":
        warehouse.snapshot_directory.write_text("not a folder")
    else:
        copyfile = shutil.copyfile

        def failing_link(*args, **kwargs):
            raise OSError(errno.EPERM, "Operation not permitted")

        def copy_failing_in_snapshots(source, destination, *args, **kwargs):
            if Path(destination).parent == warehouse.snapshot_directory:
                Path(destination).write_bytes(b"half")
                raise OSError(errno.ENOSPC, "No space left on device")
            return copyfile(source, destination, *args, **kwargs)

        monkeypatch.setattr(os, "link", failing_link)
        monkeypatch.setattr(shutil, "copyfile", copy_failing_in_snapshots)
    log = _Warnings()
    assert _publish(warehouse, 2, log=log) == warehouse.published_path
    assert _marker(warehouse.published_path) == 2
    assert len(log.lines) == 1 and "could not keep the replaced warehouse as a snapshot" in log.lines[0]
    assert warehouse.snapshots() == []
    assert _staging_files(warehouse) == []
    if warehouse.snapshot_directory.is_dir():
        assert list(warehouse.snapshot_directory.iterdir()) == [], "no partial snapshot is left"


def test_a_snapshot_that_cannot_be_pruned_never_stops_publishing(tmp_path, monkeypatch):
    warehouse = Warehouse(path=str(tmp_path / "news.duckdb"), keep_snapshots=1)
    for n in (1, 2):
        _publish(warehouse, n)
    unlink = Path.unlink

    def refusing_unlink(self, *args, **kwargs):
        if self.parent == warehouse.snapshot_directory:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return unlink(self, *args, **kwargs)

    monkeypatch.setattr(Path, "unlink", refusing_unlink)
    log = _Warnings()
    _publish(warehouse, 3, log=log)
    assert _marker(warehouse.published_path) == 3
    assert [_marker(path) for path in warehouse.snapshots()] == [2, 1]
    assert len(log.lines) == 1 and "could not delete the old snapshot" in log.lines[0]


def test_rolling_back_restores_a_snapshot_and_keeps_the_replaced_file(tmp_path):
    warehouse = Warehouse(path=str(tmp_path / "news.duckdb"), keep_snapshots=3)
    with pytest.raises(dg.Failure, match="nothing to roll back to"):
        warehouse.roll_back()
    for n in (1, 2, 3):
        _publish(warehouse, n)
    newest = warehouse.snapshots()[0]
    with duckdb.connect(str(warehouse.published_path), read_only=True) as reader:
        replaced = warehouse.published_path.stat().st_ino
        assert warehouse.roll_back(log=_Warnings()) == newest
        assert reader.execute("select n from main.marker").fetchone() == (3,), "open readers keep their file"
    assert _marker(warehouse.published_path) == 2
    assert warehouse.published_path.stat().st_ino not in (replaced, newest.stat().st_ino), "a copy, renamed in"
    kept = warehouse.snapshots()
    assert kept[0].stat().st_ino == replaced and [_marker(path) for path in kept] == [3, 2, 1]
    assert _staging_files(warehouse) == []
    warehouse.roll_back()  # undone by another
    assert _marker(warehouse.published_path) == 3
    assert [_marker(path) for path in warehouse.snapshots()] == [2, 3, 2]
    warehouse.roll_back(warehouse.snapshots()[-1])
    assert _marker(warehouse.published_path) == 2
    with pytest.raises(dg.Failure, match="not a readable DuckDB file"):
        (tmp_path / "junk.duckdb").write_bytes(b"not a database")
        warehouse.roll_back(tmp_path / "junk.duckdb")
    assert _marker(warehouse.published_path) == 2


def test_rollback_command_lists_and_restores(tmp_path, monkeypatch, capsys):
    from pipelines import rollback

    monkeypatch.setenv("NEWS_WAREHOUSE_PATH", str(tmp_path / "news.duckdb"))
    monkeypatch.setenv("NEWS_KEEP_SNAPSHOTS", "3")
    warehouse = Warehouse()
    for n in (1, 2):
        _publish(warehouse, n)
    assert rollback.main(["rollback", "--list"]) == 0
    assert str(warehouse.snapshots()[0]) in capsys.readouterr().out
    assert rollback.main(["rollback", str(warehouse.snapshots()[0])]) == 0
    assert "the next successful run publishes the current working state again" in capsys.readouterr().out
    assert _marker(warehouse.published_path) == 1
    assert rollback.main(["rollback", str(tmp_path / "missing.duckdb")]) == 1
    assert "rollback failed" in capsys.readouterr().err


def test_a_rollback_waits_for_no_run_holding_the_lock(tmp_path):
    warehouse = Warehouse(path=str(tmp_path / "news.duckdb"), keep_snapshots=3)
    for n in (1, 2):
        _publish(warehouse, n)
    holder = _hold_lock_in_another_process(warehouse.lock_path, tmp_path / "held")
    try:
        with pytest.raises(dg.Failure, match=rf"another run \(pid {holder.pid}\) still holds"):
            warehouse.roll_back()
    finally:
        holder.kill()
        holder.wait()
    assert _marker(warehouse.published_path) == 2


def _published_before_a_failed_publish(tmp_path) -> tuple[Warehouse, bytes, list[Path]]:
    warehouse = Warehouse(path=str(tmp_path / "news.duckdb"), keep_snapshots=3)
    for n in (1, 2):
        _publish(warehouse, n)
    with warehouse.connect() as connection:
        connection.execute("create or replace table main.marker as select 3 as n")
    return warehouse, warehouse.published_path.read_bytes(), warehouse.snapshots()


def test_too_little_disk_space_fails_before_writing_anything(tmp_path, monkeypatch):
    from pipelines import warehouse as module

    warehouse, before, kept = _published_before_a_failed_publish(tmp_path)
    monkeypatch.setattr(module, "free_bytes", lambda path: 1000)
    needed = module.space_needed(warehouse.work_path.stat().st_size)
    with pytest.raises(dg.Failure, match="not enough disk space") as failure:
        warehouse.publish(log=_Warnings())
    message = failure.value.description
    assert f"{needed:,} bytes" in message and "(1,000 bytes) free" in message and str(tmp_path) in message
    assert warehouse.published_path.read_bytes() == before
    assert _staging_files(warehouse) == [] and warehouse.snapshots() == kept
    with pytest.raises(dg.Failure, match="not enough disk space"):
        warehouse.roll_back()
    assert warehouse.published_path.read_bytes() == before and warehouse.snapshots() == kept


def test_a_disk_that_fills_up_during_the_copy_leaves_the_published_file(tmp_path, monkeypatch):
    warehouse, before, kept = _published_before_a_failed_publish(tmp_path)

    def copy_half_then_fill_the_disk(source, destination, *args, **kwargs):
        data = Path(source).read_bytes()
        Path(destination).write_bytes(data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", copy_half_then_fill_the_disk)
    with pytest.raises(dg.Failure, match="the disk filled up while copying") as failure:
        warehouse.publish(log=_Warnings())
    assert "No space left on device" in failure.value.description
    assert "the published file is unchanged" in failure.value.description
    assert warehouse.published_path.read_bytes() == before
    assert _staging_files(warehouse) == [] and warehouse.snapshots() == kept
