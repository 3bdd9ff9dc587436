"""Unattended operation: dead runs are failed and the queue moves on, failures reach a webhook,
the run history stays bounded."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import pytest

from pipelines import run_health
from pipelines.alerts import Alert, last_alert, send_alert
from tests.conftest import PROJECT_ROOT, SEEDS
from tests.test_robustness import _start_run, _wait_for_pause


class _Webhook:
    """A local HTTP server on 127.0.0.1 that keeps the JSON bodies posted to it; `fail_first`
    requests get a 500."""

    def __init__(self, fail_first: int = 0):
        received: list[dict] = []
        failures = [fail_first]

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if failures[0] > 0:
                    failures[0] -= 1
                    self.send_response(500)
                else:
                    received.append(json.loads(body))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.received = received
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _Webhook:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.shutdown()
        self.server.server_close()


def _home(tmp_path: Path) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "config" / "dagster.yaml", home)  # as `make` does
    return home


def test_a_webhook_gets_one_retry_and_a_dead_webhook_never_raises(tmp_path):
    log = tmp_path / "alerts.log"
    with _Webhook(fail_first=1) as hook:
        assert send_alert(Alert("r1", "news_warehouse", "it broke", ("analyse",)), log, hook.url)
        assert not send_alert(Alert("r1", "news_warehouse", "it broke"), log, hook.url)  # once per run
    assert [body["news_warehouse"]["run_id"] for body in hook.received] == ["r1"]
    assert hook.received[0]["text"] == "News Warehouse: run r1 of news_warehouse failed at analyse: it broke"
    closed = hook.url  # the server is gone: both attempts fail, the alert stays in the log
    assert send_alert(Alert("r2", "news_warehouse", "again"), log, closed)
    assert "webhook for run r2" in last_alert(log)
    assert "run r2 of news_warehouse failed: again" in log.read_text()


def test_a_failed_blocking_check_alerts_the_webhook_and_the_run_ends_cleanly(tmp_path, monkeypatch, capsys):
    source = tmp_path / "source"
    shutil.copytree(SEEDS, source)
    warehouse = tmp_path / "warehouse" / "news.duckdb"
    monkeypatch.setenv("NEWS_SOURCE_DIR", str(source))
    monkeypatch.setenv("NEWS_WAREHOUSE_PATH", str(warehouse))
    monkeypatch.setenv("DAGSTER_HOME", str(_home(tmp_path)))
    import pipelines.checks
    from pipelines.run import main

    monkeypatch.setattr(pipelines.checks, "ISO_639_1_OR_UND", "^zz$")  # no seed's language passes
    with _Webhook() as hook:
        monkeypatch.setenv("NEWS_ALERT_WEBHOOK", hook.url)
        assert main() == 1
    err = capsys.readouterr().err
    assert "the published warehouse was left as it was" in err
    assert not warehouse.exists()
    [alert] = hook.received
    assert "documents_have_valid_languages" in alert["text"], alert
    assert alert["news_warehouse"]["failed_steps"], alert
    assert "documents_have_valid_languages" in last_alert(warehouse.parent / "alerts.log")
    from pipelines.status import report
    from pipelines.warehouse import Warehouse

    with dg.DagsterInstance.get() as instance:  # `make status`
        status = "\n".join(report(instance, Warehouse()))
    assert re.search(r"^last run: +\S+ FAILURE at ", status, re.MULTILINE), status
    assert "published:         nothing yet" in status and "queued / running:  0 / 0" in status, status
    assert "documents_have_valid_languages" in status.splitlines()[-1], status


def test_old_and_surplus_runs_leave_the_history(tmp_path):
    @dg.op
    def nothing() -> None:
        pass

    @dg.job
    def tiny():
        nothing()

    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        ids = [tiny.execute_in_process(instance=instance).run_id for _ in range(5)]
        assert run_health.prune_history(instance, run_health.Retention(days=30, max_runs=3)) == 2
        kept = {record.dagster_run.run_id for record in instance.get_run_records()}
        assert kept == set(ids[2:])
        assert not Path(instance.event_log_storage.path_for_shard(ids[0])).exists()  # its events went with it
        assert not (Path(instance.storage_directory()) / ids[0]).exists()  # and its captured logs
        later = time.time() + 31 * 86400
        assert run_health.prune_history(instance, run_health.Retention(days=30, max_runs=3), now=later) == 3
        assert instance.get_run_records() == []


def test_a_pruned_run_takes_its_asset_check_results_with_it(tmp_path):
    @dg.asset
    def numbers() -> int:
        return 1

    @dg.asset_check(asset=numbers)
    def numbers_are_positive() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=True)

    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        ids = [dg.materialize([numbers, numbers_are_positive], instance=instance).run_id for _ in range(4)]
        assert run_health.prune_history(instance, run_health.Retention(days=30, max_runs=1)) == 3
        with instance.event_log_storage.index_connection() as connection:
            import sqlalchemy

            left = connection.execute(sqlalchemy.text("select distinct run_id from asset_check_executions")).fetchall()
        assert [run_id for (run_id,) in left] == [ids[-1]]


def test_a_run_is_alive_while_its_process_is():
    assert run_health.process_is_alive(run_health.process_tags()) is True
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    tags = run_health.process_tags(finished.pid)
    finished.wait()
    assert run_health.process_is_alive(tags) is False
    assert run_health.process_is_alive({**run_health.process_tags(), run_health.HOST_TAG: "elsewhere"}) is None
    recycled = {**run_health.process_tags(), run_health.PROCESS_STARTED_TAG: "12.00"}  # same pid, another process
    assert run_health.process_is_alive(recycled) is False


def _runs(home: Path) -> list[dg.DagsterRun]:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        return [record.dagster_run for record in instance.get_run_records()]


def _failure_message(home: Path, run_id: str) -> str:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records
        return " ".join(record.event_log_entry.dagster_event.message or "" for record in records)


def test_a_killed_run_is_failed_and_the_sensors_run_goes_ahead_without_anyone(tmp_path):
    """SIGKILL in the middle of analyse, then the daemon of `make ui` (its sensors and its
    one-at-a-time queue): the killed run is marked failed, the sensor's run starts and succeeds."""
    source = tmp_path / "source"
    shutil.copytree(SEEDS, source)
    warehouse = tmp_path / "warehouse" / "news.duckdb"
    home = _home(tmp_path)
    killed = _start_run(source, warehouse, home, pause_in="analyse")
    _wait_for_pause(killed, "analyse")
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    [dead] = _runs(home)
    assert dead.status == dg.DagsterRunStatus.STARTED  # what Dagster alone would keep saying for ever

    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "NEWS_SOURCE_DIR": str(source),
        "NEWS_WAREHOUSE_PATH": str(warehouse),
    }
    for name in ("NEWS_TEST_PAUSE_IN", "NEWS_TEST_PAUSE_MARKER", "VERBOSE"):
        env.pop(name, None)
    daemon_log = open(tmp_path / "daemon.log", "w")  # noqa: SIM115 (kept open by the child)
    daemon = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-m", "pipelines.definitions"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=daemon_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            runs = {run.run_id: run for run in _runs(home)}
            others = [run for run in runs.values() if run.run_id != dead.run_id]
            if runs[dead.run_id].status == dg.DagsterRunStatus.FAILURE and any(
                run.status == dg.DagsterRunStatus.SUCCESS for run in others
            ):
                break
            if any(run.status == dg.DagsterRunStatus.FAILURE for run in others):
                pytest.fail(f"the sensor's run failed: {(tmp_path / 'daemon.log').read_text()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"after 300 s: {[(run.run_id, run.status) for run in runs.values()]}\n"
                    + (tmp_path / "daemon.log").read_text()[-3000:]
                )
            time.sleep(1)
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        try:
            daemon.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
            daemon.wait()
        daemon_log.close()
    assert "ended without recording the run's end" in _failure_message(home, dead.run_id)
    [sensor_run] = [run for run in others if run.status == dg.DagsterRunStatus.SUCCESS]
    assert sensor_run.tags.get("dagster/sensor_name") == "source_folder_sensor"
    assert warehouse.exists()
    assert dead.run_id in (warehouse.parent / "alerts.log").read_text()
