"""Language identification with langdetect, made deterministic and bounded."""

from __future__ import annotations

import functools
import re

import numpy as np
import polars as pl
from langdetect import DetectorFactory
from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY
from langdetect.lang_detect_exception import ErrorCode, LangDetectException
from langdetect.utils.ngram import NGram

UNDETERMINED = "und"
_URL = re.compile(r"https?://\S+")


class LanguageDetector:
    """A seeded langdetect detector: the same text always gets the same answer.

    `max_chars` bounds the cost per document (langdetect is linear in the text it reads);
    `min_confidence` and `min_letters` decide when the answer is `und` instead of a guess.
    """

    def __init__(self, *, seed: int = 0, max_chars: int = 2000, min_confidence: float = 0.70, min_letters: int = 10):
        self._factory = _factory(seed)
        self.seed = seed
        self.max_chars = max_chars
        self.min_confidence = min_confidence
        self.min_letters = min_letters

    def __reduce__(self):
        # Sent to worker processes as its settings; the language profiles load once per process.
        return _rebuild_detector, (self.seed, self.max_chars, self.min_confidence, self.min_letters)

    def detect(self, text: str) -> tuple[str, float]:
        """Return `(ISO 639-1 code or 'und', probability of that code)`."""
        sample = _URL.sub(" ", text[: self.max_chars])
        if not _has_letters(sample, self.min_letters):
            return UNDETERMINED, 0.0
        detector = FastDetector(self._factory)
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


_normalise_character = functools.lru_cache(maxsize=65536)(NGram.normalize)
_SPACE_RUNS = re.compile(" {2,}")
_CHECK_EVERY = 5  # Detector._detect_block tests convergence when i % 5 == 0
_ASCII_A_TO_Z = re.compile("[A-z]")  # 'A' <= ch <= 'z', as langdetect tests it (with [\\]^_`)
_FROM_U0300 = re.compile("[\u0300-\U0010ffff]")


def _has_letters(text: str, minimum: int) -> bool:
    """Whether `text` has at least `minimum` alphabetic characters (stops as soon as it knows)."""
    count = 0
    for character in text:
        if character.isalpha():
            count += 1
            if count >= minimum:
                return True
    return minimum <= 0


class FastDetector(Detector):
    """langdetect's `Detector` with its two hot loops rewritten: n-gram extraction with the
    character normalisation memoised, and the probability updates on NumPy vectors.

    Every floating-point operation is the one langdetect performs, in the same order, on the same
    random stream, so the answers (languages and probabilities) are identical bit for bit;
    tests/test_language.py compares the two.
    """

    def __init__(self, factory: DetectorFactory):
        super().__init__(factory)
        self._vectors, self._words = _caches(id(factory), factory)

    def append(self, text: str) -> None:
        # Detector.append: the same substitutions, then runs of spaces collapsed (its char loop).
        text = self.URL_RE.sub(" ", text)
        text = self.MAIL_RE.sub(" ", text)
        text = NGram.normalize_vi(text)
        self.text += _SPACE_RUNS.sub(" ", text[: self.max_text_length])

    def cleaning_text(self) -> None:
        # Detector.cleaning_text, counted by regular expressions. (Its test against the name
        # 'Latin Extended Additional' compares a block number with a string, so never excludes
        # that block: every character from U+0300 counts as non-Latin, here too.)
        latin = len(_ASCII_A_TO_Z.findall(self.text))
        non_latin = len(_FROM_U0300.findall(self.text))
        if latin * 2 < non_latin:
            self.text = _ASCII_A_TO_Z.sub("", self.text)

    def _extract_ngrams(self) -> list[str]:
        # langdetect's n-gram buffer starts afresh after every space, so the n-grams of a text
        # are those of its space-separated words, each computed once per process.
        normalised = "".join(map(_normalise_character, self.text)).split(" ")
        last = len(normalised) - 1
        known, memo = self.word_lang_prob_map, self._words
        if len(memo) > 200_000:  # bounded: a long run meets ever more rare words
            memo.clear()
        result = []
        for index, word in enumerate(normalised):
            if word:
                key = (word, index < last)
                grams = memo.get(key)
                if grams is None:
                    grams = memo[key] = _word_ngrams(word, index < last, known)
                result.extend(grams)
        return result

    def _detect_block(self) -> None:
        self.cleaning_text()
        ngrams = self._extract_ngrams()
        if not ngrams:
            raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
        size = len(self.langlist)
        langprob = np.zeros(size)
        # random.choice(seq) is seq[random._randbelow(len(seq))]: the same draws, one call less
        randbelow, vector, n_grams = self.random._randbelow, self._vector, len(ngrams)
        rows = np.empty((_CHECK_EVERY + 1, size))
        self.random.seed(self.seed)
        for _ in range(self.n_trial):
            prob = np.array(self._init_probability(), dtype=np.float64)
            alpha = self.alpha + self.random.gauss(0.0, 1.0) * self.ALPHA_WIDTH
            weight = alpha / self.BASE_FREQ
            prob *= weight + vector(ngrams[randbelow(n_grams)])
            i = 0
            while True:  # convergence is checked after update 0, then after every fifth
                prob /= sum(prob.tolist())  # the built-in sum: same order of additions
                if prob.max() > self.CONV_THRESHOLD or i >= self.ITERATION_LIMIT:
                    break
                # the next five updates at once: prob * (w + v1) * (w + v2) …, multiplied in
                # that order (accumulate is sequential), so each element rounds as in the loop
                rows[0] = prob
                for row in range(1, _CHECK_EVERY + 1):
                    rows[row] = vector(ngrams[randbelow(n_grams)])
                rows[1:] += weight
                np.multiply.accumulate(rows, axis=0, out=rows)
                prob = rows[_CHECK_EVERY].copy()
                i += _CHECK_EVERY
            langprob += prob / self.n_trial
        self.langprob = langprob.tolist()

    def _vector(self, gram: str) -> np.ndarray:
        vector = self._vectors.get(gram)
        if vector is None:
            vector = self._vectors[gram] = np.array(self.word_lang_prob_map[gram], dtype=np.float64)
        return vector


def _word_ngrams(word: str, followed_by_space: bool, known: dict) -> tuple[str, ...]:
    """The n-grams langdetect's `NGram.add_char` loop yields for one word (normalised, no spaces)."""
    result = []
    grams, capital = " ", False
    for character in word + " " if followed_by_space else word:
        last = grams[-1]
        if last == " ":
            grams, capital = " ", False
        elif len(grams) >= NGram.N_GRAM:
            grams = grams[1:]
        grams += character
        if character.isupper():
            if last.isupper():
                capital = True
        else:
            capital = False
        if capital:
            continue
        for n in range(1, NGram.N_GRAM + 1):
            if len(grams) < n:
                break
            gram = grams[-n:]
            if gram != " " and gram in known:
                result.append(gram)
    return tuple(result)


@functools.lru_cache(maxsize=4)
def _caches(factory_id: int, factory: DetectorFactory) -> tuple[dict[str, np.ndarray], dict[tuple[str, bool], tuple]]:
    """Per profile set: n-gram → probability vector, and (word, followed by space) → n-grams."""
    return {}, {}


@functools.lru_cache(maxsize=4)
def _factory(seed: int) -> DetectorFactory:
    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.set_seed(seed)
    return factory


def _rebuild_detector(seed: int, max_chars: int, min_confidence: float, min_letters: int) -> LanguageDetector:
    return LanguageDetector(seed=seed, max_chars=max_chars, min_confidence=min_confidence, min_letters=min_letters)


def detect_languages(documents: pl.DataFrame, detector: LanguageDetector) -> pl.DataFrame:
    """Add `language` and `language_confidence` to a frame with a `text` column."""
    results = [detector.detect(text) for text in documents.get_column("text").to_list()]
    return documents.with_columns(
        pl.Series("language", [code for code, _ in results], dtype=pl.String),
        pl.Series("language_confidence", [p for _, p in results], dtype=pl.Float64),
    )
