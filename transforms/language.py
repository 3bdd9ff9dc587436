"""Language identification with langdetect, made deterministic and bounded."""

from __future__ import annotations

import re

import polars as pl
from langdetect import DetectorFactory
from langdetect.detector_factory import PROFILES_DIRECTORY
from langdetect.lang_detect_exception import LangDetectException

UNDETERMINED = "und"
_URL = re.compile(r"https?://\S+")


class LanguageDetector:
    """A seeded langdetect detector: the same text always gets the same answer.

    `max_chars` bounds the cost per document (langdetect is linear in the text it reads);
    `min_confidence` and `min_letters` decide when the answer is `und` instead of a guess.
    """

    def __init__(self, *, seed: int = 0, max_chars: int = 2000, min_confidence: float = 0.70, min_letters: int = 10):
        self._factory = DetectorFactory()
        self._factory.load_profile(PROFILES_DIRECTORY)
        self._factory.set_seed(seed)
        self.max_chars = max_chars
        self.min_confidence = min_confidence
        self.min_letters = min_letters

    def detect(self, text: str) -> tuple[str, float]:
        """Return `(ISO 639-1 code or 'und', probability of that code)`."""
        sample = _URL.sub(" ", text[: self.max_chars])
        if sum(character.isalpha() for character in sample) < self.min_letters:
            return UNDETERMINED, 0.0
        detector = self._factory.create()
        detector.append(sample)
        try:
            best = detector.get_probabilities()[0]
        except (LangDetectException, IndexError):
            return UNDETERMINED, 0.0
        code = best.lang.split("-")[0]  # zh-cn / zh-tw → zh
        probability = round(float(best.prob), 4)
        if probability < self.min_confidence:
            return UNDETERMINED, probability
        return code, probability


def detect_languages(documents: pl.DataFrame, detector: LanguageDetector) -> pl.DataFrame:
    """Add `language` and `language_confidence` to a frame with a `text` column."""
    results = [detector.detect(text) for text in documents.get_column("text").to_list()]
    return documents.with_columns(
        pl.Series("language", [code for code, _ in results], dtype=pl.String),
        pl.Series("language_confidence", [p for _, p in results], dtype=pl.Float64),
    )
