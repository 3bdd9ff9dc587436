"""Does a run's cost grow with the run history? Many unchanged reruns on the seeds.

    python -m benchmarks.history [--runs 201] [--max-runs 50]

Runs `python -m pipelines` (what `make run` runs) `--runs` times on the seeds into a temporary
warehouse and Dagster home (NEWS_HISTORY_MAX_RUNS=`--max-runs`), and prints, for the 2nd run, a
few along the way and the last: the process's wall seconds, the Dagster run's seconds (RUN_START
to RUN_SUCCESS), the runs kept in the history and the size of the Dagster home. The first run
builds the warehouse; every later one finds nothing new.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import PROJECT_ROOT  # noqa: E402


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def history(home: Path) -> tuple[int, float]:
    """Runs kept in the Dagster home, and the seconds of the newest one."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = instance.get_run_records()
        newest = records[0]
        return len(records), (newest.end_time or 0) - (newest.start_time or 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=201)
    parser.add_argument("--max-runs", type=int, default=50, help="NEWS_HISTORY_MAX_RUNS for the runs")
    arguments = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="news-history-"))
    try:
        home = work / "dagster_home"
        home.mkdir()
        shutil.copy(PROJECT_ROOT / "config" / "dagster.yaml", home)
        env = {
            **os.environ,
            "NEWS_SOURCE_DIR": str(PROJECT_ROOT / "seeds"),
            "NEWS_WAREHOUSE_PATH": str(work / "warehouse" / "news.duckdb"),
            "DAGSTER_HOME": str(home),
            "NEWS_HISTORY_MAX_RUNS": str(arguments.max_runs),
        }
        env.pop("VERBOSE", None)
        shown = {2, 3, 10, 50, 100, 150, 200, arguments.runs}
        rows, walls = [], {}
        for number in range(1, arguments.runs + 1):
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "pipelines"], cwd=PROJECT_ROOT, env=env, check=True, capture_output=True
            )
            walls[number] = time.perf_counter() - started
            if number in shown:
                kept, run_seconds = history(home)
                rows.append((number, walls[number], run_seconds, kept, folder_bytes(home)))
                print(f"run {number} done", file=sys.stderr, flush=True)
        print(f"{arguments.runs} runs on the seeds, NEWS_HISTORY_MAX_RUNS={arguments.max_runs}\n")
        print("| run | process s | Dagster run s | runs in history | Dagster home |")
        print("|---:|---:|---:|---:|---:|")
        for number, wall, run_seconds, kept, size in rows:
            print(f"| {number} | {wall:.2f} | {run_seconds:.2f} | {kept} | {size / 1e6:.1f} MB |")
        early = statistics.median(walls[n] for n in range(2, min(12, arguments.runs + 1)))
        late = statistics.median(walls[n] for n in range(max(2, arguments.runs - 9), arguments.runs + 1))
        print(f"\nmedian process seconds, runs 2–11: {early:.2f}; last 10 runs: {late:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
