"""Sentiment quality on the dev gold (../shared/corpora/dev/sentiment_val.tsv).

For each language that has a scorer (NEWS_SENTIMENT_BACKENDS' default: en=vader_en, fr=vader_fr)
and each dataset, the accuracy and macro-F1 of the labels read off the scores, beside the
majority-class baseline. A score becomes a label through a neutral band: positive above +t,
negative below -t, neutral between (binary datasets: the sign). Two bands are shown: VADER's
conventional t = 0.05, and the t in 0…0.6 that does best on this dev data (the tuned figure is
optimistic: it is chosen on the data it is measured on).

    .venv/bin/python -m benchmarks.eval_sentiment
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict

from benchmarks.common import DEV
from transforms.sentiment import build_scorers

BACKENDS = {"en": "vader_en", "fr": "vader_fr"}
THRESHOLDS = [round(0.05 * step, 2) for step in range(13)]


def macro_f1(gold: list[str], predicted: list[str], labels: list[str]) -> float:
    scores = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if p == label != g)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label != p)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores)


def to_label(score: float, threshold: float, labels: list[str]) -> str:
    if "neutral" not in labels:
        return "positive" if score >= 0 else "negative"
    if score > threshold:
        return "positive"
    if score < -threshold:
        return "negative"
    return "neutral"


def accuracy(gold: list[str], predicted: list[str]) -> float:
    return sum(1 for g, p in zip(gold, predicted, strict=True) if g == p) / len(gold)


def main() -> None:
    rows = defaultdict(list)
    with open(DEV / "sentiment_val.tsv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            rows[(row["language"], row["dataset"])].append(row)
    scorers = build_scorers(BACKENDS)
    print(
        "| language | dataset | backend | n | majority acc | majority macro-F1 | t | acc | macro-F1 | tuned t | tuned acc | tuned macro-F1 |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (language, dataset), examples in sorted(rows.items()):
        gold = [example["label"] for example in examples]
        labels = sorted(set(gold))
        majority = Counter(gold).most_common(1)[0][0]
        baseline = [majority] * len(gold)
        scorer = scorers.get(language)
        if scorer is None:
            print(
                f"| {language} | {dataset} | none | {len(gold)} | {accuracy(gold, baseline):.3f} | "
                f"{macro_f1(gold, baseline, labels):.3f} | | | | | | |"
            )
            continue
        scores = [scorer.score(example["text"]) for example in examples]
        fixed = [to_label(score, 0.05, labels) for score in scores]
        tuned_t = max(THRESHOLDS, key=lambda t: macro_f1(gold, [to_label(s, t, labels) for s in scores], labels))
        tuned = [to_label(score, tuned_t, labels) for score in scores]
        band = "0.05" if "neutral" in labels else "sign"
        tuned_band = f"{tuned_t:.2f}" if "neutral" in labels else "sign"
        print(
            f"| {language} | {dataset} | {scorer.name} | {len(gold)} | {accuracy(gold, baseline):.3f} | "
            f"{macro_f1(gold, baseline, labels):.3f} | {band} | {accuracy(gold, fixed):.3f} | "
            f"{macro_f1(gold, fixed, labels):.3f} | {tuned_band} | {accuracy(gold, tuned):.3f} | "
            f"{macro_f1(gold, tuned, labels):.3f} |"
        )


if __name__ == "__main__":
    main()
