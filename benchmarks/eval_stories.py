"""How good and how costly is story linking? news_bench as it comes (one JSON Lines file).

    python -m benchmarks.eval_stories [--work DIR] [--sample 50] [--seed 16]

Puts `news_bench.jsonl.gz` as is into a source folder, runs `python -m pipelines` (what `make run`
runs) on it, and prints: coverage of outlet and published_at; the linking step's share of the run;
links by type and language pair; every cross-language link with its score and both titles; and a
random sample (fixed seed) of `--sample` same_story and `--sample` near_duplicate links with both
titles and first lines. The sample is written to `benchmarks/stories_sample.jsonl` for judging
(pairs already judged are never drawn again). The judged samples (`benchmarks/stories_judged*.jsonl`,
each item with a `verdict`: same or different, and a note) are scored: their precision as judged,
how many of their pairs the current code still links, and the precision among those. `--work DIR`
keeps (and on a second call reuses) the warehouse; `--rerun` runs the pipeline on it again (after
a change to the linking, say) before the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import NEWS_BENCH, PROJECT_ROOT, read_news_bench  # noqa: E402

SAMPLE_PATH = PROJECT_ROOT / "benchmarks" / "stories_sample.jsonl"
JUDGED_PATHS = sorted((PROJECT_ROOT / "benchmarks").glob("stories_judged*.jsonl"))


def run_pipeline(work: Path) -> tuple[float, dict[str, float], float]:
    """Run the pipeline; return wall seconds, seconds per step and the Dagster run's seconds."""
    import dagster as dg

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
    env.pop("VERBOSE", None)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pipelines"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"the run failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        run = instance.get_run_records(limit=1)[0]
        steps = {stat.step_key: (stat.end_time or 0) - (stat.start_time or 0) for stat in instance.get_run_step_stats(run.dagster_run.run_id)}
        return wall, steps, (run.end_time or 0) - (run.start_time or 0)


def first_lines(text: str, characters: int = 300) -> str:
    return " ".join((text or "").split())[:characters]


def describe_link(connection: duckdb.DuckDBPyConnection, row: dict) -> dict:
    def document(doc_id: str) -> dict:
        title, outlet, language, published_at, text = connection.execute(
            "select title, outlet, language, published_at, text from core.documents where doc_id = ?", [doc_id]
        ).fetchone()
        return {
            "doc_id": doc_id,
            "title": title,
            "outlet": outlet,
            "language": language,
            "published_at": str(published_at) if published_at else None,
            "text": first_lines(text, 1500),
        }

    return {
        "link_type": row["link_type"],
        "score": row["score"],
        "shared_names": row["shared_names"],
        "shared_numbers": row["shared_numbers"],
        "shingle_share": row["shingle_share"],
        "a": document(row["doc_id_a"]),
        "b": document(row["doc_id_b"]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, help="folder to build (or reuse) the warehouse in; default: a temporary one")
    parser.add_argument("--sample", type=int, default=50)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--write-sample", action="store_true", help=f"(re)write {SAMPLE_PATH.name}")
    parser.add_argument("--rerun", action="store_true", help="run the pipeline again on the warehouse of --work")
    arguments = parser.parse_args()
    work = arguments.work or Path(tempfile.mkdtemp(prefix="news-stories-"))
    warehouse = work / "warehouse" / "news.duckdb"
    try:
        if not warehouse.exists():
            (work / "source").mkdir(parents=True, exist_ok=True)
            shutil.copy(NEWS_BENCH, work / "source" / NEWS_BENCH.name)
            wall, steps, run_seconds = run_pipeline(work)
            link_seconds = steps.get("link_stories", 0.0)
            print(f"first run: {wall:.1f} s (Dagster run {run_seconds:.1f} s); link_stories {link_seconds:.1f} s "
                  f"= {100 * link_seconds / run_seconds:.1f}% of the run")
            print("  steps: " + ", ".join(f"{key} {value:.1f} s" for key, value in sorted(steps.items(), key=lambda kv: -kv[1])[:8]))
            wall, steps, run_seconds = run_pipeline(work)
            print(f"unchanged rerun: {wall:.1f} s (Dagster run {run_seconds:.1f} s); link_stories "
                  f"{steps.get('link_stories', 0.0):.1f} s")
        elif arguments.rerun:
            wall, steps, run_seconds = run_pipeline(work)
            print(f"rerun: {wall:.1f} s (Dagster run {run_seconds:.1f} s); link_stories "
                  f"{steps.get('link_stories', 0.0):.1f} s")
        dated = sum(1 for record in read_news_bench() if record.get("date"))
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            n, with_outlet, with_time = connection.execute(
                "select count(*), count(outlet), count(published_at) from core.documents where is_current"
            ).fetchone()
            print(f"\ndocuments: {n}; with an outlet: {with_outlet} ({100 * with_outlet / n:.1f}%); with published_at: "
                  f"{with_time} (records with a date: {dated})")
            links = connection.execute(
                "select l.*, a.language as language_a, b.language as language_b from core.story_links l "
                "join core.documents a on a.doc_id = l.doc_id_a join core.documents b on b.doc_id = l.doc_id_b "
                "order by l.doc_id_a, l.doc_id_b"
            ).pl()
            print(f"\nlinks: {links.height}")
            pairs = Counter(
                (row["link_type"], "–".join(sorted((row["language_a"], row["language_b"]))))
                for row in links.iter_rows(named=True)
            )
            for (link_type, languages), count in sorted(pairs.items()):
                print(f"  {link_type:15} {languages:6} {count}")
            stories = connection.execute(
                "select count(*), count(*) filter (where n_documents > 1), max(n_documents) from "
                "(select story_id, any_value(n_documents) as n_documents from core.stories group by story_id)"
            ).fetchone()
            print(f"stories: {stories[0]}; with several documents: {stories[1]}; largest: {stories[2]} documents")

            cross = [row for row in links.iter_rows(named=True) if row["language_a"] != row["language_b"]]
            print(f"\ncross-language links: {len(cross)}")
            for row in cross:
                described = describe_link(connection, row)
                print(f"  {row['score']:.2f} [{described['a']['language']}] {described['a']['title']!r} ↔ "
                      f"[{described['b']['language']}] {described['b']['title']!r}  names {row['shared_names']}")

            judged_files = {
                path: [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
                for path in JUDGED_PATHS
            }
            seen = {(item["a"]["doc_id"], item["b"]["doc_id"]) for items in judged_files.values() for item in items}
            generator = random.Random(arguments.seed)
            sample = []
            for link_type in ("same_story", "near_duplicate"):
                rows = [
                    row
                    for row in links.iter_rows(named=True)
                    if row["link_type"] == link_type and (row["doc_id_a"], row["doc_id_b"]) not in seen
                ]
                chosen = generator.sample(rows, min(arguments.sample, len(rows)))
                print(f"\nsample of {len(chosen)} {link_type} links (of {len(rows)}):")
                for row in chosen:
                    described = describe_link(connection, row)
                    sample.append(described)
                    print(f"- {row['score']:.2f} {described['a']['title']!r} ({described['a']['outlet']}) ↔ "
                          f"{described['b']['title']!r} ({described['b']['outlet']})")
                    print(f"    a: {first_lines(described['a']['text'], 160)}")
                    print(f"    b: {first_lines(described['b']['text'], 160)}")
            if arguments.write_sample:
                with open(SAMPLE_PATH, "w", encoding="utf-8") as handle:
                    for item in sample:
                        handle.write(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n")
                print(f"\nwrote {SAMPLE_PATH}")
            linked_now = {(row["doc_id_a"], row["doc_id_b"]): row["link_type"] for row in links.iter_rows(named=True)}
            for path, judged in judged_files.items():
                print(f"\njudged sample ({path.name}):")
                for link_type in ("same_story", "near_duplicate"):
                    items = [item for item in judged if item["link_type"] == link_type]
                    if not items:
                        continue
                    right = sum(item["verdict"] == "same" for item in items)
                    still = [item for item in items if (item["a"]["doc_id"], item["b"]["doc_id"]) in linked_now]
                    still_right = sum(item["verdict"] == "same" for item in still)
                    print(f"  {link_type:15} precision as judged {right}/{len(items)} = {right / len(items):.2f}; "
                          f"still linked by this code: {len(still)}/{len(items)}, of which right "
                          f"{still_right}/{len(still) or 1} = {still_right / (len(still) or 1):.2f}")
    finally:
        if arguments.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
