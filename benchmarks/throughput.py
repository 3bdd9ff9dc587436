"""Throughput of the whole pipeline against the bare NLP cost, and the cost of reruns.

    python benchmarks/throughput.py --docs 10000 [--reuse] [--workers 2]

Writes the first N articles of news_bench.jsonl.gz as .txt files into a source folder, runs the
pipeline as `make run` does (`python -m pipelines`, every asset, dbt included) into a fresh
warehouse, and prints one table: documents, words, wall seconds, words per second, peak memory of
all processes together (PSS: pages shared between processes count once) and seconds per stage.
Then, in the same invocation: the bare limit (spaCy's `nlp.pipe` over the same cleaned texts,
same components, same process count) and the ratio pipeline / bare; a second run on unchanged
input; a run after adding 1% new articles.

Without --reuse everything happens in a temporary folder that is removed at the end. With
--reuse the folder is benchmarks/.work/<N>/ and is kept: a later --reuse invocation starts from
its source folder and warehouse (the first run's figures are read back from its record), so the
rerun figures can be iterated on without paying for the first run again.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import PROJECT_ROOT, read_news_bench, write_articles  # noqa: E402

STAGES = ("ingest", "language", "cleaning", "nlp", "sentiment", "entities", "writes", "checks", "sql", "publish")


@dataclass
class RunFigures:
    label: str
    documents: int
    words: int
    wall: float  # the whole `python -m pipelines` process, start-up included
    run_wall: float  # from Dagster's RUN_START to RUN_SUCCESS
    peak_pss_mb: float
    stages: dict[str, float] = field(default_factory=dict)
    through_language_detection: int = 0
    through_nlp: int = 0
    worker_processes: int = 1
    # worker processes' private memory (pages a worker alone holds), the largest over workers, in
    # the second and the last quarter of each worker's life: the floor it returns to between
    # batches (what growth from batch to batch would raise) and the peak (a batch of long texts)
    worker_floor_mb: tuple[float, float] = (0.0, 0.0)
    worker_peak_mb: tuple[float, float] = (0.0, 0.0)


class MemorySampler(threading.Thread):
    """Samples the memory of a process and all its descendants every `interval` seconds.

    Reading a process's PSS costs the kernel a few milliseconds: once a second keeps the sampler
    out of the figures it measures (four times a second took ~4% of the two cores)."""

    def __init__(self, pid: int, interval: float = 1.0):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.totals: list[float] = []  # PSS of the whole tree, MB, at each sample
        # worker processes (cleaning and language detection, then NLP), forked by a child of the
        # run (the fork server): pid → private MB at each sample
        self.workers: dict[int, list[float]] = {}
        self._halt = threading.Event()

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._halt.is_set():
            try:
                processes = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            total = 0.0
            for process in processes:
                try:
                    info, parent = process.memory_full_info(), process.ppid()
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                total += getattr(info, "pss", info.rss) / 1e6
                if process.pid != root.pid and parent != root.pid:
                    self.workers.setdefault(process.pid, []).append(getattr(info, "uss", info.rss) / 1e6)
            self.totals.append(total)
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def worker_memory(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """Private MB of the workers as ((floor, floor), (peak, peak)) over the second and the last
        quarter of each worker's life, the largest over workers. The first quarter is left out: a
        worker forked from the fork server copies pages of the models as it first touches them."""
        floors, peaks = [(0.0, 0.0)], [(0.0, 0.0)]
        for samples in self.workers.values():
            if len(samples) < 4:
                continue
            quarter = len(samples) // 4
            second, last = samples[quarter : 2 * quarter], samples[-quarter:]
            floors.append((min(second), min(last)))
            peaks.append((max(second), max(last)))
        return (
            (round(max(f[0] for f in floors), 1), round(max(f[1] for f in floors), 1)),
            (round(max(p[0] for p in peaks), 1), round(max(p[1] for p in peaks), 1)),
        )


def run_pipeline(work: Path, label: str, workers: int | None) -> RunFigures:
    home = work / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "config" / "dagster.yaml", home / "dagster.yaml")
    env = {
        **os.environ,
        "NEWS_SOURCE_DIR": str(work / "source"),
        "NEWS_WAREHOUSE_PATH": str(work / "warehouse" / "news.duckdb"),
        "DAGSTER_HOME": str(home),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    if workers is not None:
        env["NEWS_WORKERS"] = str(workers)
    log = work / f"{label}.log"
    started = time.perf_counter()
    with open(log, "w") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "pipelines"], cwd=PROJECT_ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
        )
        sampler = MemorySampler(process.pid)
        sampler.start()
        code = process.wait()
        sampler.stop()
    wall = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"the {label} run failed (exit {code}); see {log}")
    figures = read_run(home, label, wall)
    figures.peak_pss_mb = round(max(sampler.totals, default=0.0), 1)
    figures.worker_floor_mb, figures.worker_peak_mb = sampler.worker_memory()
    with duckdb.connect(str(work / "warehouse" / "news.duckdb"), read_only=True) as connection:
        figures.documents, figures.words = connection.execute(
            "select count(*), coalesce(sum(n_words), 0) from core.documents where present_in_source"
        ).fetchone()
    return figures


def read_run(home: Path, label: str, wall: float) -> RunFigures:
    """Stage seconds and counters from the Dagster instance the run recorded itself in."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        run = instance.get_runs(limit=1)[0]
        entries = instance.all_logs(run.run_id)
    starts, durations, metadata = {}, {}, {}
    run_start = run_end = None
    for entry in entries:
        event = entry.dagster_event
        if event is None:
            continue
        kind = event.event_type
        if kind == dg.DagsterEventType.RUN_START:
            run_start = entry.timestamp
        elif kind == dg.DagsterEventType.RUN_SUCCESS:
            run_end = entry.timestamp
        elif kind == dg.DagsterEventType.STEP_START:
            starts[event.step_key] = entry.timestamp
        elif kind == dg.DagsterEventType.STEP_SUCCESS:
            durations[event.step_key] = entry.timestamp - starts[event.step_key]
        elif kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.event_specific_data.materialization
            metadata[materialization.asset_key.to_user_string()] = {
                key: getattr(value, "value", value) for key, value in materialization.metadata.items()
            }
    prepare = metadata.get("prep/cleaned_documents", {})
    analyse = metadata.get("core/documents", {})
    writes = sum(float(values.get("write_seconds", 0.0)) for values in metadata.values())
    writes_of = {
        step: sum(float(metadata.get(key, {}).get("write_seconds", 0.0)) for key in keys)
        for step, keys in {
            "ingest": ("raw/documents", "raw/rejected_files"),
            "prepare": (
                "prep/cleaned_documents",
                "core/cleaning_log",
                "core/document_links",
                "core/rejected_documents",
            ),
            "analyse": ("core/documents", "core/sentences", "core/entity_mentions", "core/entities"),
        }.items()
    }
    language, cleaning = float(prepare.get("language_seconds", 0.0)), float(prepare.get("cleaning_seconds", 0.0))
    nlp, sentiment = float(analyse.get("nlp_seconds", 0.0)), float(analyse.get("sentiment_seconds", 0.0))
    stages = {
        "ingest": durations.get("ingest", 0.0) - writes_of["ingest"],
        "language": language,
        "cleaning": cleaning,
        "nlp": nlp,
        "sentiment": sentiment,
        # canonical entities, reuse of the last run, reading inputs: the rest of the two steps
        "entities": durations.get("prepare", 0.0)
        - writes_of["prepare"]
        - language
        - cleaning
        + durations.get("analyse", 0.0)
        - writes_of["analyse"]
        - nlp
        - sentiment,
        "writes": writes,
        "checks": sum(
            seconds for step, seconds in durations.items() if "__" in step and step != "report__entity_report"
        ),
        "sql": durations.get("sql_models", 0.0),
        "publish": durations.get("published_warehouse", 0.0) + durations.get("report__entity_report", 0.0),
    }
    return RunFigures(
        label=label,
        documents=0,
        words=0,
        wall=round(wall, 2),
        run_wall=round((run_end or 0.0) - (run_start or 0.0), 2),
        peak_pss_mb=0.0,
        stages={name: round(value, 2) for name, value in stages.items()},
        through_language_detection=int(prepare.get("documents_cleaned_and_detected", 0)),
        through_nlp=int(analyse.get("documents_through_nlp", 0)),
        worker_processes=int(analyse.get("worker_processes", 1)),
    )


def bare_nlp(warehouse: Path, n_process: int) -> tuple[float, int]:
    """spaCy's nlp.pipe over the warehouse's cleaned texts, same components and process count.

    Returns (seconds, words). Model loading is not counted (the pipeline's figure includes it)."""
    from pipelines.resources import NlpModels
    from transforms.nlp import NlpSettings, language_pipelines

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            "select language, text, n_words from core.documents where present_in_source order by language, doc_id"
        ).fetchall()
    by_language: dict[str, list[str]] = {}
    for language, text, _ in rows:
        by_language.setdefault(language, []).append(text)
    configured = NlpModels().settings()  # the settings of the environment, as the run resolves them
    settings = NlpSettings(models=configured.models, watchlist=configured.watchlist, sentiment_backends=())
    pipelines = language_pipelines(sorted(by_language), settings)
    started = time.perf_counter()
    for language, texts in by_language.items():
        for _ in pipelines[language].nlp.pipe(texts, batch_size=settings.batch_size, n_process=n_process):
            pass
    return time.perf_counter() - started, sum(n_words or 0 for _, _, n_words in rows)


def print_table(runs: list[RunFigures], bare_seconds: float, bare_words: int, n_process: int) -> None:
    header = ["run", "docs", "words", "wall s", "run s", "words/s", "peak MB", *(f"{s} s" for s in STAGES)]
    lines = [header]
    for run in runs:
        lines.append(
            [
                run.label,
                str(run.documents),
                str(run.words),
                f"{run.wall:.1f}",
                f"{run.run_wall:.1f}",
                f"{run.words / run.wall:,.0f}" if run.wall else "-",
                f"{run.peak_pss_mb:,.0f}",
                *(f"{run.stages.get(stage, 0.0):.1f}" for stage in STAGES),
            ]
        )
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    for line in lines:
        print("  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)))
    first = runs[0]
    print()
    print(
        f"bare nlp.pipe ({n_process} process(es)): {bare_seconds:.1f} s for {bare_words} words "
        f"({bare_words / bare_seconds:,.0f} words/s)"
    )
    print(
        f"ratio pipeline / bare: {first.wall / bare_seconds:.2f} (process wall), "
        f"{first.run_wall / bare_seconds:.2f} (Dagster run wall)"
    )
    if first.worker_processes > 1:
        (floor_second, floor_last), (peak_second, peak_last) = first.worker_floor_mb, first.worker_peak_mb
        print(
            f"worker private memory, second / last quarter of a worker's life: "
            f"floor {floor_second:.0f} / {floor_last:.0f} MB, peak {peak_second:.0f} / {peak_last:.0f} MB"
        )
    for run in runs[1:]:
        print(
            f"{run.label}: {run.wall / first.wall:.1%} of the first run's wall; "
            f"{run.through_language_detection} documents through language detection, {run.through_nlp} through NLP"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=1000, help="articles from the start of news_bench")
    parser.add_argument("--reuse", action="store_true", help="keep and reuse benchmarks/.work/<N>/")
    parser.add_argument("--workers", type=int, default=None, help="NEWS_WORKERS for the runs (default: one per core)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    parser.add_argument(
        "--no-reruns", action="store_true", help="only the first run and the bare limit (e.g. the whole corpus)"
    )
    parser.add_argument(
        "--bare-repeats", type=int, default=2, help="times the bare limit is measured; the fastest counts"
    )
    arguments = parser.parse_args()

    n_new = 0 if arguments.no_reruns else max(1, math.ceil(arguments.docs / 100))
    records = list(read_news_bench(arguments.docs + n_new))
    if len(records) < arguments.docs + n_new:
        print(f"news_bench has {len(records)} articles; using the last {n_new} as the new ones", file=sys.stderr)
        n_first = len(records) - n_new
    else:
        n_first = arguments.docs
    if arguments.reuse:
        work = PROJECT_ROOT / "benchmarks" / ".work" / str(arguments.docs)
        work.mkdir(parents=True, exist_ok=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="news-throughput-"))
    record_path = work / "first_run.json"
    try:
        runs = []
        snapshot = work / "after_first_run"
        if arguments.reuse and record_path.exists() and snapshot.exists():
            first = RunFigures(**json.loads(record_path.read_text()))
            print(f"reusing {work} (first run recorded earlier)", file=sys.stderr)
            shutil.rmtree(work / "source" / "new", ignore_errors=True)
            for name in ("warehouse", "dagster_home"):
                shutil.rmtree(work / name, ignore_errors=True)
                shutil.copytree(snapshot / name, work / name)
        else:
            shutil.rmtree(work / "source", ignore_errors=True)
            shutil.rmtree(work / "warehouse", ignore_errors=True)
            shutil.rmtree(work / "dagster_home", ignore_errors=True)
            write_articles(records[:n_first], work / "source")
            first = run_pipeline(work, "first run", arguments.workers)
            if arguments.reuse:
                shutil.rmtree(snapshot, ignore_errors=True)
                for name in ("warehouse", "dagster_home"):
                    shutil.copytree(work / name, snapshot / name)
                record_path.write_text(json.dumps(asdict(first)))
        runs.append(first)
        # spaCy's multiprocessing pipe varies from one measurement to the next (93 to 112 s on the
        # same 10,000 articles): the limit is the fastest of a few
        bare = [
            bare_nlp(work / "warehouse" / "news.duckdb", first.worker_processes)
            for _ in range(max(1, arguments.bare_repeats))
        ]
        bare_seconds, bare_words = min(bare)
        if len(bare) > 1:
            print(
                f"bare nlp.pipe measured {len(bare)} times: {', '.join(f'{s:.1f}' for s, _ in bare)} s", file=sys.stderr
            )
        if not arguments.no_reruns:
            runs.append(run_pipeline(work, "unchanged rerun", arguments.workers))
            write_articles(records[n_first : n_first + n_new], work / "source" / "new")
            runs.append(run_pipeline(work, f"rerun +{n_new} new", arguments.workers))
        machine = (
            f"{platform.processor() or platform.machine()}, {psutil.cpu_count()} cores, "
            f"{psutil.virtual_memory().total / 2**30:.0f} GB, Python {platform.python_version()}"
        )
        print(f"\n{time.strftime('%Y-%m-%d')}, {machine}, {first.worker_processes} worker process(es)\n")
        print_table(runs, bare_seconds, bare_words, first.worker_processes)
        if arguments.json:
            arguments.json.write_text(
                json.dumps(
                    {"runs": [asdict(run) for run in runs], "bare_seconds": bare_seconds, "bare_words": bare_words},
                    indent=2,
                )
            )
    finally:
        if not arguments.reuse:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
