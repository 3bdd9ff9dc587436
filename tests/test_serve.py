"""`make ui` as a service: it comes up, a SIGTERM to make stops every process it started within 10 s,
and a port already taken is said in one line before anything starts. Real `make`, real processes."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

import psutil
import pytest

from tests.conftest import PROJECT_ROOT, SEEDS
from tests.test_ui import _free_port, _graphql

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")

STARTUP_SECONDS = 120
STOP_SECONDS = 10
RUNS_QUERY = "{ runsOrError { ... on Runs { results { runId status } } } }"


def _make_ui_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a `make ui` of its own: Dagster home, sources and warehouse under tmp_path."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "config" / "dagster.yaml", home / "dagster.yaml")  # newer than config/: no re-copy
    source = tmp_path / "source"
    shutil.copytree(SEEDS, source)
    env = {key: value for key, value in os.environ.items() if key not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    return {
        **env,
        "DAGSTER_HOME": str(home),
        "NEWS_SOURCE_DIR": str(source),
        "NEWS_WAREHOUSE_PATH": str(tmp_path / "warehouse" / "news.duckdb"),
    }


def _as_from_a_shell() -> None:
    """In `make`'s process before it starts: the signal state a terminal's shell gives a command —
    nothing blocked, SIGTERM/SIGINT/SIGHUP at their defaults — rather than whatever the test
    process inherited or was left with (make keeps an ignored or blocked SIGTERM, and so would
    everything it starts)."""
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


def _start_make_ui(port: int, env: dict[str, str], log_path: Path) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
    log = open(log_path, "wb")  # noqa: SIM115 (closed by the caller)
    process = subprocess.Popen(
        ["make", "--no-print-directory", "ui", f"PORT={port}", "HOST=127.0.0.1"],
        cwd=PROJECT_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_as_from_a_shell,
    )
    return process, log


def _gone(process: psutil.Process) -> bool:
    try:
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _describe(process: psutil.Process) -> str:
    try:
        return f"{process.pid} " + " ".join(process.cmdline()[:4])
    except psutil.Error:
        return f"{process.pid} (gone)"


def _descendants(pid: int) -> set[psutil.Process]:
    try:
        return set(psutil.Process(pid).children(recursive=True))
    except psutil.NoSuchProcess:
        return set()


def _kill_everything(make: subprocess.Popen[bytes], known: set[psutil.Process]) -> None:
    """Whatever the test's outcome: make's session and every process seen under it, SIGKILLed and reaped."""
    processes = known | _descendants(make.pid)
    for pid in [make.pid] + [process.pid for process in processes]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)  # make's session, and the one the supervisor started
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(list(processes), timeout=5)
    with contextlib.suppress(subprocess.TimeoutExpired):
        make.wait(timeout=5)


def _server_info_answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def _run_in_progress(port: int) -> bool:
    """A run started (the source folder sensor's first look: new files, no warehouse yet)."""
    try:
        runs = _graphql(port, RUNS_QUERY)["data"]["runsOrError"]["results"]
    except (OSError, KeyError, TypeError, ValueError):
        return False
    return any(run["status"] == "STARTED" for run in runs)


def test_sigterm_to_make_stops_every_process_it_started(tmp_path):
    """Stopped during a run: the case where `dagster dev` alone took 18 s (it waited for the run)."""
    port = _free_port()
    log_path = tmp_path / "make_ui.log"
    make, log = _start_make_ui(port, _make_ui_env(tmp_path), log_path)
    collected: set[psutil.Process] = set()
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not (_server_info_answers(port) and _run_in_progress(port)):
            if make.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"make ui did not come up with a run on {port}: {log_path.read_text()[-3000:]}")
            time.sleep(0.5)

        collected = _descendants(make.pid)
        names = sorted(_describe(process) for process in collected)
        # the supervisor, dagster dev, its webserver and its daemon at least
        assert len(collected) >= 4, names
        assert any("pipelines.serve" in name for name in names), names

        os.kill(make.pid, signal.SIGTERM)  # make only: it forwards SIGTERM to the recipe's process
        deadline = time.monotonic() + STOP_SECONDS
        while True:
            make.poll()
            alive = [process for process in collected if not _gone(process)]
            if not alive and make.returncode is not None:
                break
            if time.monotonic() > deadline:
                pytest.fail(
                    f"{STOP_SECONDS} s after SIGTERM, still alive: "
                    f"{[_describe(process) for process in alive]}, make: {make.returncode}; "
                    f"{log_path.read_text()[-3000:]}"
                )
            time.sleep(0.1)

        with socket.socket() as sock:  # the port is free again: the next `make ui` can have it
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", port))
        log.flush()
        assert "stopped on SIGTERM" in log_path.read_text()
    finally:
        _kill_everything(make, collected)
        log.close()


def test_a_port_in_use_is_said_before_anything_starts(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        log_path = tmp_path / "make_ui.log"
        make, log = _start_make_ui(port, _make_ui_env(tmp_path), log_path)
        try:
            try:
                make.wait(timeout=60)
            except subprocess.TimeoutExpired:
                pytest.fail(f"make ui kept running on a port in use: {log_path.read_text()[-3000:]}")
            output = log_path.read_text()
            assert make.returncode != 0, output
            assert f"127.0.0.1:{port} is already in use" in output, output
            assert f"PORT={port + 1}" in output, output
            assert "Launching Dagster services" not in output, output  # nothing was started
        finally:
            _kill_everything(make, set())
            log.close()
