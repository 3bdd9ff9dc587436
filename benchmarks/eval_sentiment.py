"""Sentiment quality on the dev gold (../shared/corpora/dev/sentiment_val.tsv), before and after
the lexicon overlays, and the scorers' speed.

For each language that has a scorer (NEWS_SENTIMENT_BACKENDS' default: en=vader_en, fr=vader_fr)
and each dataset, the accuracy and macro-F1 of the labels read off the scores, beside the
majority-class baseline, for two scorers: "before" is the lexicon package as shipped (VADER's own
`polarity_scores`, what the pipeline ran before the overlays), "after" is the same backend with
the overlay of its language from config/sentiment/ (NEWS_SENTIMENT_OVERLAYS). A score becomes a
label through VADER's conventional neutral band, fixed and never tuned here: positive above
+0.05, negative below −0.05, neutral between (binary datasets: the sign).

The rows are split by the parity of the number in their id: the `tune` half (even) is the one
looked at while writing the overlays' rules (`--errors` lists its wrong labels); the `report`
half (odd) is only scored. Both halves and the whole are printed. The overlay entries themselves
come from language and news knowledge, not from these rows.

Speed: sentences per CPU second of each scorer in this one process (one core; CPU time, so other
work on the machine does not count), over the dev rows of
the scored languages and over sentences of news_bench articles (split at . ! ? followed by a
space), best of three passes.

    .venv/bin/python -m benchmarks.eval_sentiment [--errors tune]
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import time
from collections import Counter, defaultdict
from pathlib import Path

from benchmarks.common import DEV, PROJECT_ROOT, macro_f1, read_news_bench
from transforms.sentiment import build_scorers

BACKENDS = {"en": "vader_en", "fr": "vader_fr"}
TARGETS = {("en", "umsab_tweets"): 0.63, ("fr", "umsab_tweets"): 0.60, ("fr", "allocine_tv_reviews"): 0.75}
BAND = 0.05
NEWS_SENTENCES = 2000  # per language
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


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


def half(row_id: str) -> str:
    """`tune` for an even number at the end of the id, `report` for an odd one."""
    return "tune" if int(row_id.rsplit("_", 1)[1]) % 2 == 0 else "report"


def overlay_texts() -> dict[str, str]:
    folder = Path(os.environ.get("NEWS_SENTIMENT_OVERLAYS", PROJECT_ROOT / "config" / "sentiment"))
    return {file.stem: file.read_text(encoding="utf-8") for file in sorted(folder.glob("*.toml"))}


def news_sentences(languages: set[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {language: [] for language in languages}
    for article in read_news_bench():
        sentences = found.get(article["language"])
        if sentences is not None and len(sentences) < NEWS_SENTENCES:
            sentences.extend(part for part in _SENTENCE_END.split(article["text"]) if part.strip())
            del sentences[NEWS_SENTENCES:]
        if all(len(sentences) >= NEWS_SENTENCES for sentences in found.values()):
            break
    return found


def sentences_per_second(scorer, sentences: list[str]) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for sentence in sentences:
            scorer.score(sentence)
        best = min(best, time.process_time() - started)
    return len(sentences) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--errors",
        nargs="?",
        const="tune",
        choices=["tune"],
        help="list the wrong labels after the overlays of the tune half (the only half whose rows are ever listed)",
    )
    args = parser.parse_args()

    rows = defaultdict(list)
    with open(DEV / "sentiment_val.tsv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            rows[(row["language"], row["dataset"])].append(row)
    scorers = {"before": build_scorers(BACKENDS), "after": build_scorers(BACKENDS, overlay_texts())}

    print(f"Labels at the fixed band ±{BAND} (binary datasets: the sign); tune = even ids, report = odd ids.\n")
    print(
        "| language | dataset | half | n | majority macro-F1 | before acc | before macro-F1 "
        "| after acc | after macro-F1 | target |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    errors = []
    for (language, dataset), examples in sorted(rows.items()):
        if language not in BACKENDS:
            continue
        labels = sorted({example["label"] for example in examples})
        scores = {
            version: [scorers[version][language].score(example["text"]) for example in examples]
            for version in ("before", "after")
        }
        for part in ("tune", "report", "all"):
            chosen = [index for index, example in enumerate(examples) if part == "all" or half(example["id"]) == part]
            gold = [examples[index]["label"] for index in chosen]
            majority = [Counter(gold).most_common(1)[0][0]] * len(gold)
            cells = []
            for version in ("before", "after"):
                predicted = [to_label(scores[version][index], BAND, labels) for index in chosen]
                cells += [f"{accuracy(gold, predicted):.3f}", f"{macro_f1(gold, predicted, labels):.3f}"]
                if version == "after" and part == "tune":
                    errors += [
                        (
                            language,
                            dataset,
                            examples[index]["label"],
                            label,
                            scores["after"][index],
                            examples[index]["text"],
                        )
                        for index, label in zip(chosen, predicted, strict=True)
                        if label != examples[index]["label"]
                    ]
            target = TARGETS.get((language, dataset))
            print(
                f"| {language} | {dataset} | {part} | {len(gold)} | {macro_f1(gold, majority, labels):.3f} | "
                f"{' | '.join(cells)} | {'' if target is None else f'≥ {target:.2f}'} |"
            )

    dev = {
        language: [row["text"] for (lang, _), group in rows.items() if lang == language for row in group]
        for language in BACKENDS
    }
    news = news_sentences(set(BACKENDS))
    print("\nSentences per CPU second, one process:\n")
    print("| language | sentences | before | after |")
    print("|---|---|---:|---:|")
    for language in sorted(BACKENDS):
        for name, sentences in (
            (f"dev rows ({len(dev[language])})", dev[language]),
            (f"news_bench ({len(news[language])})", news[language]),
        ):
            speeds = [sentences_per_second(scorers[version][language], sentences) for version in ("before", "after")]
            print(f"| {language} | {name} | {speeds[0]:,.0f} | {speeds[1]:,.0f} |")

    if args.errors:
        print("\nTune half, wrong labels after the overlays (gold, predicted, score, text):\n")
        for language, dataset, gold_label, label, score, text in errors:
            print(f"{language}\t{dataset}\t{gold_label}\t{label}\t{score:+.3f}\t{text}")


if __name__ == "__main__":
    main()
