"""Where the warehouse is opened: the one resource that knows the DuckDB files.

`Warehouse` holds the published file analysts open (NEWS_WAREHOUSE_PATH, configured once) and
the working database beside it in `.build/<name>/`, where runs write. It connects, writes tables
as the schema declares them (`transforms/schema.py`), reads what the last run left for reuse,
keeps the table versions that let reruns skip work, publishes by an atomic rename, and holds the
run lock: every run, whatever its selection, takes it when its resources start and keeps it to
the end. `WarehouseIOManager` stores the assets' Polars frames through it.

Publishing keeps the file it replaces as a snapshot (`snapshots/<stem>-<UTC time>.duckdb` beside
the published file, the last NEWS_KEEP_SNAPSHOTS of them), which `roll_back` (`make rollback`)
puts back; it first checks that the disk has room for the copy, and fails cleanly when not.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
from pydantic import Field

from pipelines.resources import fingerprint
from pipelines.run_health import process_tags
from pipelines.settings import int_setting, setting
from transforms.report import markdown_table
from transforms.schema import TABLES, Table

VERSIONS_TABLE = "meta.table_versions"
PUBLISHED_STATE = "(published warehouse)"
TABLES_BY_KEY: dict[dg.AssetKey, Table] = {dg.AssetKey([t.schema, t.name]): t for t in TABLES}
SNAPSHOTS_FOLDER = "snapshots"
SNAPSHOT_STAMP = "%Y%m%dT%H%M%S%fZ"  # UTC, to the microsecond: names sort as times do
# room a copy needs beyond its own size: 5 % of it, at least 16 MiB
FREE_MARGIN_FRACTION = 0.05
FREE_MARGIN_MIN_BYTES = 16 * 1024 * 1024
_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """For COMMENT ON, which takes no parameters; only ever used with the schema's own text."""
    return "'" + text.replace("'", "''") + "'"


def relation(table: Table) -> str:
    return f"{quote_identifier(table.schema)}.{quote_identifier(table.name)}"


def build_directory(warehouse_path: str | os.PathLike) -> Path:
    """State that belongs to one warehouse lives beside its published file, in `.build/<name>/`."""
    path = Path(warehouse_path).absolute()
    return path.parent / ".build" / path.stem


def work_database_path(warehouse_path: str | os.PathLike) -> Path:
    """The working database: same file name as the published one, so catalog names match."""
    return build_directory(warehouse_path) / Path(warehouse_path).name


def free_bytes(path: str | os.PathLike) -> int:
    """Bytes an unprivileged writer may still use on the file system holding `path`."""
    return shutil.disk_usage(path).free


def space_needed(size: int) -> int:
    """Free space a copy of `size` bytes asks for: the copy plus a margin."""
    return size + max(int(size * FREE_MARGIN_FRACTION), FREE_MARGIN_MIN_BYTES)


def _amount(size: int) -> str:
    return f"{size / 2**20:,.1f} MiB ({size:,} bytes)"


@dataclass(frozen=True)
class Written:
    """What writing a table did."""

    content_hash: str
    rewritten: bool  # false when the table already held this content
    seconds: float


class Warehouse(dg.ConfigurableResource):
    """The published DuckDB file (NEWS_WAREHOUSE_PATH), its working copy in `.build/`, and the run lock.

    Inside a run the resource holds the run lock from the moment the run's resources start until
    the run ends: a second run (schedule, sensor, `make run`) waits for the first, up to
    `lock_wait_seconds`, then fails with a message naming the lock, never interleaving its writes.
    """

    path: str | None = Field(
        default=None, description="the published DuckDB file analysts open; unset: NEWS_WAREHOUSE_PATH"
    )
    lock_wait_seconds: int | None = Field(
        default=None, description="how long a run waits for a running one; unset: NEWS_RUN_LOCK_WAIT_SECONDS"
    )
    keep_snapshots: int | None = Field(
        default=None, description="previous published files kept in snapshots/; unset: NEWS_KEEP_SNAPSHOTS"
    )

    @property
    def published_path(self) -> Path:
        return Path(self.path or setting("NEWS_WAREHOUSE_PATH")).absolute()

    @property
    def build_directory(self) -> Path:
        return build_directory(self.published_path)

    @property
    def work_path(self) -> Path:
        return work_database_path(self.published_path)

    @property
    def lock_path(self) -> Path:
        return self.build_directory / "run.lock"

    @property
    def snapshot_directory(self) -> Path:
        return self.published_path.parent / SNAPSHOTS_FOLDER

    @property
    def snapshot_limit(self) -> int:
        keep = self.keep_snapshots if self.keep_snapshots is not None else int_setting("NEWS_KEEP_SNAPSHOTS")
        if keep < 0:
            raise ValueError(f"NEWS_KEEP_SNAPSHOTS must be 0 or more, got {keep}")
        return keep

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[Warehouse]:
        if context.dagster_run is None:  # a sensor or schedule evaluation, a script: no run to serialise
            yield self
            return
        if context.instance is not None:  # which process runs it, so that its death is noticed
            context.instance.add_run_tags(context.dagster_run.run_id, process_tags())
        wait = (
            self.lock_wait_seconds if self.lock_wait_seconds is not None else int_setting("NEWS_RUN_LOCK_WAIT_SECONDS")
        )
        with run_lock(self.lock_path, wait, log=context.log):
            yield self

    # connections and reads

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the working database, closed when the block ends."""
        self.work_path.parent.mkdir(parents=True, exist_ok=True)
        connection = duckdb.connect(str(self.work_path), read_only=read_only)
        try:
            yield connection
        finally:
            connection.close()

    def read_table(self, table: Table) -> pl.DataFrame:
        with self.connect(read_only=True) as connection:
            return connection.execute(f"select * from {relation(table)}").pl()

    def read_previous(self, table: Table) -> pl.DataFrame | None:
        """The table as the last run left it in the working database, for incremental reuse.

        None when there is none yet, or when its columns are not the schema's (an older version of
        the pipeline wrote it): then everything is computed afresh.
        """
        if not self.work_path.exists():
            return None
        with self.connect(read_only=True) as connection:
            found = connection.execute(
                "select column_name, lower(data_type) from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [table.schema, table.name],
            ).fetchall()
            if found != [(column.name, column.sql_type) for column in table.columns]:
                return None
            return connection.execute(f"select * from {relation(table)}").pl()

    # writes

    def write_table(self, table: Table, frame: pl.DataFrame) -> Written:
        """Replace `table` with `frame` in one transaction, typed and commented as the schema says.

        Raises ValueError when the frame is not the table (missing, extra or mistyped columns,
        repeated keys). A table whose content hash is unchanged is not rewritten."""
        problems = table.problems(frame)
        if problems:
            raise ValueError(f"{table.qualified_name}: {'; '.join(problems)}")
        started = time.perf_counter()
        ordered = table.conform(frame)
        content_hash = table_content_hash(table, ordered)
        arrow = ordered.to_arrow()  # noqa: F841 (read by DuckDB's replacement scan)
        name = relation(table)
        with self.connect() as connection:
            connection.execute("begin transaction")
            try:
                ensure_versions_table(connection)
                unchanged = content_hash == table_version(connection, table)
                if not unchanged:
                    columns = ", ".join(f"{quote_identifier(c.name)} {c.sql_type}" for c in table.columns)
                    connection.execute(f"create schema if not exists {quote_identifier(table.schema)}")
                    connection.execute(f"create or replace table {name} ({columns})")
                    connection.execute(f"insert into {name} select * from arrow")
                    connection.execute(f"comment on table {name} is {quote_literal(table.description)}")
                    for column in table.columns:
                        connection.execute(
                            f"comment on column {name}.{quote_identifier(column.name)} is {quote_literal(column.comment)}"
                        )
                    connection.execute(
                        f"insert or replace into {VERSIONS_TABLE} values (?, ?)", [table.qualified_name, content_hash]
                    )
                connection.execute("commit")
            except Exception:
                connection.execute("rollback")
                raise
        return Written(content_hash, not unchanged, time.perf_counter() - started)

    # state: what the published file was built from

    def input_state(self, *extra: object) -> str:
        """A hash of every table the Python assets wrote (as recorded in meta.table_versions) and `extra`."""
        with self.connect() as connection:
            ensure_versions_table(connection)
            rows = connection.execute(
                f"select table_name, content_hash from {VERSIONS_TABLE} where table_name <> ? order by table_name",
                [PUBLISHED_STATE],
            ).fetchall()
        return fingerprint(rows, *extra)

    def published_state(self) -> str | None:
        """The input state the published file was built from; None without a published file."""
        if not self.published_path.exists():
            return None
        try:
            with duckdb.connect(str(self.published_path), read_only=True) as connection:
                found = connection.execute(
                    f"select content_hash from {VERSIONS_TABLE} where table_name = ?", [PUBLISHED_STATE]
                ).fetchone()
        except duckdb.Error:  # unreadable, or published by a version without the state table
            return None
        return found[0] if found else None

    def record_published_state(self, state: str) -> None:
        with self.connect() as connection:
            ensure_versions_table(connection)
            connection.execute(f"insert or replace into {VERSIONS_TABLE} values (?, ?)", [PUBLISHED_STATE, state])

    # publishing

    def publish(self, log=None) -> Path:
        """Copy the working database beside the published file, then rename it over atomically.

        Readers holding the old file keep their snapshot; a crash before the rename leaves the
        published file as it was. The file replaced is kept in `snapshots/` (see `roll_back`); a
        snapshot that cannot be written or pruned is a warning through `log` (by default Dagster's
        logger: the run's log inside a run), never a failed publish. Raises dg.Failure, having
        written nothing, when the disk lacks room for the copy, and when it fills up during it.
        """
        with self.connect() as connection:
            connection.execute("checkpoint")
        target = self.published_path
        target.parent.mkdir(parents=True, exist_ok=True)
        for leftover in target.parent.glob(f".{target.name}.publishing-*"):  # from a killed run
            leftover.unlink(missing_ok=True)
        self._install(self.work_path, "the working database", log or dg.get_dagster_logger())
        return target

    def snapshots(self) -> list[Path]:
        """The kept snapshots of the published file, newest first."""
        stem, suffix = self.published_path.stem, self.published_path.suffix
        pattern = re.compile(rf"{re.escape(stem)}-\d{{8}}T\d{{12}}Z{re.escape(suffix)}")
        folder = self.snapshot_directory
        try:
            names = [
                entry.name
                for entry in os.scandir(folder)
                if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False)
            ]
        except (FileNotFoundError, NotADirectoryError):
            return []
        return [folder / name for name in sorted(names, reverse=True)]

    def roll_back(self, snapshot: Path | None = None, *, log=None, wait_seconds: float = 0) -> Path:
        """Put a snapshot (by default the newest) back as the published file; returns the snapshot.

        Done as a publish is: the snapshot is copied beside the published file (it stays a
        snapshot) and renamed over it, after the disk-space check, and the file it replaces
        becomes a snapshot first, so that a roll-back can itself be undone by another. Takes the
        run lock (waiting `wait_seconds` for a run that holds it, then dg.Failure). The working
        database is left alone: the next successful run publishes its state again.
        """
        log = log or dg.get_dagster_logger()
        with run_lock(self.lock_path, wait_seconds, log=log):
            if snapshot is None:
                kept = self.snapshots()
                if not kept:
                    raise dg.Failure(
                        description=f"no snapshot of {self.published_path} in {self.snapshot_directory}: "
                        "nothing to roll back to"
                    )
                snapshot = kept[0]
            snapshot = Path(snapshot).absolute()
            if not snapshot.is_file():
                raise dg.Failure(description=f"{snapshot} is not a file: nothing was rolled back")
            try:
                with duckdb.connect(str(snapshot), read_only=True) as connection:
                    connection.execute("select count(*) from duckdb_tables()").fetchone()
            except duckdb.Error as error:
                raise dg.Failure(
                    description=f"{snapshot} is not a readable DuckDB file ({error}): nothing was rolled back"
                ) from None
            self.published_path.parent.mkdir(parents=True, exist_ok=True)
            self._install(snapshot, f"the snapshot {snapshot.name}", log)
        return snapshot

    def _install(self, source: Path, what: str, log) -> None:
        """Copy `source` to a staging file beside the published one, keep the published file as a
        snapshot, rename the copy over it; prune old snapshots."""
        target = self.published_path
        size = source.stat().st_size
        needed, free = space_needed(size), free_bytes(target.parent)
        if free < needed:
            raise dg.Failure(
                description=f"not enough disk space to publish {target}: copying {what} "
                f"({_amount(size)}) needs {_amount(needed)} free with the margin, and {target.parent} "
                f"has {_amount(free)} free; nothing was written and the published file is unchanged",
                metadata={"needed_bytes": needed, "free_bytes": free, "path": str(target.parent)},
            )
        staging = target.with_name(f".{target.name}.publishing-{os.getpid()}")
        try:
            try:
                shutil.copyfile(source, staging)
                with open(staging, "rb+") as handle:
                    os.fsync(handle.fileno())
            except OSError as error:
                if error.errno not in _DISK_FULL:
                    raise
                staging.unlink(missing_ok=True)
                free = free_bytes(target.parent)
                raise dg.Failure(
                    description=f"the disk filled up while copying {what} ({_amount(size)}) to publish "
                    f"{target}: {error.strerror or error}; {target.parent} has {_amount(free)} free without "
                    f"the partial copy, which was removed, and {_amount(needed)} are needed; "
                    "the published file is unchanged",
                    metadata={"needed_bytes": needed, "free_bytes": free, "path": str(target.parent)},
                ) from error
            self._keep_snapshot(log)
            os.replace(staging, target)
        finally:
            staging.unlink(missing_ok=True)
        _fsync_directory(target.parent)
        self._prune_snapshots(log)

    def _keep_snapshot(self, log) -> Path | None:
        """Keep the published file, about to be replaced, as a snapshot; None when none was kept.

        A hard link: publishing renames a new file into place and never writes the published one,
        so the link keeps its content at no cost in space. A copy where links fail (another file
        system, no hard links); any failure is a warning."""
        target = self.published_path
        if self.snapshot_limit == 0 or not target.is_file():
            return None
        folder = self.snapshot_directory
        try:
            folder.mkdir(exist_ok=True)
            snapshot = self._new_snapshot_path()
            try:
                os.link(target, snapshot, follow_symlinks=True)
            except OSError:  # EXDEV, EPERM, EMLINK, ENOTSUP, …: copy instead
                partial = folder / f".{snapshot.name}.partial-{os.getpid()}"
                try:
                    shutil.copyfile(target, partial)
                    os.replace(partial, snapshot)
                finally:
                    partial.unlink(missing_ok=True)
        except OSError as error:
            log.warning(f"could not keep the replaced warehouse as a snapshot in {folder}: {error}; published anyway")
            return None
        return snapshot

    def _new_snapshot_path(self) -> Path:
        """A snapshot name stamped now, later than every kept one (whatever the clock did)."""
        stamp = datetime.now(UTC).replace(tzinfo=None)
        kept = self.snapshots()
        if kept:
            newest = datetime.strptime(kept[0].stem.rsplit("-", 1)[1], SNAPSHOT_STAMP)
            stamp = max(stamp, newest + timedelta(microseconds=1))
        target = self.published_path
        return self.snapshot_directory / f"{target.stem}-{stamp.strftime(SNAPSHOT_STAMP)}{target.suffix}"

    def _prune_snapshots(self, log) -> list[Path]:
        """Delete the snapshots beyond the limit, oldest first; failures are warnings."""
        keep = self.snapshot_limit
        if keep == 0:  # snapshots are off: those kept before are left alone
            return []
        removed = []
        try:
            extra = self.snapshots()[keep:]
        except OSError as error:
            log.warning(f"could not list the snapshots in {self.snapshot_directory}: {error}")
            return []
        for old in reversed(extra):
            try:
                old.unlink(missing_ok=True)
                removed.append(old)
            except OSError as error:
                log.warning(f"could not delete the old snapshot {old}: {error}")
        return removed

    def publish_report(self, files: dict[str, bytes]) -> Path:
        """Write report files beside the published warehouse (`report/`), replacing the old set whole."""
        folder = self.published_path.parent / "report"
        staging = self.published_path.parent / f".report-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for name, content in files.items():
            (staging / name).write_bytes(content)
        previous = self.published_path.parent / f".report-old-{os.getpid()}"
        if folder.exists():
            os.replace(folder, previous)
        os.replace(staging, folder)
        shutil.rmtree(previous, ignore_errors=True)
        return folder

    @contextmanager
    def read_published(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection to the published file."""
        connection = duckdb.connect(str(self.published_path), read_only=True)
        try:
            yield connection
        finally:
            connection.close()


def _fsync_directory(directory: Path) -> None:
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


# Locks this process holds, by path: resources that share the warehouse take it once.
_HELD: dict[Path, int] = {}
_HELD_GUARD = threading.Lock()


@contextmanager
def run_lock(path: Path, wait_seconds: float, *, log=None, poll_seconds: float = 0.5) -> Iterator[None]:
    """Hold the exclusive lock file `path` for the block: one run at a time per warehouse.

    Waits for another process holding it (saying so once through `log`), up to `wait_seconds`,
    then raises dg.Failure naming the holder. Re-entrant within a process. The lock is the
    kernel's (`flock`): a run that dies, even by `kill -9`, releases it."""
    with _HELD_GUARD:
        if path in _HELD:
            _HELD[path] += 1
            held_here = True
        else:
            held_here = False
    if held_here:
        try:
            yield
        finally:
            with _HELD_GUARD:
                _HELD[path] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        deadline = time.monotonic() + wait_seconds
        announced = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    handle.seek(0)
                    raise dg.Failure(
                        description=f"another run (pid {handle.read().strip() or '?'}) still holds {path} "
                        f"after {wait_seconds} s; this run changed nothing"
                    ) from None
                if not announced and log is not None:
                    log.info(f"another run holds {path}; waiting for it to finish")
                    announced = True
                time.sleep(poll_seconds)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        with _HELD_GUARD:
            _HELD[path] = 1
        try:
            yield
        finally:
            with _HELD_GUARD:
                del _HELD[path]
            fcntl.flock(handle, fcntl.LOCK_UN)


class WarehouseIOManager(dg.ConfigurableIOManager):
    """Stores Polars frames as DuckDB tables `schema.table` (from the asset key) through the
    warehouse: checked against the schema, typed and commented as it declares; an empty frame
    still creates its (empty) table."""

    warehouse: Warehouse

    def handle_output(self, context: dg.OutputContext, obj: pl.DataFrame) -> None:
        table = TABLES_BY_KEY[context.asset_key]
        written = self.warehouse.write_table(table, obj)
        context.add_output_metadata(
            {
                "dagster/row_count": obj.height,
                "dagster/relation_identifier": table.qualified_name,
                "preview": dg.MetadataValue.md(markdown_table(obj)),
                "content_hash": written.content_hash,
                "rewritten": written.rewritten,
                "write_seconds": round(written.seconds, 3),
            }
        )

    def load_input(self, context: dg.InputContext) -> pl.DataFrame:
        key = context.upstream_output.asset_key if context.upstream_output else context.asset_key
        return self.warehouse.read_table(TABLES_BY_KEY[key])


def table_content_hash(table: Table, frame: pl.DataFrame) -> str:
    """A hash of a table's content and schema entry (row order ignored: every frame is sorted)."""
    rows = int(frame.hash_rows().sum()) if frame.height else 0
    return fingerprint(pl.__version__, table, frame.height, rows)


def ensure_versions_table(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute("create schema if not exists meta")
    connection.execute(
        f"create table if not exists {VERSIONS_TABLE} (table_name varchar primary key, content_hash varchar not null)"
    )
    connection.execute(
        f"comment on table {VERSIONS_TABLE} is 'Pipeline state: a hash of the content of each table the Python "
        "assets write, and of the inputs of the published warehouse. Unchanged tables are not rewritten and "
        "unchanged inputs do not rebuild the SQL models.'"
    )
    connection.execute(
        f"comment on column {VERSIONS_TABLE}.table_name is "
        f"'schema.table, or {PUBLISHED_STATE} for the state the published file was built from'"
    )
    connection.execute(f"comment on column {VERSIONS_TABLE}.content_hash is 'hash of the content (or the state)'")


def table_version(connection: duckdb.DuckDBPyConnection, table: Table) -> str | None:
    """The content hash recorded for `table`, if the table exists."""
    exists = connection.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [table.schema, table.name],
    ).fetchone()[0]
    if not exists:
        return None
    found = connection.execute(
        f"select content_hash from {VERSIONS_TABLE} where table_name = ?", [table.qualified_name]
    ).fetchone()
    return found[0] if found else None
