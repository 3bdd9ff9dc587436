"""Sentiment quality on the held-out news sentence gold (benchmarks/gold/news_sentences.jsonl).

300 sentences of news_bench (150 English: 75 Reuters 1987, 75 BBC News; 150 French: BBC Afrique),
drawn by benchmarks/gold/select_news_sentences.py and labelled negative / neutral / positive by
reading, following benchmarks/gold/news_sentiment_guidelines.md, before any scorer was run on them.

For each language, the project's scorer (transforms.sentiment.build_scorers with the default
backends en=vader_en, fr=vader_fr, and, where build_scorers takes overlays, the overlay files of
NEWS_SENTIMENT_OVERLAYS, by default config/sentiment/, passed as eval_sentiment passes them)
scores each sentence; a score becomes a label through the fixed neutral band ±0.05 (positive
above +0.05, negative below −0.05, neutral between). Nothing is tuned here.
Prints per language (and per source): n, the gold label distribution, the majority-class
macro-F1, accuracy, macro-F1 with a 95 % bootstrap interval (1,000 resamples of the sentences,
seed 19: with 150 sentences a language, differences of a few points are within the noise), and the
confusion matrix.

The scorer is imported from the current working directory's `transforms` (and the overlays read
from its `config/sentiment/`), so one script measures any checkout:

    .venv/bin/python -m benchmarks.eval_news_sentiment                  # this checkout
    cd OTHER_CHECKOUT && /path/to/.venv/bin/python /path/to/benchmarks/eval_news_sentiment.py

Before and after, paired (the same resampled sentences for both, so the interval is that of the
difference): `--save before.json` in the old checkout, then `--baseline before.json` in the new one.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import random
import sys
from collections import Counter
from pathlib import Path

PROJECT = str(Path(__file__).resolve().parents[1])  # run as a script from another checkout too
if PROJECT not in sys.path:
    sys.path.append(PROJECT)
from benchmarks import common  # noqa: E402

GOLD = Path(__file__).resolve().parent / "gold" / "news_sentences.jsonl"
BACKENDS = {"en": "vader_en", "fr": "vader_fr"}
BAND = 0.05
LABELS = ("negative", "neutral", "positive")
BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED = 1000, 19


def to_label(score: float, band: float = BAND) -> str:
    if score > band:
        return "positive"
    if score < -band:
        return "negative"
    return "neutral"


def macro_f1(gold: list[str], predicted: list[str], labels: tuple[str, ...] = LABELS) -> float:
    """Mean over `labels` (the three by default) of each label's F1."""
    return common.macro_f1(gold, predicted, labels)


def accuracy(gold: list[str], predicted: list[str]) -> float:
    return sum(1 for g, p in zip(gold, predicted, strict=True) if g == p) / len(gold)


def bootstrap_interval(gold: list[str], predicted: list[str]) -> tuple[float, float]:
    """95 % percentile interval of macro-F1 over sentences resampled with replacement (seeded)."""
    generator = random.Random(BOOTSTRAP_SEED)
    n = len(gold)
    values = []
    for _ in range(BOOTSTRAP_RESAMPLES):
        picks = [generator.randrange(n) for _ in range(n)]
        values.append(macro_f1([gold[i] for i in picks], [predicted[i] for i in picks]))
    values.sort()
    return values[int(0.025 * BOOTSTRAP_RESAMPLES)], values[int(0.975 * BOOTSTRAP_RESAMPLES) - 1]


def paired_difference_interval(gold: list[str], predicted: list[str], baseline: list[str]) -> tuple[float, float]:
    """95 % interval of macro-F1(predicted) − macro-F1(baseline), both on the same resamples (seeded)."""
    generator = random.Random(BOOTSTRAP_SEED)
    n = len(gold)
    values = []
    for _ in range(BOOTSTRAP_RESAMPLES):
        picks = [generator.randrange(n) for _ in range(n)]
        sample = [gold[i] for i in picks]
        values.append(macro_f1(sample, [predicted[i] for i in picks]) - macro_f1(sample, [baseline[i] for i in picks]))
    values.sort()
    return values[int(0.025 * BOOTSTRAP_RESAMPLES)], values[int(0.975 * BOOTSTRAP_RESAMPLES) - 1]


def read_gold(path: Path = GOLD) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    unlabelled = [row["id"] for row in rows if row.get("label") not in LABELS]
    if unlabelled:
        raise SystemExit(f"{path}: {len(unlabelled)} rows without a label, e.g. {unlabelled[:3]}")
    return rows


def read_gold_sentences(path: Path = GOLD) -> list[dict]:
    """The gold with each row's sentence, read from news_bench at the row's offsets."""
    from benchmarks.gold.select_news_sentences import with_sentences

    return with_sentences(read_gold(path))


def load_scorers(root: Path, overlays_folder: Path | None) -> tuple[dict, str]:
    """The scorers of the checkout at `root` (its `transforms`), with its overlays if it has them."""
    sys.path.insert(0, str(root))
    from transforms.sentiment import build_scorers

    if "overlays" not in inspect.signature(build_scorers).parameters:
        return build_scorers(BACKENDS), "no overlay mechanism"
    if overlays_folder is None:
        overlays_folder = Path(os.environ.get("NEWS_SENTIMENT_OVERLAYS", root / "config" / "sentiment"))
    folder = overlays_folder
    overlays = {path.stem: path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.toml"))}
    described = f"overlays {sorted(overlays)} from {folder}" if overlays else f"no overlay file in {folder}"
    return build_scorers(BACKENDS, overlays), described


def report(title: str, gold: list[str], predicted: list[str]) -> None:
    counts = Counter(gold)
    majority = counts.most_common(1)[0][0]
    distribution = " / ".join(f"{label} {counts[label]}" for label in LABELS)
    non_neutral = (counts["negative"] + counts["positive"]) / len(gold)
    print(f"{title}: n {len(gold)} ({distribution}; non-neutral {non_neutral:.2f})")
    low, high = bootstrap_interval(gold, predicted)
    print(
        f"  majority ({majority}) macro-F1 {macro_f1(gold, [majority] * len(gold)):.3f} | "
        f"accuracy {accuracy(gold, predicted):.3f} | macro-F1 {macro_f1(gold, predicted):.3f} "
        f"(95 % bootstrap interval {low:.3f}-{high:.3f})"
    )


def confusion(gold: list[str], predicted: list[str]) -> None:
    pairs = Counter(zip(gold, predicted, strict=True))
    print("  confusion (rows gold, columns predicted):")
    print("  " + " " * 10 + "".join(f"{label:>10}" for label in LABELS))
    for g in LABELS:
        print("  " + f"{g:<10}" + "".join(f"{pairs[(g, p)]:>10}" for p in LABELS))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", type=Path, default=GOLD)
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="checkout whose scorers to use (default: cwd)")
    parser.add_argument(
        "--overlays", type=Path, help="overlay folder (default: NEWS_SENTIMENT_OVERLAYS, else ROOT/config/sentiment)"
    )
    parser.add_argument("--show-errors", action="store_true", help="list the sentences scored wrong")
    parser.add_argument("--save", type=Path, help="write each sentence's score to this JSON file")
    parser.add_argument(
        "--baseline", type=Path, help="scores saved (--save) from another checkout: print the paired difference"
    )
    arguments = parser.parse_args()
    baseline_scores = json.loads(arguments.baseline.read_text(encoding="utf-8")) if arguments.baseline else None
    saved: dict[str, float] = {}
    rows = read_gold_sentences(arguments.gold)
    root = arguments.root.resolve()
    scorers, overlays = load_scorers(root, arguments.overlays)
    print(f"gold {arguments.gold} | scorers of {root} ({overlays}) | fixed band ±{BAND}")
    summary = []
    for language in sorted(BACKENDS):
        examples = [row for row in rows if row["language"] == language]
        scorer = scorers[language]
        scores = [scorer.score(row["sentence"]) for row in examples]
        predicted = [to_label(score) for score in scores]
        gold = [row["label"] for row in examples]
        saved.update((row["id"], score) for row, score in zip(examples, scores, strict=True))
        print()
        report(f"{language} ({scorer.name})", gold, predicted)
        confusion(gold, predicted)
        for source in sorted({row["source"] for row in examples}):
            keep = [i for i, row in enumerate(examples) if row["source"] == source]
            if len(keep) < len(examples):
                report(f"  {language} {source}", [gold[i] for i in keep], [predicted[i] for i in keep])
        if arguments.show_errors:
            for row, score, label in zip(examples, scores, predicted, strict=True):
                if label != row["label"]:
                    print(f"    {row['id']} gold {row['label']:<8} score {score:+.3f}  {row['sentence'][:110]}")
        summary.append((language, scorer.name, gold, predicted))
        if baseline_scores is not None:
            baseline = [to_label(baseline_scores[row["id"]]) for row in examples]
            low, high = paired_difference_interval(gold, predicted, baseline)
            print(
                f"  against the baseline ({arguments.baseline}): macro-F1 {macro_f1(gold, baseline):.3f} → "
                f"{macro_f1(gold, predicted):.3f}, difference "
                f"{macro_f1(gold, predicted) - macro_f1(gold, baseline):+.3f} (paired 95 % interval {low:+.3f} to {high:+.3f}); "
                f"{sum(1 for b, p in zip(baseline, predicted, strict=True) if b != p)} labels changed"
            )
    if arguments.save:
        arguments.save.write_text(json.dumps(saved, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print()
    print("| language | backend | n | majority macro-F1 | accuracy | macro-F1 | 95 % interval |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for language, name, gold, predicted in summary:
        majority = [Counter(gold).most_common(1)[0][0]] * len(gold)
        low, high = bootstrap_interval(gold, predicted)
        print(
            f"| {language} | {name} | {len(gold)} | {macro_f1(gold, majority):.3f} | "
            f"{accuracy(gold, predicted):.3f} | {macro_f1(gold, predicted):.3f} | {low:.3f}-{high:.3f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
