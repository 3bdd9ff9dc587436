"""Language identification on documents in 79 languages, 29 of them outside langdetect's profiles.

    python -m benchmarks.eval_language [--errors]

Builds documents of 5 to 20 sentences from `../shared/corpora/dev/langid_sentences.tsv` (100
sentences per language): per language, its sentences shuffled with a fixed seed (19) and cut
into consecutive documents of random lengths. Documents alternate between two halves: `tune`
(the even ones, the only ones read while the detector's thresholds were chosen) and `report` (the
odd ones, the figures the README gives). Runs `transforms.language.LanguageDetector` (the
pipeline's detector, with its default settings) on each and prints, per half:

- covered languages (in langdetect's profiles; `nb` and `nn` are Norwegian, which langdetect
  calls `no`): accuracy, the share labelled `und`;
- uncovered languages: the share labelled `und` or right (a language langdetect cannot name can
  only be right as `und`);
- milliseconds per document, detection alone.

`--errors` lists, for the report half, the wrong labels by language.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import CORPORA  # noqa: E402
from transforms.language import UNDETERMINED, LanguageDetector  # noqa: E402

SENTENCES = CORPORA / "dev" / "langid_sentences.tsv"
SEED = 19
SAME = {"nb": "no", "nn": "no", "zh": "zh"}


def covered_languages() -> set[str]:
    from langdetect.detector_factory import PROFILES_DIRECTORY

    return {path.name.split("-")[0] for path in Path(PROFILES_DIRECTORY).iterdir()}


def documents() -> list[tuple[str, str, str]]:
    """(half, language, text) of every document, in a fixed order."""
    by_language: dict[str, list[str]] = defaultdict(list)
    for line in SENTENCES.read_text(encoding="utf-8").splitlines()[1:]:
        language, _, text = line.partition("\t")
        if text.strip():
            by_language[language].append(text.strip())
    generator = random.Random(SEED)
    built = []
    for language in sorted(by_language):
        sentences = by_language[language][:]
        generator.shuffle(sentences)
        index, position = 0, 0
        while len(sentences) - position >= 5:
            size = min(generator.randint(5, 20), len(sentences) - position)
            text = " ".join(sentences[position : position + size])
            built.append(("tune" if index % 2 == 0 else "report", language, text))
            position += size
            index += 1
    return built


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--errors", action="store_true")
    arguments = parser.parse_args()
    covered = covered_languages()
    detector = LanguageDetector()
    docs = documents()
    detector.detect_many([text for _, _, text in docs[:20]])  # warm caches
    started = time.perf_counter()
    found = detector.detect_many([text for _, _, text in docs])
    per_document_ms = (time.perf_counter() - started) * 1000 / len(docs)
    totals: dict[str, Counter] = defaultdict(Counter)
    errors: dict[str, Counter] = defaultdict(Counter)
    for (half, language, _), (code, _) in zip(docs, found, strict=True):
        expected = SAME.get(language, language)
        t = totals[half]
        if expected in covered:
            t["covered"] += 1
            t["covered_right"] += code == expected
            t["covered_und"] += code == UNDETERMINED
        else:
            t["uncovered"] += 1
            t["uncovered_und"] += code == UNDETERMINED
        if code != expected and not (expected not in covered and code == UNDETERMINED) and half == "report":
            errors[language][code] += 1
    print(f"{len(docs)} documents, {per_document_ms:.2f} ms per document (detection alone)\n")
    print("| half | covered docs | covered accuracy | covered as und | uncovered docs | uncovered und |")
    print("|---|---:|---:|---:|---:|---:|")
    for half in ("tune", "report"):
        t = totals[half]
        print(
            f"| {half} | {t['covered']} | {t['covered_right'] / t['covered']:.3f} | {t['covered_und'] / t['covered']:.3f} "
            f"| {t['uncovered']} | {t['uncovered_und'] / t['uncovered']:.3f} |"
        )
    if arguments.errors:
        print()
        for language in sorted(errors):
            print(language, dict(errors[language].most_common()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
