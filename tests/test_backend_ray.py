"""The Ray backend (NEWS_RAY_ADDRESS): a real local Ray head with 2 CPUs, the job run against it.

The head runs as a subprocess (`ray start --head --block`), stopped by its process id at
teardown. Token authentication is set up explicitly, as Ray 2.60 expects: a token file in the
test's temporary folder (RAY_AUTH_MODE=token, RAY_AUTH_TOKEN_PATH), HOME pointed there too, and
the head's own files under a `--temp-dir` inside it: nothing is written to the home directory or
to a shared temporary folder. RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 keeps the head and the driver
on 127.0.0.1 (on Linux it is Ray's single-node loopback mode). The job runs as `make run` runs it
(`python -m pipelines`, a subprocess, so Ray reads these settings when it is imported).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg
import pytest

from tests.conftest import PROJECT_ROOT, SEEDS, table_fingerprints

ray = pytest.importorskip("ray", reason="the Ray backend is optional: `make ray` (or `make test`) installs it")

RAY = str(Path(sys.executable).with_name("ray"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop_with_parent() -> None:
    """In the head's process before it starts: the kernel sends it SIGTERM if the test process
    dies (PR_SET_PDEATHSIG), so a killed test run leaves no Ray head behind."""
    import ctypes

    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


@pytest.fixture(scope="module")
def ray_head(tmp_path_factory):
    """A local Ray head with 2 CPUs; yields its address and the environment its clients need."""
    # Ray's socket paths (<temp-dir>/session_<date>_<pid>/sockets/plasma_store, 62 characters more)
    # must stay under 108 bytes: the head's folder is the test's own, unless pytest's is too deep
    base, private = tmp_path_factory.mktemp("r"), None
    if len(str(base)) > 44:
        base = private = Path(tempfile.mkdtemp(prefix="r"))
    home = base / "home"
    home.mkdir()
    token = base / "auth_token"
    token.write_text(secrets.token_hex(32))
    token.chmod(0o600)
    ray_env = {
        "HOME": str(home),
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN_PATH": str(token),
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
        "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0",
    }
    env = {name: value for name, value in os.environ.items() if name not in ("RAY_ADDRESS", "RAY_AUTH_TOKEN")}
    env.update(ray_env)
    port, temp_dir = _free_port(), base
    command = [
        RAY, "start", "--head", "--num-cpus=2", "--num-gpus=0", f"--port={port}", "--node-ip-address=127.0.0.1",
        f"--temp-dir={temp_dir}", "--include-dashboard=false", "--disable-usage-stats", "--block",
    ]  # fmt: skip
    with open(base / "head.log", "wb") as log:
        head = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=base,
            start_new_session=True, preexec_fn=_stop_with_parent,
        )  # fmt: skip
    try:
        ready, started = temp_dir / "ray_current_cluster", time.monotonic()
        while not (ready.exists() and ready.read_text().strip()):
            if head.poll() is not None:
                pytest.fail("the Ray head exited:\n" + (base / "head.log").read_text()[-3000:])
            if time.monotonic() - started > 90:
                pytest.fail("the Ray head was not ready within 90 s")
            time.sleep(0.2)
        yield {"address": f"127.0.0.1:{port}", "env": env, "home": home, "base": base}
    finally:
        if head.poll() is None:
            head.send_signal(signal.SIGTERM)  # the head's process stops every process it started
            with contextlib.suppress(subprocess.TimeoutExpired):
                head.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(head.pid, signal.SIGKILL)  # whatever is left of its session
        head.wait()
        if private is not None:
            shutil.rmtree(private, ignore_errors=True)


def _run(workspace: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    if not (workspace / "dagster_home").exists():
        (workspace / "dagster_home").mkdir()
        shutil.copy(PROJECT_ROOT / "config" / "dagster.yaml", workspace / "dagster_home")  # as `make` does
    env = {
        **env,
        "NEWS_SOURCE_DIR": str(workspace / "source"),
        "NEWS_WAREHOUSE_PATH": str(workspace / "warehouse" / "news.duckdb"),
        "DAGSTER_HOME": str(workspace / "dagster_home"),
    }
    env.pop("VERBOSE", None)
    return subprocess.run(
        [sys.executable, "-m", "pipelines"], env=env, cwd=PROJECT_ROOT,
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip


def test_the_job_on_a_ray_cluster_gives_the_local_runs_tables(ray_head, tmp_path, seed_warehouse):
    workspace = tmp_path / "ray_run"
    shutil.copytree(SEEDS, workspace / "source")
    env = {
        **ray_head["env"],
        "NEWS_RAY_ADDRESS": ray_head["address"],
        "NEWS_PARALLEL_MIN_DOCUMENTS": "1",
        "NEWS_DOCUMENTS_PER_BATCH": "1",  # five batches of one seed: both actors get some
    }

    run = _run(workspace, env)

    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert table_fingerprints(workspace / "warehouse" / "news.duckdb") == table_fingerprints(seed_warehouse)
    with dg.DagsterInstance.from_config(str(workspace / "dagster_home")) as instance:
        for key in (["core", "documents"], ["prep", "cleaned_documents"], ["core", "quotations"]):
            event = instance.get_latest_materialization_event(dg.AssetKey(key))
            parallelism = event.asset_materialization.metadata["parallelism"].value
            assert parallelism.startswith(f"2 Ray actors on {ray_head['address']}"), (key, parallelism)
    assert not any(ray_head["home"].iterdir()), "Ray wrote into the home directory"


def _batch_actor_at_work() -> int | None:
    """The process id of a Ray actor running a batch now (Ray titles it `ray::BatchActor.run`)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if command.startswith(b"ray::BatchActor.run"):
                return int(entry.name)
    return None


def test_an_actor_killed_mid_run_fails_the_run_cleanly_and_the_next_run_redoes_the_work(
    ray_head, tmp_path, seed_warehouse
):
    workspace = tmp_path / "killed"
    shutil.copytree(SEEDS, workspace / "source")
    (workspace / "dagster_home").mkdir()
    shutil.copy(PROJECT_ROOT / "config" / "dagster.yaml", workspace / "dagster_home")
    env = {
        **ray_head["env"],
        "NEWS_RAY_ADDRESS": ray_head["address"],
        "NEWS_PARALLEL_MIN_DOCUMENTS": "1",
        "NEWS_DOCUMENTS_PER_BATCH": "1",
        "NEWS_SOURCE_DIR": str(workspace / "source"),
        "NEWS_WAREHOUSE_PATH": str(workspace / "warehouse" / "news.duckdb"),
        "DAGSTER_HOME": str(workspace / "dagster_home"),
    }
    env.pop("VERBOSE", None)
    run = subprocess.Popen(
        [sys.executable, "-m", "pipelines"], env=env, cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    killed, deadline = None, time.monotonic() + 300
    while killed is None and run.poll() is None and time.monotonic() < deadline:
        killed = _batch_actor_at_work()
        if killed is not None:
            os.kill(killed, signal.SIGKILL)  # a worker dies in the middle of a batch
        time.sleep(0.05)
    output, _ = run.communicate(timeout=600)

    assert killed is not None, "no actor was ever seen at work"
    assert run.returncode != 0, output[-3000:]
    assert "FAILED" in output and "the published warehouse was left as it was" in output
    assert not (workspace / "warehouse" / "news.duckdb").exists()  # nothing half-published

    again = _run(workspace, {**ray_head["env"], "NEWS_RAY_ADDRESS": ray_head["address"],
                             "NEWS_PARALLEL_MIN_DOCUMENTS": "1", "NEWS_DOCUMENTS_PER_BATCH": "1"})  # fmt: skip

    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert table_fingerprints(workspace / "warehouse" / "news.duckdb") == table_fingerprints(seed_warehouse)


def test_a_ray_address_nobody_answers_fails_the_run_and_says_which(tmp_path, ray_head):
    workspace = tmp_path / "no_cluster"
    shutil.copytree(SEEDS, workspace / "source")
    env = {
        **ray_head["env"],
        "NEWS_RAY_ADDRESS": f"127.0.0.1:{_free_port()}",
        "NEWS_PARALLEL_MIN_DOCUMENTS": "1",
        "NEWS_DOCUMENTS_PER_BATCH": "1",
    }

    run = _run(workspace, env)

    assert run.returncode != 0
    assert "NEWS_RAY_ADDRESS" in run.stdout + run.stderr
    assert not (workspace / "warehouse" / "news.duckdb").exists()  # nothing half-published


def test_small_inputs_stay_in_the_runs_process_without_touching_the_cluster(tmp_path):
    import polars as pl

    from pipelines.ray_pool import RayPool

    pool = RayPool("127.0.0.1:1", min_documents=200, documents_per_batch=64)
    frame = pl.DataFrame({"n": list(range(10))})
    assert pool.map_frame(lambda batch: batch.height, frame) == [10]
    assert pool.describe().startswith("in the run's process")
