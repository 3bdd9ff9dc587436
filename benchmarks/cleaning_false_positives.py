"""How often does cleaning change the letters of clean professional news? (Issue: ≤ 1 %.)

Runs the project's cleaning over the first N articles of news_bench and counts the documents whose
letters changed beyond whitespace, quote and Unicode normalisation, then lists the rules that
fired, with examples, so that false positives are visible.

    .venv/bin/python -m benchmarks.cleaning_false_positives [--docs 2000]
"""

from __future__ import annotations

import argparse
import time
import unicodedata
from collections import Counter, defaultdict

from benchmarks.common import PROJECT_ROOT, read_news_bench
from transforms.cleaning import clean_text, parse_rules

# Rules whose changes never count as changing letters.
NORMALISING = {"generic.line_endings", "generic.unicode_nfc", "generic.apostrophes", "generic.guillemets"}


def letters(text: str) -> str:
    return "".join(character for character in unicodedata.normalize("NFC", text) if character.isalpha())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--examples", type=int, default=3, help="examples shown per rule")
    args = parser.parse_args()
    rules = parse_rules((PROJECT_ROOT / "config" / "cleaning_rules.toml").read_text(encoding="utf-8"))

    started = time.perf_counter()
    n_documents = n_changed = 0
    fired: Counter[str] = Counter()
    changed_by: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    for article in read_news_bench(args.docs):
        n_documents += 1
        result = clean_text(article["text"], rules)
        rule_ids = {rule_id for rule_id, _, _ in result.log}
        fired.update(rule_ids)
        if letters(article["text"]) != letters(result.text):
            n_changed += 1
            for rule_id in rule_ids - NORMALISING:
                changed_by[rule_id] += 1
        for rule_id, _, example in result.log:
            if len(examples[rule_id]) < args.examples:
                examples[rule_id].append(f"{article['id']}: {example}")
    elapsed = time.perf_counter() - started

    share = 100.0 * n_changed / n_documents if n_documents else 0.0
    print(f"documents cleaned:            {n_documents} in {elapsed:.1f} s ({n_documents / elapsed:.0f} docs/s)")
    print(f"documents with letters changed: {n_changed} ({share:.2f} %; target ≤ 1 %)")
    print()
    print(f"{'rule':<32} {'docs fired':>10} {'docs w/ letters changed':>24}")
    for rule_id, count in fired.most_common():
        print(f"{rule_id:<32} {count:>10} {changed_by.get(rule_id, 0):>24}")
    print()
    for rule_id, _ in fired.most_common():
        print(f"{rule_id}:")
        for example in examples[rule_id]:
            print(f"    {example}")


if __name__ == "__main__":
    main()
