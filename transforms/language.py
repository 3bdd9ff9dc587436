"""Language identification with langdetect, made deterministic and bounded."""

from __future__ import annotations

import functools
import math
import random
import re
import sys

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
        return self.detect_many([text])[0]

    def detect_many(self, texts: list[str]) -> list[tuple[str, float]]:
        """`detect` for each text; the texts' langdetect trials run side by side (same answers)."""
        results: list[tuple[str, float]] = [(UNDETERMINED, 0.0)] * len(texts)
        detectors: dict[int, FastDetector] = {}
        _gram_table(id(self._factory), self._factory).bound()  # before any text takes rows in it
        for index, text in enumerate(texts):
            sample = _URL.sub(" ", text[: self.max_chars])
            if _has_letters(sample, self.min_letters):
                detector = FastDetector(self._factory)
                detector.append(sample)
                if detector.prepare():  # else langdetect finds no features: undetermined
                    detectors[index] = detector
        _run_trials(list(detectors.values()))
        for index, detector in detectors.items():
            best = detector.get_probabilities()[0]
            code = best.lang.split("-")[0]  # zh-cn / zh-tw → zh
            probability = round(float(best.prob), 4)
            results[index] = (UNDETERMINED, probability) if probability < self.min_confidence else (code, probability)
        return results


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

    def prepare(self) -> bool:
        """Clean the text and extract its n-grams (as rows of the n-gram table): what comes
        before the trials. False when there are none (langdetect: 'No features in text')."""
        self.cleaning_text()
        self.ngram_rows = np.array(self._extract_ngram_ids(), dtype=np.intp)
        return len(self.ngram_rows) > 0

    def _detect_block(self) -> None:
        self._grams.bound()
        if not self.prepare():
            raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
        _run_trials([self])

    def _trials_one_draw_at_a_time(self) -> list[float]:
        """langdetect's trials drawing from `self.random` as it does, for any seed and length."""
        ids = self.ngram_rows.tolist()
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


# Draws read ahead when a trial starts (the first, then five per convergence check); a trial
# that converges later reads further, up to langdetect's limit of 1,000 updates.
_READ_AHEAD = 1 + _CHECK_EVERY * 16
_MOST_DRAWS = 1 + 1000 + _CHECK_EVERY
# Below this many texts still in trials, finishing them one by one is cheaper than a step.
_FEW = 8
# Python's built-in sum() of floats adds left to right until 3.12, which compensates: the
# sequential prefix sum (add.accumulate) is the same additions in the same order only before.
_SEQUENTIAL_SUM = sys.version_info < (3, 12)


def _run_trials(detectors: list[FastDetector]) -> None:
    """Set each prepared detector's `langprob`: langdetect's seven trials, for all at once.

    What langdetect does one text and one random draw at a time is done here for every text in
    step: each step normalises the probability vector of every text still in a trial, checks its
    convergence, and multiplies the next five draws' factors into the others, as NumPy operations
    over all texts; the last few texts finish one by one. Per text the operations and their order
    are langdetect's, so are the answers. The random draws come from the seeded stream read ahead
    (`_random_words`): `random.choice(ngrams)` is `ngrams[random._randbelow(n)]`, the first
    32-bit word shifted down to n's bit length that is below n; `random.gauss` takes four words
    when it keeps no value from the call before, and computes as CPython does. A text that
    outruns the stream (or has no integer seed) goes through `_trials_one_draw_at_a_time`.
    """
    if not detectors:
        return
    first = detectors[0]
    count, size = len(detectors), len(first.langlist)
    words = _random_words(first.seed) if isinstance(first.seed, int) else np.zeros(0, dtype=np.int64)
    table = first._grams.matrix  # every n-gram row of every text is in it by now
    initial = np.array(first._init_probability(), dtype=np.float64)
    n_trial, threshold, limit = first.n_trial, first.CONV_THRESHOLD, first.ITERATION_LIMIT
    rows = np.zeros((count, _READ_AHEAD), dtype=np.intp)  # n-gram rows of each trial's draws
    available = np.zeros(count, dtype=np.intp)  # draws read ahead in the trial
    weight = np.zeros(count)
    prob = np.zeros((count, size))
    langprob = np.zeros((count, size))
    used = np.zeros(count, dtype=np.intp)  # draws multiplied in so far in the trial
    steps = np.zeros(count, dtype=np.intp)  # langdetect's i
    active = np.zeros(count, dtype=bool)
    # per text: raw words consumed (at the trial's start, then at its end), the gaussian kept
    # for the next trial, trials done, each draw's word offset
    position, gauss_next, trials = [0] * count, [None] * count, [0] * count
    offsets: list[np.ndarray] = [np.zeros(0, dtype=np.intp)] * count
    step_by_step: list[int] = []

    def read_ahead(d: int, number: int) -> bool:
        nonlocal rows
        found = _draws(words, position[d], number, len(detectors[d].ngram_rows))
        if found is None:
            active[d] = False
            step_by_step.append(d)
            return False
        drawn, offsets[d] = found
        if number > rows.shape[1]:
            rows = np.concatenate([rows, np.zeros((count, number - rows.shape[1]), dtype=np.intp)], axis=1)
        rows[d, :number] = detectors[d].ngram_rows[drawn]
        available[d] = number
        return True

    def start_trial(d: int) -> None:
        detector = detectors[d]
        z, gauss_next[d] = gauss_next[d], None
        if z is None:
            if position[d] + 4 > len(words):
                step_by_step.append(d)
                return
            a, b, c, e = words[position[d] : position[d] + 4].tolist()
            position[d] += 4
            x2pi = ((a >> 5) * 67108864.0 + (b >> 6)) * (1.0 / 9007199254740992.0) * _TWO_PI
            second = ((c >> 5) * 67108864.0 + (e >> 6)) * (1.0 / 9007199254740992.0)
            g2rad = math.sqrt(-2.0 * math.log(1.0 - second))
            z, gauss_next[d] = math.cos(x2pi) * g2rad, math.sin(x2pi) * g2rad
        alpha = detector.alpha + (0.0 + z * 1.0) * detector.ALPHA_WIDTH
        weight[d] = alpha / detector.BASE_FREQ
        if read_ahead(d, _READ_AHEAD):
            prob[d] = initial * (weight[d] + table[rows[d, 0]])
            used[d], steps[d], active[d] = 1, 0, True

    def end_trial(d: int) -> None:
        langprob[d] += prob[d] / n_trial
        trials[d] += 1
        position[d] = int(offsets[d][used[d] - 1]) + 1
        active[d] = False
        if trials[d] < n_trial:
            start_trial(d)

    def make_room(d: int) -> bool:
        """Read further ahead when the trial's next five draws are not read yet."""
        if used[d] + _CHECK_EVERY <= available[d]:
            return True
        return read_ahead(d, min(2 * available[d], _MOST_DRAWS))

    for d in range(count):
        start_trial(d)
    while True:
        live = np.flatnonzero(active)
        if live.size < _FEW:
            break
        current = prob[live]
        if _SEQUENTIAL_SUM:
            totals = np.add.accumulate(current, axis=1)[:, -1]
        else:
            totals = np.array([sum(row) for row in current.tolist()])
        largest = current.max(axis=1)
        prob[live] = current / totals[:, None]
        # dividing by a positive number keeps the order: the largest quotient is this one
        converged = (largest / totals > threshold) | (steps[live] >= limit)
        for d in live[converged].tolist():
            end_trial(d)
        going = live[~converged]
        short = going[used[going] + _CHECK_EVERY > available[going]]
        if short.size:
            for d in short.tolist():
                make_room(d)
            going = going[active[going]]
        if going.size:
            current, first_draw, factor_weight = prob[going], used[going], weight[going, None]
            for k in range(_CHECK_EVERY):  # prob * (w + v1) * (w + v2) …, in langdetect's order
                current = current * (factor_weight + table[rows[going, first_draw + k]])
            prob[going] = current
            used[going] += _CHECK_EVERY
            steps[going] += _CHECK_EVERY
    block = np.empty((_CHECK_EVERY + 1, size))
    for d in np.flatnonzero(active).tolist():  # the last few, one at a time
        while active[d]:
            values = prob[d].tolist()
            total = sum(values)  # the built-in sum: langdetect's additions, in any Python
            prob[d] /= total
            if max(values) / total > threshold or steps[d] >= limit:
                end_trial(d)
                continue
            if not make_room(d):
                break
            start_at = used[d]
            block[0] = prob[d]
            block[1:] = weight[d] + table[rows[d, start_at : start_at + _CHECK_EVERY]]
            np.multiply.accumulate(block, axis=0, out=block)  # sequential, as the loop
            prob[d] = block[_CHECK_EVERY]
            used[d] += _CHECK_EVERY
            steps[d] += _CHECK_EVERY
    for d, detector in enumerate(detectors):
        detector.langprob = langprob[d].tolist()
    for d in step_by_step:
        detectors[d].langprob = detectors[d]._trials_one_draw_at_a_time()


def _draws(words: np.ndarray, start: int, count: int, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The next `count` values of `random._randbelow(n)` from word `start`: (values, word offsets);
    None when `words` runs out first."""
    shift = 32 - n.bit_length()
    window = 2 * count + 64
    while True:
        candidates = words[start : start + window] >> shift
        accepted = np.flatnonzero(candidates < n)[:count]
        if len(accepted) == count:
            return candidates[accepted], accepted + start
        if start + window >= len(words):
            return None
        window *= 2


class _GramTable:
    """Per profile set: n-gram → row of `matrix` (its probability vector), and the n-gram ids
    of each (word, followed by space) met so far."""

    def __init__(self, probabilities: dict[str, list[float]], size: int):
        self._probabilities = probabilities
        self._size = size
        self.clear()

    def bound(self) -> None:
        """Start afresh past 200,000 words: a long run meets ever more rare ones. Only between
        detections: the rows handed out so far stop meaning anything."""
        if len(self.words) > 200_000:
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
    results = detector.detect_many(documents.get_column("text").to_list())
    return documents.with_columns(
        pl.Series("language", [code for code, _ in results], dtype=pl.String),
        pl.Series("language_confidence", [p for _, p in results], dtype=pl.Float64),
    )
