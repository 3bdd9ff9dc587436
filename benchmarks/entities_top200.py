"""The 200 entities with the most mentions, as analysts see them, and the share judged right.

    python -m benchmarks.entities_top200 --warehouse W.duckdb --out benchmarks/gold/F.jsonl
    python -m benchmarks.entities_top200 --score benchmarks/gold/F.jsonl

The first form lists `core.entities` by `n_mentions` (ties by name, then id), the top `--top`
(200), each with its aliases and up to three sentences that mention it (the first three
documents by doc_id), as JSON lines with an empty `verdict` for a reader to fill in by
`benchmarks/entities_top200_guidelines.md`. An existing file's verdicts are kept for entities
still in the list (same name and label), so a list can be re-extracted without judging again.
The sentences come from the warehouse's documents, that is from news_bench, whose licences allow
testing with it, not shipping it: `--strip F` drops their text from a judged file before it is
committed, keeping `context_refs` (doc_id, sentence_index) to find them again in a warehouse.
The second form prints the share of rows judged `ok`, the counts per verdict and the rows that are
not `ok`, and refuses a file with rows not judged yet.

The warehouse is built from the whole news_bench as one record file (a copy: the pipeline does
not follow symbolic links; 12 MB, so above the default NEWS_MAX_FILE_BYTES):
`mkdir src && cp ../shared/corpora/news_bench.jsonl.gz src/` then
`NEWS_MAX_FILE_BYTES=200000000 NEWS_SOURCE_DIR=src NEWS_WAREHOUSE_PATH=W.duckdb python -m pipelines`
(about 10 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

VERDICTS = ("ok", "wrong_label", "not_a_name")
DUPLICATE = "duplicate_of:"


def extract(warehouse: Path, top: int) -> list[dict]:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        entities = connection.execute(
            "select entity_id, name, label, n_mentions, n_documents, aliases from core.entities "
            "order by n_mentions desc, name, entity_id limit ?",
            [top],
        ).fetchall()
        rows = []
        for rank, (entity_id, name, label, n_mentions, n_documents, aliases) in enumerate(entities, start=1):
            contexts = connection.execute(
                "select distinct on (m.doc_id) m.doc_id, s.sentence_index, "
                "substring(d.text, s.start_char + 1, s.end_char - s.start_char) from core.entity_mentions m "
                "join core.sentences s on s.doc_id = m.doc_id and s.sentence_index = m.sentence_index "
                "join core.documents d on d.doc_id = m.doc_id "
                "where m.entity_id = ? order by m.doc_id, m.start_char limit 3",
                [entity_id],
            ).fetchall()
            rows.append(
                {
                    "rank": rank,
                    "entity_id": entity_id,
                    "name": name,
                    "label": label,
                    "n_mentions": n_mentions,
                    "n_documents": n_documents,
                    "aliases": list(aliases)[:12],
                    "contexts": [text[:300] for _, _, text in contexts],
                    "context_refs": [[doc_id, index] for doc_id, index, _ in contexts],
                    "verdict": "",
                    "note": "",
                }
            )
    return rows


def valid_verdict(verdict: str) -> bool:
    return verdict in VERDICTS or (verdict.startswith(DUPLICATE) and len(verdict) > len(DUPLICATE))


def score(rows: list[dict]) -> dict:
    unjudged = [row["rank"] for row in rows if not valid_verdict(row.get("verdict", ""))]
    if unjudged:
        raise ValueError(f"rows without a valid verdict (ranks): {unjudged[:20]}")
    kinds = Counter(row["verdict"].split(":", 1)[0] for row in rows)
    return {"n": len(rows), "ok": kinds["ok"], "share": kinds["ok"] / len(rows) if rows else 0.0, "kinds": kinds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--warehouse", type=Path, help="the DuckDB file to list the entities of")
    parser.add_argument("--out", type=Path, help="the JSON lines file to write (verdicts already there are kept)")
    parser.add_argument("--top", type=int, default=200)
    parser.add_argument("--score", type=Path, help="a judged file: print the share judged ok")
    parser.add_argument(
        "--strip", type=Path, help="a judged file: drop the sentences' text, keeping their references (to commit it)"
    )
    arguments = parser.parse_args()
    if arguments.strip:
        rows = [json.loads(line) for line in arguments.strip.read_text(encoding="utf-8").splitlines() if line]
        with arguments.strip.open("w", encoding="utf-8") as handle:
            for row in rows:
                row.pop("contexts", None)
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{arguments.strip}: {len(rows)} rows, sentences' text dropped")
        return 0
    if arguments.score:
        rows = [json.loads(line) for line in arguments.score.read_text(encoding="utf-8").splitlines() if line]
        result = score(rows)
        print(f"{arguments.score}: {result['ok']}/{result['n']} ok = {result['share']:.3f}")
        for kind, count in sorted(result["kinds"].items()):
            print(f"  {kind}: {count}")
        for row in rows:
            if row["verdict"] != "ok":
                print(f"  #{row['rank']} {row['name']} [{row['label']}] {row['verdict']}  {row.get('note', '')}")
        return 0
    if not (arguments.warehouse and arguments.out):
        parser.error("give --warehouse and --out, or --score")
    judged = {}
    if arguments.out.exists():
        for line in arguments.out.read_text(encoding="utf-8").splitlines():
            if line:
                row = json.loads(line)
                judged[(row["name"], row["label"])] = (row.get("verdict", ""), row.get("note", ""))
    rows = extract(arguments.warehouse, arguments.top)
    for row in rows:
        row["verdict"], row["note"] = judged.get((row["name"], row["label"]), ("", ""))
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    with arguments.out.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} entities written to {arguments.out}; {sum(1 for r in rows if r['verdict'])} already judged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
