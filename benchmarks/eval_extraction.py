"""How good are the quotations, amounts and dates? Scored against the gold of benchmarks/gold/.

    python -m benchmarks.eval_extraction [--gold FILE] [--work DIR] [--errors]

Writes the 40 gold documents' records (from news_bench, by id) as one JSON Lines file into a source
folder, runs `python -m pipelines` (what `make run` runs) on it, and compares core.quotations,
core.amounts and core.date_mentions with `benchmarks/gold/extraction_gold.jsonl` (guidelines:
`benchmarks/gold/extraction_guidelines.md`). Per language it prints:

- quotations: span precision, recall and F1 — a predicted and a gold quotation of the same document
  match when they share at least half the words of the longer one (one-to-one, greedy by overlap);
  gold quotations nested in another gold quotation of the document (annotators sometimes marked
  both a reported clause and the quoted words inside it) count once for recall;
- speaker accuracy over matched quotations whose gold speaker is a named person or organisation:
  one of the predicted speaker's names (the speaking entity's canonical name and aliases, and the
  name it stands for as the document writes it, `speaker_name`, else the cue's words) and the gold name share their last word, case and accents aside;
- the share of predicted direct quotations with a speaker;
- amounts: precision, recall and F1 of (kind, value within 0.5 %, currency);
- dates: span precision, recall and F1 (the same word-overlap rule), and resolution accuracy over
  matched mentions (status, granularity and resolved date all equal).

`--errors` prints the misses and false alarms, for reading. `--work DIR` keeps (and reuses) the run.
`--gold` picks the gold file: the development gold (the default, read while the rules were written)
or the held-out `benchmarks/gold/extraction_test_gold.jsonl` (drawn after, scored, never read for
errors while changing the rules).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from collections import defaultdict
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import PROJECT_ROOT, read_news_bench  # noqa: E402

GOLD = PROJECT_ROOT / "benchmarks" / "gold" / "extraction_gold.jsonl"
_TOKEN = re.compile(r"\w+", re.UNICODE)


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    return _TOKEN.findall(fold(text))


def overlap(a: str, b: str) -> float:
    """Shared words (as multisets) over the words of the longer of the two."""
    wa, wb = words(a), words(b)
    if not wa or not wb:
        return 0.0
    counts: dict[str, int] = defaultdict(int)
    for word in wa:
        counts[word] += 1
    shared = 0
    for word in wb:
        if counts[word] > 0:
            counts[word] -= 1
            shared += 1
    return shared / max(len(wa), len(wb))


def match(predicted: list[dict], gold: list[dict], key: str, threshold: float = 0.5) -> list[tuple[int, int]]:
    """One-to-one pairs (predicted index, gold index), greedy by word overlap of `key`."""
    scored = sorted(
        ((overlap(p[key], g[key]), i, j) for i, p in enumerate(predicted) for j, g in enumerate(gold)),
        reverse=True,
    )
    used_p, used_g, pairs = set(), set(), []
    for score, i, j in scored:
        if score < threshold:
            break
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
            pairs.append((i, j))
    return pairs


def prf(tp_p: int, n_p: int, tp_g: int, n_g: int) -> tuple[float, float, float]:
    precision = tp_p / n_p if n_p else 0.0
    recall = tp_g / n_g if n_g else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def same_speaker(predicted: list[str | None], gold: str | None) -> bool:
    """Whether one of the predicted entity's names (its canonical name and aliases) and the gold name
    share their last word, or one holds the other's last word ("Curran" and "Rowan Curran")."""
    gw = words(gold or "")
    for name in predicted:
        pw = words(name or "")
        if pw and gw and (pw[-1] == gw[-1] or gw[-1] in pw or pw[-1] in gw):
            return True
    return False


def outer_clusters(gold: list[dict]) -> list[int]:
    """For each gold quotation, the index of the longest gold quotation containing it (itself if none)."""
    return [
        max(
            (k for k, other in enumerate(gold) if other["start"] <= item["start"] and item["end"] <= other["end"]),
            key=lambda k: (gold[k]["end"] - gold[k]["start"], -k),
        )
        for item in gold
    ]


def run_pipeline(work: Path, records: list[dict]) -> None:
    source = work / "source"
    source.mkdir(parents=True, exist_ok=True)
    with open(source / "gold_documents.jsonl", "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    home = work / "dagster_home"
    home.mkdir(exist_ok=True)
    shutil.copy(PROJECT_ROOT / "config" / "dagster.yaml", home / "dagster.yaml")
    env = {
        **os.environ,
        "NEWS_SOURCE_DIR": str(source),
        "NEWS_WAREHOUSE_PATH": str(work / "warehouse" / "news.duckdb"),
        "DAGSTER_HOME": str(home),
    }
    env.pop("VERBOSE", None)
    result = subprocess.run([sys.executable, "-m", "pipelines"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"the run failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", type=Path, default=GOLD, help="gold file (default: the development gold)")
    parser.add_argument("--work", type=Path)
    parser.add_argument("--errors", action="store_true")
    arguments = parser.parse_args()
    gold = [json.loads(line) for line in arguments.gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    wanted = {item["id"] for item in gold}
    records = [record for record in read_news_bench() if record["id"] in wanted]
    work = arguments.work or Path(tempfile.mkdtemp(prefix="news-extraction-"))
    try:
        run_pipeline(work, records)
        with duckdb.connect(str(work / "warehouse" / "news.duckdb"), read_only=True) as connection:
            doc_of = dict(connection.execute("select external_id, doc_id from core.documents where is_current").fetchall())
            names = {
                entity_id: [name, *(aliases or [])]
                for entity_id, name, aliases in connection.execute("select entity_id, name, aliases from core.entities").fetchall()
            }

            def rows(sql: str) -> dict[str, list[dict]]:
                frame = connection.execute(sql).pl()
                grouped: dict[str, list[dict]] = defaultdict(list)
                for row in frame.iter_rows(named=True):
                    grouped[row["doc_id"]].append(row)
                return grouped

            quotations = rows("select * from core.quotations order by doc_id, start_char")
            amounts = rows("select * from core.amounts order by doc_id, start_char")
            dates = rows("select * from core.date_mentions order by doc_id, start_char")
        report(gold, doc_of, names, quotations, amounts, dates, arguments.errors)
    finally:
        if arguments.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def report(gold, doc_of, names, quotations, amounts, dates, show_errors: bool) -> None:
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    errors: list[str] = []
    for item in gold:
        language, doc_id = item["language"], doc_of.get(item["id"])
        t = totals[language]
        t["documents"] += 1
        if doc_id is None:
            errors.append(f"{item['id']}: not in core.documents")
        # quotations
        predicted = [
            {**q, "text": q["quote_text"], "speaker": [*names.get(q["speaker_entity_id"], []), q.get("speaker_name") or q["speaker_text"]]}
            for q in quotations.get(doc_id, [])
        ]
        gold_q = item["quotations"]
        owners = outer_clusters(gold_q)
        pairs = match(predicted, gold_q, "text")
        t["q_pred"] += len(predicted)
        t["q_pred_matched"] += len(pairs)
        t["q_gold"] += len(set(owners))
        t["q_gold_matched"] += len({owners[j] for _, j in pairs})
        for i, j in pairs:
            if gold_q[j].get("speaker_type") == "name" and gold_q[j].get("speaker"):
                t["speaker_n"] += 1
                right = same_speaker(predicted[i]["speaker"], gold_q[j]["speaker"])
                t["speaker_right"] += right
                if not right:
                    errors.append(
                        f"{item['id']} speaker: {predicted[i]['speaker'][0]!r} ({predicted[i]['speaker_resolution']}) "
                        f"for {gold_q[j]['speaker']!r}: {gold_q[j]['text'][:70]!r}"
                    )
        direct = [p for p in predicted if p["kind"] == "direct"]
        t["direct"] += len(direct)
        t["direct_attributed"] += sum(p["speaker_resolution"] != "none" for p in direct)
        matched_p, matched_clusters = {i for i, _ in pairs}, {owners[j] for _, j in pairs}
        errors += [f"{item['id']} quote false alarm ({p['kind']}): {p['text'][:90]!r}" for i, p in enumerate(predicted) if i not in matched_p]
        errors += [
            f"{item['id']} quote missed ({g['kind']}, {g.get('speaker')}): {g['text'][:90]!r}"
            for j, g in enumerate(gold_q)
            if owners[j] == j and j not in matched_clusters
        ]
        # amounts
        predicted_a = amounts.get(doc_id, [])
        used: set[int] = set()
        for g in item["amounts"]:
            for i, p in enumerate(predicted_a):
                if i in used or p["kind"] != g["kind"] or (p["currency"] or None) != (g.get("currency") or None):
                    continue
                if abs(p["value"] - g["value"]) <= 0.005 * max(abs(g["value"]), 1e-9):
                    used.add(i)
                    break
            else:
                errors.append(f"{item['id']} amount missed: {g['text']!r} {g['value']} {g.get('currency')}")
        errors += [
            f"{item['id']} amount false alarm: {p['mention_text']!r} {p['value']} {p['currency']}"
            for i, p in enumerate(predicted_a)
            if i not in used
        ]
        t["a_pred"] += len(predicted_a)
        t["a_gold"] += len(item["amounts"])
        t["a_matched"] += len(used)
        # dates
        predicted_d = [{**d, "text": d["mention_text"]} for d in dates.get(doc_id, [])]
        pairs = match(predicted_d, item["dates"], "text")
        t["d_pred"] += len(predicted_d)
        t["d_gold"] += len(item["dates"])
        t["d_matched"] += len(pairs)
        for i, j in pairs:
            p, g = predicted_d[i], item["dates"][j]
            resolved = str(p["resolved_date"]) if isinstance(p["resolved_date"], dt.date) else None
            right = p["status"] == g.get("status") and p["granularity"] == g.get("granularity") and resolved == g.get("resolved_date")
            t["d_resolved_right"] += right
            if not right:
                errors.append(
                    f"{item['id']} date {g['text']!r}: {p['status']} {p['granularity']} {resolved} "
                    f"for {g.get('status')} {g.get('granularity')} {g.get('resolved_date')}"
                )
        matched_d = {i for i, _ in pairs}
        matched_g = {j for _, j in pairs}
        errors += [f"{item['id']} date false alarm: {p['text']!r}" for i, p in enumerate(predicted_d) if i not in matched_d]
        errors += [f"{item['id']} date missed: {g['text']!r}" for j, g in enumerate(item["dates"]) if j not in matched_g]

    print("| language | docs | quotations P / R / F1 | speaker accuracy | direct attributed | amounts P / R / F1 | dates P / R / F1 | date resolution |")
    print("|---|---:|---|---:|---:|---|---|---:|")
    for language in sorted(totals):
        t = totals[language]
        qp, qr, qf = prf(t["q_pred_matched"], t["q_pred"], t["q_gold_matched"], t["q_gold"])
        ap, ar, af = prf(t["a_matched"], t["a_pred"], t["a_matched"], t["a_gold"])
        dp, dr, df = prf(t["d_matched"], t["d_pred"], t["d_matched"], t["d_gold"])
        speaker = t["speaker_right"] / t["speaker_n"] if t["speaker_n"] else 0.0
        attributed = t["direct_attributed"] / t["direct"] if t["direct"] else 0.0
        resolution = t["d_resolved_right"] / t["d_matched"] if t["d_matched"] else 0.0
        print(
            f"| {language} | {t['documents']} | {qp:.2f} / {qr:.2f} / {qf:.3f} ({t['q_pred']} found, {t['q_gold']} gold) "
            f"| {speaker:.3f} ({t['speaker_right']}/{t['speaker_n']}) | {attributed:.2f} ({t['direct_attributed']}/{t['direct']}) "
            f"| {ap:.2f} / {ar:.2f} / {af:.3f} ({t['a_pred']} found, {t['a_gold']} gold) "
            f"| {dp:.2f} / {dr:.2f} / {df:.2f} ({t['d_pred']} found, {t['d_gold']} gold) "
            f"| {resolution:.2f} ({t['d_resolved_right']}/{t['d_matched']}) |"
        )
    if show_errors:
        print("\n" + "\n".join(errors))


if __name__ == "__main__":
    sys.exit(main())
