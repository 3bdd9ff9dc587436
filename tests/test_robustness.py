"""Hostile input, killed runs, concurrent runs and readers: nothing lost, nobody locked out."""

from __future__ import annotations

import codecs
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.conftest import PROJECT_ROOT, SEEDS, run_pipeline, table_fingerprints

LATIN1 = "Les élèves français étudient à l'école où ils apprennent beaucoup de choses intéressantes et variées."
CP1252 = "Le « café » coûte 3 € — c'est l'œuvre d'un maître qui connaît son métier depuis des années."
RUSSIAN = "Компания Microsoft объявила о новом партнёрстве с OpenAI в области искусственного интеллекта."
CHINESE = "微软宣布与OpenAI在人工智能领域建立新的合作伙伴关系，这将改变整个行业的格局。"
AMHARIC = "ማይክሮሶፍት ከኦፕንኤአይ ጋር በሰው ሰራሽ የማሰብ ችሎታ መስክ አዲስ አጋርነት አስታውቋል። ይህ ኢንዱስትሪውን ይለውጣል።"
MIXED = (
    "Microsoft et OpenAI renforcent leur partenariat dans l'intelligence artificielle.\n\n"
    "Microsoft and OpenAI are strengthening their partnership in artificial intelligence."
)


def _zip_bytes(tmp_path: Path) -> bytes:
    archive = tmp_path / "archive.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("inner.txt", "hello")
    return archive.read_bytes()


def _hostile_source(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A source folder with every kind of file a newsroom export or a scraper produces.

    Returns the folder and, for files that must be rejected, the expected reason.
    """
    source = tmp_path / "source"
    source.mkdir()
    shutil.copy(SEEDS / "001_1d6ceef6ef916131.txt", source / "001.txt")
    shutil.copy(SEEDS / "004_b347f73474599f56.txt", source / "004.txt")
    files: dict[str, bytes] = {
        "empty.txt": b"",
        "whitespace.txt": b"  \n\t\n   \r\n",
        "image.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        "archive.txt": _zip_bytes(tmp_path),
        "latin1.txt": LATIN1.encode("latin-1"),
        "cp1252.txt": CP1252.encode("cp1252"),
        "bom8.txt": codecs.BOM_UTF8 + "Un texte en UTF-8 avec une marque d'ordre des octets au début.".encode(),
        "utf16.txt": "Un texte en UTF-16 avec une marque d'ordre des octets, écrit par Windows.".encode("utf-16"),
        "crlf.txt": "Première ligne du texte français.\r\nDeuxième ligne du texte français.\r\n".encode(),
        "cr.txt": "Première ligne d'un vieux Mac.\rDeuxième ligne d'un vieux Mac.\r".encode(),
        "urls.txt": b"https://example.com/a\nhttps://example.com/b https://t.co/xyz\n",
        "russian.txt": RUSSIAN.encode(),
        "chinese.txt": CHINESE.encode(),
        "amharic.txt": AMHARIC.encode(),
        "mixed.txt": MIXED.encode(),
        "copy of 001.txt": (SEEDS / "001_1d6ceef6ef916131.txt").read_bytes(),
        "quote'\"s.txt": b"Un nom de fichier avec des guillemets, et pourtant un texte normal.",
        "semi;colon; drop table core.documents;--.txt": "Un nom de fichier qui ressemble à du SQL.".encode(),
        "éàü ñ.txt": "Un nom de fichier avec des lettres accentuées.".encode(),
        "-leading-dash.txt": b"Un nom de fichier qui commence par un tiret.",
        "sub/dir/nested.txt": "Un article rangé dans un sous-dossier de la source.".encode(),
    }
    for name, content in files.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes(content)
    with open(source / "big.txt", "wb") as handle:  # a 20 MB article
        line = ("Microsoft et OpenAI. " * 50 + "\n").encode()
        handle.write(line * (20_000_000 // len(line) + 1))
    outside = tmp_path / "outside_secret.txt"
    outside.write_text("a file outside the source folder must never be read")
    (source / "link.txt").symlink_to(outside)
    os.mkfifo(source / "pipe.txt")
    expected = {
        "empty.txt": "empty",
        "whitespace.txt": "no_text",
        "image.txt": "binary",
        "archive.txt": "binary",
        "urls.txt": "no_text",
        "copy of 001.txt": "duplicate_content",
        "big.txt": "too_large",
        "link.txt": "symlink",
        "pipe.txt": "not_a_file",
    }
    return source, expected


def test_hostile_input_becomes_documents_or_rejections(tmp_path, monkeypatch):
    source, expected = _hostile_source(tmp_path)
    n_files = sum(1 for path in source.rglob("*") if not path.is_dir() or path.is_symlink())
    warehouse = tmp_path / "warehouse" / "news.duckdb"
    result = run_pipeline(source, warehouse, tmp_path / "home", monkeypatch)
    assert result.success
    with duckdb.connect(str(warehouse), read_only=True) as db:
        n_documents = db.execute("select count(*) from core.documents").fetchone()[0]
        rejected = dict(db.execute("select source_path, reason from core.rejected_documents").fetchall())
        assert n_documents + len(rejected) == n_files
        assert rejected == expected
        assert all(detail for (detail,) in db.execute("select detail from core.rejected_documents").fetchall())
        documents = {
            path: row
            for path, *row in db.execute(
                "select source_path, language, text, entities_missing_reason, sentiment_missing_reason from core.documents"
            ).fetchall()
        }
        encodings = dict(db.execute("select source_path, encoding from raw.documents").fetchall())
    assert documents["latin1.txt"][1] == LATIN1 and documents["cp1252.txt"][1] == CP1252
    assert encodings["bom8.txt"] == "utf-8-sig" and encodings["utf16.txt"] == "utf-16"
    assert documents["utf16.txt"][1].startswith("Un texte en UTF-16")
    assert documents["crlf.txt"][1] == "Première ligne du texte français.\nDeuxième ligne du texte français."
    assert documents["cr.txt"][1] == "Première ligne d'un vieux Mac.\nDeuxième ligne d'un vieux Mac."
    assert (
        documents["russian.txt"][0] == "ru" and documents["russian.txt"][2] == "no spaCy NER pipeline for language 'ru'"
    )
    assert documents["russian.txt"][3] == "no sentiment scorer for language 'ru'"
    assert documents["chinese.txt"][0] == "zh" and documents["amharic.txt"][0] == "und"
    assert documents["mixed.txt"][0] in {"fr", "en"}
    for name in [
        "quote'\"s.txt",
        "semi;colon; drop table core.documents;--.txt",
        "éàü ñ.txt",
        "-leading-dash.txt",
        "sub/dir/nested.txt",
    ]:
        assert name in documents, name
    assert not any("outside the source folder" in row[1] for row in documents.values())


HOOKS = PROJECT_ROOT / "tests" / "hooks"  # sitecustomize.py: pauses a run inside a step on request


def _start_run(source: Path, warehouse: Path, home: Path, pause_in: str | None = None) -> subprocess.Popen:
    """`python -m pipelines` in a subprocess, its stdout and stderr in `run.log_path`.

    With `pause_in` (a step of tests/hooks/sitecustomize.py), the run stops inside that step,
    having written `run.pause_marker`, until it is killed."""
    home.mkdir(parents=True, exist_ok=True)
    name = f"run-{time.monotonic_ns()}"
    env = {
        **os.environ,
        "NEWS_SOURCE_DIR": str(source),
        "NEWS_WAREHOUSE_PATH": str(warehouse),
        "DAGSTER_HOME": str(home),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HOOKS), os.environ.get("PYTHONPATH")])),
        "NEWS_TEST_PAUSE_IN": pause_in or "",
        "NEWS_TEST_PAUSE_MARKER": str(home / f"{name}.paused"),
    }
    env.pop("VERBOSE", None)
    log_path = home / f"{name}.log"
    log = open(log_path, "w")  # noqa: SIM115 (kept open by the child)
    run = subprocess.Popen(
        [sys.executable, "-m", "pipelines"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    run.log_path = log_path
    run.pause_marker = Path(env["NEWS_TEST_PAUSE_MARKER"])
    return run


def _wait_for_pause(run: subprocess.Popen, step: str, timeout: float = 600) -> None:
    """Return once the run is paused inside `step` (its marker file exists)."""
    deadline = time.monotonic() + timeout
    while not run.pause_marker.exists():
        if run.poll() is not None:
            raise AssertionError(f"the run ended before pausing in {step}:\n{run.log_path.read_text(errors='replace')}")
        assert time.monotonic() < deadline, f"the run did not reach {step} within {timeout} s"
        time.sleep(0.05)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_killed_runs_leave_the_published_warehouse_intact_and_concurrent_runs_wait(tmp_path, seed_warehouse):
    source = tmp_path / "source"
    shutil.copytree(SEEDS, source)
    moved = source / "004_b347f73474599f56.txt"
    moved.rename(tmp_path / moved.name)
    warehouse = tmp_path / "warehouse" / "news.duckdb"
    home = tmp_path / "home"
    assert _start_run(source, warehouse, home).wait(timeout=600) == 0
    published = _digest(warehouse)
    shutil.copy(tmp_path / moved.name, source / moved.name)

    for step in ("analyse", "sql_models"):  # after the NLP, halfway through the dbt build
        run = _start_run(source, warehouse, home, pause_in=step)
        _wait_for_pause(run, step)
        assert run.poll() is None, f"the run ended while paused in {step}"
        run.send_signal(signal.SIGKILL)
        run.wait()
        assert _digest(warehouse) == published, f"killed during {step}, the published file changed"
        with duckdb.connect(str(warehouse), read_only=True) as db:
            assert db.execute("select count(*) from core.documents").fetchone()[0] == 4

    # an analyst polls the published file while two runs start at once
    failures: list[str] = []
    seen: set[int] = set()
    stop = threading.Event()

    def analyst() -> None:
        while not stop.is_set():
            try:
                with duckdb.connect(str(warehouse), read_only=True) as db:
                    core, mart = db.execute(
                        "select (select count(*) from core.documents), (select count(*) from marts.document_overview)"
                    ).fetchone()
                if core != mart:
                    failures.append(f"inconsistent snapshot: {core} documents vs {mart} in the mart")
                seen.add(core)
            except Exception as error:  # noqa: BLE001 (any failure is the finding)
                failures.append(repr(error))
            time.sleep(0.1)

    reader = threading.Thread(target=analyst)
    reader.start()
    try:
        first, second = _start_run(source, warehouse, home), _start_run(source, warehouse, home)
        assert first.wait(timeout=900) == 0 and second.wait(timeout=900) == 0
    finally:
        stop.set()
        reader.join()
    assert failures == []
    assert seen == {4, 5}
    logs = "".join(path.read_text() for path in home.glob("run-*.log"))
    assert "waiting for it to finish" in logs
    assert "had died: marked failed" in logs  # the next run failed the killed runs' records
    with dg.DagsterInstance.from_config(str(home)) as instance:
        statuses = sorted(record.dagster_run.status.value for record in instance.get_run_records())
    assert statuses == ["FAILURE", "FAILURE", "SUCCESS", "SUCCESS", "SUCCESS"]
    assert table_fingerprints(warehouse) == table_fingerprints(seed_warehouse)
    assert not list(warehouse.parent.glob(".news.duckdb.publishing-*"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_file_is_rejected(tmp_path):
    from pipelines.sources import read_source_files

    (tmp_path / "secret.txt").write_text("x")
    (tmp_path / "secret.txt").chmod(0)
    frame = read_source_files(tmp_path, 1000)
    assert frame.select("read_reason").item() == "unreadable"
