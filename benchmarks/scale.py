"""The NLP through the local worker pool and through a Ray cluster, on the same cores, side by side.

    python benchmarks/scale.py [--docs 10000] [--cpus 2]

Writes the first N articles of news_bench.jsonl.gz as .txt files into a source folder and runs the
pipeline (`python -m pipelines`, every asset, dbt included) on them twice, each into a fresh
warehouse: once with the local pool (NEWS_WORKERS = --cpus), once against a local Ray cluster of
--cpus CPUs that this script starts (`ray start --head`, token authentication in the script's
temporary folder, stopped at the end). It prints, per backend: the NLP stage's words per second
(words through spaCy and sentiment over the stage's wall time), the whole run's wall seconds, the
start-up the backend costs (the Ray head's, then the actors' of the three stages, from the run's
metadata), and the peak memory of everything involved (PSS of the run's process tree plus, for
Ray, the head's: raylet, GCS, actors). Then whether every table is the same in both warehouses
(sorted content, `*_at` columns aside: benchmarks/compare_warehouses.py).

Needs the optional Ray dependency (`make ray`). What it does not measure yet: the per-run cost of
history (issue #18's storage part), which needs the storage redesign first.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import PROJECT_ROOT, read_news_bench, write_articles  # noqa: E402
from benchmarks.compare_warehouses import compare  # noqa: E402
from benchmarks.throughput import MemorySampler  # noqa: E402


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_ray_head(base: Path, cpus: int) -> tuple[subprocess.Popen, str, dict[str, str], float]:
    """A local Ray head of `cpus` CPUs; (process, address, the environment its clients need,
    seconds until it was ready)."""
    token = base / "auth_token"
    token.write_text(secrets.token_hex(32))
    token.chmod(0o600)
    (base / "home").mkdir()
    ray_env = {
        "HOME": str(base / "home"),
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN_PATH": str(token),
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # Linux: single-node loopback mode, 127.0.0.1 only
        "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0",
    }
    env = {name: value for name, value in os.environ.items() if name not in ("RAY_ADDRESS", "RAY_AUTH_TOKEN")}
    env.update(ray_env)
    port, temp_dir = _free_port(), base / "t"
    command = [
        str(Path(sys.executable).with_name("ray")), "start", "--head", f"--num-cpus={cpus}", "--num-gpus=0",
        f"--port={port}", "--node-ip-address=127.0.0.1", f"--temp-dir={temp_dir}", "--include-dashboard=false",
        "--disable-usage-stats", "--block",
    ]  # fmt: skip
    started = time.perf_counter()
    with open(base / "head.log", "wb") as log:
        head = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    ready = temp_dir / "ray_current_cluster"
    while not (ready.exists() and ready.read_text().strip()):
        if head.poll() is not None or time.perf_counter() - started > 120:
            raise SystemExit("the Ray head did not start:\n" + (base / "head.log").read_text()[-3000:])
        time.sleep(0.1)
    return head, f"127.0.0.1:{port}", env, time.perf_counter() - started


def stop(head: subprocess.Popen) -> None:
    if head.poll() is None:
        head.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            head.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(head.pid, signal.SIGKILL)
    head.wait()


def run(work: Path, label: str, env: dict[str, str], also_sample: int | None = None) -> dict:
    """One `python -m pipelines` run into work/<label>/; its figures."""
    import dagster as dg

    home = work / label / "dagster_home"
    home.mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "config" / "dagster.yaml", home / "dagster.yaml")
    warehouse = work / label / "warehouse" / "news.duckdb"
    env = {
        **env,
        "NEWS_SOURCE_DIR": str(work / "source"),
        "NEWS_WAREHOUSE_PATH": str(warehouse),
        "DAGSTER_HOME": str(home),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    env.pop("VERBOSE", None)
    started = time.perf_counter()
    with open(work / f"{label}.log", "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "pipelines"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log)
        samplers = [MemorySampler(process.pid)] + ([MemorySampler(also_sample)] if also_sample else [])
        for sampler in samplers:
            sampler.start()
        code = process.wait()
        for sampler in samplers:
            sampler.stop()
    wall = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"the {label} run failed (exit {code}); see {work / f'{label}.log'}")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        analyse = instance.get_latest_materialization_event(dg.AssetKey(["core", "documents"]))
        metadata = {key: getattr(value, "value", value) for key, value in analyse.asset_materialization.metadata.items()}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        documents, words = connection.execute(
            "select count(*), coalesce(sum(n_words), 0) from core.documents where present_in_source"
        ).fetchone()
    peak = sum(max(sampler.totals, default=0.0) for sampler in samplers)  # the trees' peaks: an upper bound
    return {
        "label": label,
        "documents": documents,
        "words": words,
        "wall": wall,
        "nlp_words_per_second": float(metadata.get("words_per_second") or 0.0),
        "parallelism": metadata.get("parallelism", ""),
        "peak_mb": peak,
        "warehouse": warehouse,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--cpus", type=int, default=2, help="local worker processes, and the Ray cluster's CPUs")
    arguments = parser.parse_args()
    try:
        import ray  # noqa: F401
    except ImportError:
        print("the Ray backend is not installed: `make ray`", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="news-scale-"))
    try:
        write_articles(list(read_news_bench(arguments.docs)), work / "source")
        local = run(work, "local", {**os.environ, "NEWS_WORKERS": str(arguments.cpus)})
        head, address, ray_env, head_seconds = start_ray_head(Path(tempfile.mkdtemp(prefix="rs-", dir="/tmp")), arguments.cpus)
        try:
            on_ray = run(work, "ray", {**ray_env, "NEWS_RAY_ADDRESS": address}, also_sample=head.pid)
        finally:
            stop(head)
        differences = [row for row in compare(local["warehouse"], on_ray["warehouse"]) if row[1] != "identical"]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"\n{time.strftime('%Y-%m-%d')}, {platform.machine()}, {psutil.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 1e9:.0f} GB, Python {platform.python_version()}, "
        f"{local['documents']} documents, {local['words']:,} words, {arguments.cpus} CPUs for the NLP\n"
    )
    print("| backend | NLP words/s | run wall s | start-up | peak MB (PSS) | parallelism |")
    print("|---|---:|---:|---|---:|---|")
    print(
        f"| local pool | {local['nlp_words_per_second']:,.0f} | {local['wall']:.1f} | fork server, models preloaded "
        f"| {local['peak_mb']:,.0f} | {local['parallelism']} |"
    )
    print(
        f"| Ray | {on_ray['nlp_words_per_second']:,.0f} | {on_ray['wall']:.1f} | head {head_seconds:.1f} s; the run's actors load the models while Dagster starts "
        f"| {on_ray['peak_mb']:,.0f} | {on_ray['parallelism']} |"
    )
    ratio = on_ray["nlp_words_per_second"] / local["nlp_words_per_second"] if local["nlp_words_per_second"] else 0.0
    print(f"\nRay / local NLP words per second: {ratio:.2f} (target ≥ 0.9)")
    print("tables: " + ("every table the same" if not differences else f"DIFFER: {differences}"))
    return 0 if not differences else 1


if __name__ == "__main__":
    sys.exit(main())
