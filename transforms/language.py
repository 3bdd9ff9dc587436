"""Language identification with langdetect, made deterministic and bounded."""

from __future__ import annotations

import functools
import math
import random
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
        self._grams = _gram_table(id(factory), factory)

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

    def _extract_ngram_ids(self) -> list[int]:
        # langdetect's n-gram buffer starts afresh after every space, so the n-grams of a text
        # are those of its space-separated words, each computed once per process.
        normalised = "".join(map(_normalise_character, self.text)).split(" ")
        last = len(normalised) - 1
        grams = self._grams
        if len(grams.words) > 200_000:  # bounded: a long run meets ever more rare words
            grams.clear()
        known, memo = self.word_lang_prob_map, grams.words
        result: list[int] = []
        for index, word in enumerate(normalised):
            if word:
                key = (word, index < last)
                ids = memo.get(key)
                if ids is None:
                    ids = memo[key] = tuple(map(grams.id, _word_ngrams(word, index < last, known)))
                result.extend(ids)
        return result

    def _detect_block(self) -> None:
        self.cleaning_text()
        ids = self._extract_ngram_ids()
        if not ids:
            raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
        langprob = None
        if isinstance(self.seed, int):
            langprob = self._trials(np.array(ids, dtype=np.intp), _random_words(self.seed))
        if langprob is None:  # no seed, or a text that outran the precomputed random words
            langprob = self._trials_one_draw_at_a_time(ids)
        self.langprob = langprob

    def _trials(self, ids: np.ndarray, words: np.ndarray) -> list[float] | None:
        """langdetect's trials with the random draws read ahead from `words`, the seeded stream.

        `random.choice(ngrams)` is `ngrams[random._randbelow(n)]`: 32-bit words shifted down to
        n's bit length, the first below n taken. `random.gauss` takes four words when it has no
        value kept from the call before, as CPython computes it. Each trial then multiplies the
        draws' probability vectors in, five at a time between normalisations, as before.
        Returns None when `words` runs out."""
        n = len(ids)
        shift = 32 - n.bit_length()
        table = self._grams.matrix
        size = len(self.langlist)
        langprob = np.zeros(size)
        position, gauss_next = 0, None

        def draws(start: int, count: int) -> tuple[np.ndarray, np.ndarray] | None:
            """The next `count` accepted draws from word `start`: (n-gram indices, word offsets)."""
            window = 2 * count + 64
            while True:
                candidates = words[start : start + window] >> shift
                offsets = np.flatnonzero(candidates < n)[:count]
                if len(offsets) == count:
                    return candidates[offsets], offsets + start
                if start + window >= len(words):
                    return None
                window *= 2

        for _ in range(self.n_trial):
            z, gauss_next = gauss_next, None
            if z is None:
                if position + 4 > len(words):
                    return None
                a, b, c, d = words[position : position + 4].tolist()
                position += 4
                first = ((a >> 5) * 67108864.0 + (b >> 6)) * (1.0 / 9007199254740992.0)
                second = ((c >> 5) * 67108864.0 + (d >> 6)) * (1.0 / 9007199254740992.0)
                x2pi = first * _TWO_PI
                g2rad = math.sqrt(-2.0 * math.log(1.0 - second))
                z, gauss_next = math.cos(x2pi) * g2rad, math.sin(x2pi) * g2rad
            alpha = self.alpha + (0.0 + z * 1.0) * self.ALPHA_WIDTH
            weight = alpha / self.BASE_FREQ
            found = draws(position, 1 + 8 * _CHECK_EVERY)
            if found is None:
                return None
            drawn, offsets = found
            # one row per draw: weight + its n-gram's probabilities. Each row, once multiplied
            # in, is free: it takes the running product (normalised at each check), and
            # accumulate multiplies the next five into it in order, so every element rounds as
            # in langdetect's loop
            factors = weight + table[ids[drawn]]
            np.multiply(np.array(self._init_probability(), dtype=np.float64), factors[0], out=factors[0])
            used, i = 1, 0
            while True:  # convergence is checked after update 0, then after every fifth
                prob = factors[used - 1]
                values = prob.tolist()
                total = sum(values)  # the built-in sum: same order of additions
                np.divide(prob, total, out=prob)
                # dividing by a positive number keeps the order: the largest quotient is this one
                if max(values) / total > self.CONV_THRESHOLD or i >= self.ITERATION_LIMIT:
                    break
                if used + _CHECK_EVERY > len(factors):
                    found = draws(int(offsets[-1]) + 1, 16 * _CHECK_EVERY)
                    if found is None:
                        return None
                    drawn, more = found
                    offsets = np.concatenate([offsets, more])
                    factors = np.concatenate([factors, weight + table[ids[drawn]]])
                block = factors[used - 1 : used + _CHECK_EVERY]
                np.multiply.accumulate(block, axis=0, out=block)
                used += _CHECK_EVERY
                i += _CHECK_EVERY
            position = int(offsets[used - 1]) + 1
            langprob += prob / self.n_trial
        return langprob.tolist()

    def _trials_one_draw_at_a_time(self, ids: list[int]) -> list[float]:
        """langdetect's trials drawing from `self.random` as it does, for any seed and length."""
        table = self._grams.matrix
        size = len(self.langlist)
        langprob = np.zeros(size)
        # random.choice(seq) is seq[random._randbelow(len(seq))]: the same draws, one call less
        randbelow, n_grams = self.random._randbelow, len(ids)
        rows = np.empty((_CHECK_EVERY + 1, size))
        self.random.seed(self.seed)
        for _ in range(self.n_trial):
            prob = np.array(self._init_probability(), dtype=np.float64)
            alpha = self.alpha + self.random.gauss(0.0, 1.0) * self.ALPHA_WIDTH
            weight = alpha / self.BASE_FREQ
            prob *= weight + table[ids[randbelow(n_grams)]]
            i = 0
            while True:
                prob /= sum(prob.tolist())
                if prob.max() > self.CONV_THRESHOLD or i >= self.ITERATION_LIMIT:
                    break
                rows[0] = prob
                for row in range(1, _CHECK_EVERY + 1):
                    rows[row] = table[ids[randbelow(n_grams)]]
                rows[1:] += weight
                np.multiply.accumulate(rows, axis=0, out=rows)
                prob = rows[_CHECK_EVERY].copy()
                i += _CHECK_EVERY
            langprob += prob / self.n_trial
        return langprob.tolist()


class _GramTable:
    """Per profile set: n-gram → row of `matrix` (its probability vector), and the n-gram ids
    of each (word, followed by space) met so far."""

    def __init__(self, probabilities: dict[str, list[float]], size: int):
        self._probabilities = probabilities
        self._size = size
        self.clear()

    def clear(self) -> None:
        self.ids: dict[str, int] = {}
        self.words: dict[tuple[str, bool], tuple[int, ...]] = {}
        self.matrix = np.empty((4096, self._size))

    def id(self, gram: str) -> int:
        found = self.ids.get(gram)
        if found is None:
            found = self.ids[gram] = len(self.ids)
            if found == len(self.matrix):
                self.matrix = np.concatenate([self.matrix, np.empty_like(self.matrix)])
            self.matrix[found] = self._probabilities[gram]
        return found


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
def _gram_table(factory_id: int, factory: DetectorFactory) -> _GramTable:
    return _GramTable(factory.word_lang_prob_map, len(factory.langlist))


# Enough words for seven trials of langdetect's 1,000-update limit many times over.
_STREAM_WORDS = 1 << 17
_TWO_PI = 2.0 * math.pi


@functools.lru_cache(maxsize=4)
def _random_words(seed: int) -> np.ndarray:
    """The 32-bit words `random.Random(seed)` hands out, in order (`randbytes` is them, little-endian)."""
    return np.frombuffer(random.Random(seed).randbytes(4 * _STREAM_WORDS), dtype="<u4").astype(np.int64)


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
