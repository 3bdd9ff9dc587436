"""Draw the documents of the extraction gold (see extraction_guidelines.md), at random with a fixed seed.

    python -m benchmarks.gold.select_extraction_docs [--per-language 20] [--seed 17] [--exclude GOLD ...]

Among the records of news_bench in French and in English whose text holds a quote mark or a
speech verb, draws `--per-language` of each and prints their ids, one per line (language, id).
`--exclude` leaves out the documents of earlier gold files, so a held-out sample never repeats a
development document. The gold keeps ids and annotations only; the texts stay in the corpus.

The development gold (extraction_gold.jsonl) is `--seed 17`; the held-out test gold
(extraction_test_gold.jsonl) is `--per-language 10 --seed 170 --exclude extraction_gold.jsonl`.
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

CUES = {
    "fr": re.compile(r"[«»“”\"]|\b(a déclaré|a dit|a affirmé|a estimé|selon|d'après|a indiqué|a expliqué)\b"),
    "en": re.compile(r"[“”\"]|\b(said|told|according to|says|stated)\b"),
}


def candidates(language: str, excluded: set[str]) -> list[str]:
    return sorted(
        record["id"]
        for record in read_news_bench()
        if record.get("language") == language
        and record["id"] not in excluded
        and CUES[language].search(record.get("text") or "")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-language", type=int, default=20)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--exclude", type=Path, nargs="*", default=[], help="gold files whose documents to leave out")
    arguments = parser.parse_args()
    excluded = {
        json.loads(line)["id"] for path in arguments.exclude for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    }
    generator = random.Random(arguments.seed)
    for language in ("fr", "en"):
        for doc_id in generator.sample(candidates(language, excluded), arguments.per_language):
            print(language, doc_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
