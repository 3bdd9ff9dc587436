"""Language identification with langdetect, made deterministic and bounded."""

from __future__ import annotations

import re

import polars as pl

from transforms.langdetect_fast import load_detector

UNDETERMINED = "und"
_URL = re.compile(r"https?://\S+")


class LanguageDetector:
    """A seeded langdetect detector: the same text always gets the same answer.

    `max_chars` bounds the cost per document (langdetect is linear in the text it reads);
    `min_confidence` and `min_letters` decide when the answer is `und` instead of a guess.
    """

    def __init__(self, *, seed: int = 0, max_chars: int = 2000, min_confidence: float = 0.70, min_letters: int = 10):
        self._langdetect = load_detector(seed)
        self.seed = seed
        self.max_chars = max_chars
        self.min_confidence = min_confidence
        self.min_letters = min_letters

    def __reduce__(self):
        # Sent to worker processes as its settings; the language profiles load once per process.
        return _rebuild_detector, (self.seed, self.max_chars, self.min_confidence, self.min_letters)

    def detect(self, text: str) -> tuple[str, float]:
        """Return `(ISO 639-1 code or 'und', probability of that code)`."""
        return self.detect_many([text])[0]

    def detect_many(self, texts: list[str]) -> list[tuple[str, float]]:
        """`detect` for each text; langdetect runs on them side by side (same answers)."""
        results: list[tuple[str, float]] = [(UNDETERMINED, 0.0)] * len(texts)
        samples = [_URL.sub(" ", text[: self.max_chars]) for text in texts]
        chosen = [index for index, sample in enumerate(samples) if _has_letters(sample, self.min_letters)]
        found = self._langdetect.probabilities([samples[index] for index in chosen])
        for index, probabilities in zip(chosen, found, strict=True):
            if probabilities:  # else langdetect finds no n-gram it knows: undetermined
                language, probability = probabilities[0][0], round(probabilities[0][1], 4)
                code = language.split("-")[0] if probability >= self.min_confidence else UNDETERMINED  # zh-cn → zh
                results[index] = (code, probability)
        return results


def preload_profiles(seed: int = 0) -> None:
    """Load langdetect's profiles for `seed` into this process (a fork server does, once for all
    its workers), so that detectors made here or in forked children start without reading them."""
    load_detector(seed)


def _has_letters(text: str, minimum: int) -> bool:
    """Whether `text` has at least `minimum` alphabetic characters (stops as soon as it knows)."""
    count = 0
    for character in text:
        if character.isalpha():
            count += 1
            if count >= minimum:
                return True
    return minimum <= 0


def _rebuild_detector(seed: int, max_chars: int, min_confidence: float, min_letters: int) -> LanguageDetector:
    return LanguageDetector(seed=seed, max_chars=max_chars, min_confidence=min_confidence, min_letters=min_letters)


def detect_languages(documents: pl.DataFrame, detector: LanguageDetector) -> pl.DataFrame:
    """Add `language` and `language_confidence` to a frame with a `text` column."""
    results = detector.detect_many(documents.get_column("text").to_list())
    return documents.with_columns(
        pl.Series("language", [code for code, _ in results], dtype=pl.String),
        pl.Series("language_confidence", [p for _, p in results], dtype=pl.Float64),
    )
