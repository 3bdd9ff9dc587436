"""Draw the sentences of the news sentiment gold (see news_sentiment_guidelines.md), at random with a fixed seed.

    python -m benchmarks.gold.select_news_sentences [--per-language 150] [--seed 19] [--out FILE] [--force]
    python -m benchmarks.gold.select_news_sentences --check    # the gold is what the draw gives

For English and French (the two languages with a sentiment scorer), draws articles of news_bench
at random and one sentence at random from each, until `--per-language` sentences are drawn; the
sample is kept as drawn (nothing is chosen by its words or by any scorer). English news_bench is
93 % Reuters 1987 newswire: English draws half of its sentences from Reuters and half from BBC
News (MasakhaNEWS), so that the modern outlet weighs as much as the 1987 wire; French is all BBC
Afrique. Each article gives one sentence, so 150 sentences come from 150 different articles.

Sentences are cut by a small deterministic splitter (below), not by a model, so the sample does
not change with a model version. A candidate is the article's title, or a sentence of its body
(Reuters' dateline "CITY, Month D - " left out), of 6 to 60 words, at least half of its words
holding a letter; a body sentence must start with a capital, a digit or an opening quote or bracket
and end with . ! ? or … (optionally followed by a closing quote or bracket), which leaves out the
figure tables of Reuters' earnings reports and the text MasakhaNEWS cut off mid-word.

Writes JSON lines (id, language, doc_id, source, dataset, start, end, label="", note="")
to `--out`: `start`/`end` are Python offsets into the record's `text`; the sentence is that span
with whitespace collapsed, read back from news_bench by `with_sentences` (the corpus's licences allow
testing with it, not shipping it, so the gold holds no text of its own). Refuses to overwrite a file that already holds a label (the gold is
annotated in place), unless `--force`. `--check` draws again and compares with `--out` (every
field but the label and the note), so anyone can confirm the gold is the seeded draw.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.common import read_news_bench  # noqa: E402

GOLD = Path(__file__).resolve().parent / "news_sentences.jsonl"
# language -> [(dataset, share of the language's sentences)]
STRATA = {
    "en": [("Reuters-21578 Distribution 1.0", 0.5), ("MasakhaNEWS", 0.5)],
    "fr": [("MasakhaNEWS", 1.0)],
}
MIN_WORDS, MAX_WORDS = 6, 60

# Reuters wraps its lines at ~65 characters: there a newline ends a block only when a blank or indented
# line follows it (or a sentence ended before it, see split_sentences); elsewhere every newline ends a block
_BLOCK_BREAK_WRAPPED = re.compile(r"\n[ \t]*(?:\n|[ \t](?=[ \t]))\s*")
_BLOCK_BREAK_LINES = re.compile(r"[ \t]*\n\s*")
_NEWLINE_AHEAD = re.compile(r"[ \t]*\n")
# end of a sentence: . ! ? … then closing quotes/brackets, then space
_SENTENCE_END = re.compile(r"[.!?…]+[\"”»'’)\]]*(?=\s)")
_OPENER = re.compile(r"\s+[\"“«'‘(\[]?[A-ZÀ-ÖØ-Þ0-9]")
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "mt",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "inc",
        "corp",
        "co",
        "ltd",
        "plc",
        "no",
        "nos",
        "vs",
        "gen",
        "gov",
        "sen",
        "rep",
        "lt",
        "col",
        "capt",
        "sgt",
        "jr",
        "sr",
        "bros",
        "ave",
        "dept",
        "est",
        "fig",
        "approx",
        "mme",
        "mlle",
        "mm",
        "m",
        "me",
        "st",
        "ste",
        "cie",
    ]
)
_DATELINE = re.compile(r"[A-Z][A-Za-z .'&/-]*(?:, [A-Z][A-Za-z .'&/-]*)*, [A-Z][a-z]+\.? \d{1,2} - ")
_SIGNATURE = re.compile(r"\s*\bREUTER\b\s*$")
_STARTS_SENTENCE = re.compile(r"[\"“«'‘(\[]?[A-ZÀ-ÖØ-Þ0-9]")
_ENDS_SENTENCE = re.compile(r"[.!?…][\"”»'’)\]]*$")


def _is_abbreviation(block: str, period_at: int) -> bool:
    """Whether the '.' at `period_at` closes an abbreviation or an initial (U.S., J., Mr.)."""
    if block[period_at] != ".":
        return False
    word = re.search(r"[\w.]*$", block[:period_at]).group(0)
    last = word.rsplit(".", 1)[-1]
    return len(last) == 1 and last.isalpha() or last.lower() in _ABBREVIATIONS


def split_sentences(text: str, start: int = 0, end: int | None = None, wrapped: bool = False) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of text[start:end], stripped of surrounding space.

    `wrapped`: the text's lines are wrapped (Reuters), so a newline alone does not end a sentence."""
    end = len(text) if end is None else end
    spans = []
    block_start = start
    block_break = _BLOCK_BREAK_WRAPPED if wrapped else _BLOCK_BREAK_LINES
    breaks = [(m.start(), m.end()) for m in block_break.finditer(text, start, end)] + [(end, end)]
    for break_start, break_end in breaks:
        block = text[block_start:break_start]
        sentence_start = 0
        for match in _SENTENCE_END.finditer(block):
            stop = match.end()
            if match.group(0) == "." and _is_abbreviation(block, match.start()):
                continue
            if not (_OPENER.match(block, stop) or _NEWLINE_AHEAD.match(block, stop)):
                continue
            spans.append((block_start + sentence_start, block_start + stop))
            sentence_start = stop
        spans.append((block_start + sentence_start, block_start + len(block)))
        block_start = break_end
    stripped = []
    for a, b in spans:
        piece = text[a:b]
        a += len(piece) - len(piece.lstrip())
        b -= len(piece) - len(piece.rstrip())
        if a < b:
            stripped.append((a, b))
    return stripped


def _acceptable(sentence: str, is_title: bool) -> bool:
    words = sentence.split()
    if not MIN_WORDS <= len(words) <= MAX_WORDS:
        return False
    if sum(1 for word in words if any(character.isalpha() for character in word)) * 2 < len(words):
        return False
    if "http" in sentence or "www." in sentence:
        return False
    return is_title or bool(_STARTS_SENTENCE.match(sentence) and _ENDS_SENTENCE.search(sentence))


def candidates(record: dict) -> list[tuple[int, int]]:
    """The spans of `record['text']` that may enter the gold: the title and the body's sentences."""
    text = record.get("text") or ""
    title = (record.get("title") or "").strip()
    spans = []
    body_start = 0
    if title and text.startswith(title):
        spans.append((0, len(title), True))
        body_start = len(title)
    body_start += len(text[body_start:]) - len(text[body_start:].lstrip())
    dateline = _DATELINE.match(text, body_start)
    if dateline and record.get("source") == "Reuters":
        body_start = dateline.end()
    signature = _SIGNATURE.search(text, body_start)
    body_end = signature.start() if signature else len(text)
    spans += [
        (a, b, False) for a, b in split_sentences(text, body_start, body_end, wrapped=record.get("source") == "Reuters")
    ]
    return [(a, b) for a, b, is_title in spans if _acceptable(" ".join(text[a:b].split()), is_title)]


def draw(records: list[dict], per_language: int, seed: int) -> list[dict]:
    rows = []
    for language, strata in STRATA.items():
        quotas = [round(per_language * share) for _, share in strata]
        quotas[-1] = per_language - sum(quotas[:-1])
        for (dataset, _), quota in zip(strata, quotas, strict=True):
            pool = sorted(
                (r for r in records if r["language"] == language and r["dataset"] == dataset), key=lambda r: r["id"]
            )
            generator = random.Random(f"{seed}:{language}:{dataset}")
            generator.shuffle(pool)
            drawn = 0
            for record in pool:
                if drawn == quota:
                    break
                spans = candidates(record)
                if not spans:
                    continue
                a, b = generator.choice(spans)
                rows.append(
                    {
                        "id": f"{language}-{len([r for r in rows if r['language'] == language]) + 1:03d}",
                        "language": language,
                        "doc_id": record["id"],
                        "source": record["source"],
                        "dataset": dataset,
                        "start": a,
                        "end": b,
                        "sentence": " ".join(record["text"][a:b].split()),
                        "label": "",
                        "note": "",
                    }
                )
                drawn += 1
            if drawn < quota:
                raise SystemExit(f"{language} {dataset}: only {drawn} sentences for a quota of {quota}")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-language", type=int, default=150)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--out", type=Path, default=GOLD)
    parser.add_argument("--force", action="store_true", help="overwrite a file that already holds labels")
    parser.add_argument("--check", action="store_true", help="compare a new draw with --out instead of writing")
    arguments = parser.parse_args()
    if arguments.check:
        records = [r for r in read_news_bench() if r.get("language") in STRATA]
        drawn = draw(records, arguments.per_language, arguments.seed)
        kept = [json.loads(line) for line in arguments.out.read_text(encoding="utf-8").splitlines() if line.strip()]
        fields = [key for key in drawn[0] if key not in ("label", "note", "sentence")]
        differing = [
            new["id"] for new, old in zip(drawn, kept, strict=False) if any(new[key] != old.get(key) for key in fields)
        ]
        if differing or len(drawn) != len(kept):
            print(f"{arguments.out} differs from the draw: {len(kept)} rows vs {len(drawn)}, e.g. {differing[:5]}")
            return 1
        print(f"{arguments.out}: the {len(kept)} sentences are the draw of seed {arguments.seed}")
        return 0
    if arguments.out.exists() and not arguments.force:
        existing = [json.loads(line) for line in arguments.out.read_text(encoding="utf-8").splitlines() if line.strip()]
        if any(row.get("label") for row in existing):
            print(f"{arguments.out} holds labels: not overwritten (--force to do it)", file=sys.stderr)
            return 1
    records = [r for r in read_news_bench() if r.get("language") in STRATA]
    rows = draw(records, arguments.per_language, arguments.seed)
    with open(arguments.out, "w", encoding="utf-8") as handle:
        for row in rows:
            kept = {key: value for key, value in row.items() if key != "sentence"}  # the corpus's text is not shipped
            handle.write(json.dumps(kept, ensure_ascii=False) + "\n")
    print(f"{len(rows)} sentences written to {arguments.out}")
    return 0


def with_sentences(rows: list[dict]) -> list[dict]:
    """The gold's rows with their `sentence` read from news_bench at their offsets (the gold keeps
    ids and offsets only: the corpus's licences allow testing with it, not shipping it)."""
    wanted = {row["doc_id"] for row in rows}
    texts = {record["id"]: record["text"] for record in read_news_bench() if record["id"] in wanted}
    missing = sorted(wanted - texts.keys())
    if missing:
        raise SystemExit(f"{len(missing)} gold articles are not in news_bench, e.g. {missing[:3]}")
    return [{**row, "sentence": " ".join(texts[row["doc_id"]][row["start"] : row["end"]].split())} for row in rows]


if __name__ == "__main__":
    sys.exit(main())
