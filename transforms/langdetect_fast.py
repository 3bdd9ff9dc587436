"""langdetect 1.0.9's `Detector`, reproduced bit for bit at NumPy speed, for many texts at once.

langdetect reads a text's character n-grams, then runs seven trials, each multiplying a vector of
55 language probabilities by the profile vectors of n-grams drawn at random from the text (up to
1,001 draws a trial), in pure Python. This module does the same floating-point operations in the
same order on the same random stream, over NumPy arrays and for a batch of texts side by side, so
its answers (languages and probabilities) are langdetect's exactly, several times sooner (most
when the same words come back). Use: `load_detector(seed).probabilities(texts)`.

Exactness rests on internals, which is why all of it lives here and nowhere else:

- of langdetect 1.0.9 (pinned `langdetect==1.0.9` in requirements.in): the algorithm of
  `Detector.append`, `cleaning_text`, `_extract_ngrams` (with `NGram.add_char`'s buffer rules),
  `_detect_block`, `_update_lang_prob`, `_normalize_prob` and `_sort_probability`; the settings
  `Detector.__init__` sets (`n_trial`, `alpha`, `max_text_length`, read from a fresh detector
  here); its class constants; `DetectorFactory.word_lang_prob_map` and `langlist`; and a quirk:
  `cleaning_text` compares `unicode_block(ch)`, a number, with a block *name*, so every character
  from U+0300 counts as non-Latin;
- of CPython 3.11's `random` (the import fails on any other Python): `choice(seq)` is
  `seq[_randbelow(len(seq))]`, which takes the top `len(seq).bit_length()` bits of the next 32-bit
  Mersenne Twister word until they are below `len(seq)`; `gauss` makes values in pairs from two
  `random()` calls of two words each, and `seed` forgets the kept one; `randbytes` hands out the
  words in order, little-endian; and the built-in `sum` of floats adds left to right (3.12 made it
  compensated).

tests/test_langdetect_fast.py is the guard: it checks the pinned version and these internals, and
compares this module with the real langdetect on fixed and on generated multilingual text, so an
upgrade of either fails there first. Re-verify all of the above before moving the pin.
"""

from __future__ import annotations

import functools
import math
import random
import re
import sys
from collections.abc import Sequence

import numpy as np
from langdetect import DetectorFactory
from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY
from langdetect.utils.ngram import NGram

if sys.version_info[:2] != (3, 11):
    raise ImportError(
        "transforms.langdetect_fast reproduces langdetect on CPython 3.11's random module and float sum(); "
        f"this is Python {sys.version_info.major}.{sys.version_info.minor}: re-verify it before use"
    )

_normalise_character = functools.lru_cache(maxsize=65536)(NGram.normalize)
_ASCII_A_TO_Z = re.compile("[A-z]")  # 'A' <= ch <= 'z', as langdetect tests it (with [\\]^_`)
_FROM_U0300 = re.compile("[\u0300-\U0010ffff]")

_CHECK_EVERY = 5  # Detector._detect_block tests convergence when i % 5 == 0
# Draws read ahead when a trial starts (the first, then five per convergence check); a trial
# that converges later reads further, up to langdetect's limit of 1,000 updates after the first.
_READ_AHEAD = 1 + _CHECK_EVERY * 16
_MOST_DRAWS = 1 + Detector.ITERATION_LIMIT + _CHECK_EVERY
# Below this many texts still in trials, finishing them one by one is cheaper than a step.
_FEW = 8
_TWO_PI = 2.0 * math.pi


@functools.lru_cache(maxsize=4)
def load_detector(seed: int) -> FastDetector:
    """The detector for `seed`, made once per process (reading the profiles takes about a second)."""
    return FastDetector(seed)


class FastDetector:
    """langdetect with its bundled profiles and a fixed seed, for batches of texts."""

    def __init__(self, seed: int):
        self.factory = DetectorFactory()
        self.factory.load_profile(PROFILES_DIRECTORY)
        self.factory.set_seed(seed)
        self.languages: tuple[str, ...] = tuple(self.factory.langlist)
        defaults = self.factory.create()  # the settings langdetect's detectors start with
        self._trials, self._alpha, self._max_text_length = defaults.n_trial, defaults.alpha, defaults.max_text_length
        self._grams = _GramTable(self.factory.word_lang_prob_map, len(self.languages))
        self._words = _random_words(seed, self._trials)

    def probabilities(self, texts: Sequence[str]) -> list[list[tuple[str, float]]]:
        """For each text, what `detector.get_probabilities()` of a langdetect detector made by
        `self.factory` answers after `detector.append(text)`, as (language, probability) pairs: the
        languages above 0.1, most probable first. [] where langdetect finds no n-gram it knows
        (it raises 'No features in text')."""
        self._grams.bound()  # before any text takes rows in it
        rows = [self._ngram_rows(text) for text in texts]
        featured = [index for index, found in enumerate(rows) if len(found)]
        results: list[list[tuple[str, float]]] = [[] for _ in texts]
        langprob = self._run_trials([rows[index] for index in featured])
        for index, vector in zip(featured, langprob.tolist(), strict=True):
            pairs = zip(self.languages, vector, strict=True)
            found = [pair for pair in pairs if pair[1] > Detector.PROB_THRESHOLD]
            found.sort(key=lambda pair: pair[1], reverse=True)  # stable, as langdetect's sort
            results[index] = found
        return results

    def _ngram_rows(self, text: str) -> np.ndarray:
        """The rows in the n-gram table of the n-grams langdetect draws from for `text`."""
        # Detector.append: the same substitutions and cut. (Its loop also collapses runs of spaces,
        # which changes no n-gram: the n-gram buffer ignores a space after a space.)
        text = Detector.URL_RE.sub(" ", text)
        text = Detector.MAIL_RE.sub(" ", text)
        text = NGram.normalize_vi(text)[: self._max_text_length]
        # Detector.cleaning_text, counted by regular expressions
        if len(_ASCII_A_TO_Z.findall(text)) * 2 < len(_FROM_U0300.findall(text)):
            text = _ASCII_A_TO_Z.sub("", text)
        # Detector._extract_ngrams: the n-gram buffer starts afresh after every space, so the
        # n-grams of a text are those of its space-separated words, each computed once per process.
        normalised = "".join(map(_normalise_character, text)).split(" ")
        last = len(normalised) - 1
        grams = self._grams
        known, memo = self.factory.word_lang_prob_map, grams.words
        result: list[int] = []
        for index, word in enumerate(normalised):
            if word:
                key = (word, index < last)
                ids = memo.get(key)
                if ids is None:
                    ids = memo[key] = tuple(map(grams.id, _word_ngrams(word, index < last, known)))
                result.extend(ids)
        return np.array(result, dtype=np.intp)

    def _run_trials(self, texts: list[np.ndarray]) -> np.ndarray:
        """langdetect's trials for texts given as n-gram rows: each text's `langprob`, one a row.

        What langdetect does one text and one random draw at a time is done here for every text in
        step: each step normalises the probability vector of every text still in a trial, checks
        its convergence, and multiplies the next five draws' factors into the others, as NumPy
        operations over all texts; the last few texts finish one by one. Per text the operations
        and their order are langdetect's, so are the answers. The random draws come from the seeded
        stream read ahead (`_draws`); `random.gauss` takes four words when it keeps no value from
        the call before, and computes as CPython does.
        """
        count, size = len(texts), len(self.languages)
        words, table, n_trial = self._words, self._grams.matrix, self._trials
        initial = np.full(size, 1.0 / size)  # Detector._init_probability
        threshold, limit = Detector.CONV_THRESHOLD, Detector.ITERATION_LIMIT
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

        def read_ahead(d: int, number: int) -> None:
            nonlocal rows
            drawn, offsets[d] = _draws(words, position[d], number, len(texts[d]))
            if number > rows.shape[1]:
                rows = np.concatenate([rows, np.zeros((count, number - rows.shape[1]), dtype=np.intp)], axis=1)
            rows[d, :number] = texts[d][drawn]
            available[d] = number

        def start_trial(d: int) -> None:
            z, gauss_next[d] = gauss_next[d], None
            if z is None:
                a, b, c, e = words[position[d] : position[d] + 4].tolist()
                position[d] += 4
                x2pi = ((a >> 5) * 67108864.0 + (b >> 6)) * (1.0 / 9007199254740992.0) * _TWO_PI
                second = ((c >> 5) * 67108864.0 + (e >> 6)) * (1.0 / 9007199254740992.0)
                g2rad = math.sqrt(-2.0 * math.log(1.0 - second))
                z, gauss_next[d] = math.cos(x2pi) * g2rad, math.sin(x2pi) * g2rad
            alpha = self._alpha + (0.0 + z * 1.0) * Detector.ALPHA_WIDTH
            weight[d] = alpha / Detector.BASE_FREQ
            read_ahead(d, _READ_AHEAD)
            prob[d] = initial * (weight[d] + table[rows[d, 0]])
            used[d], steps[d], active[d] = 1, 0, True

        def end_trial(d: int) -> None:
            langprob[d] += prob[d] / n_trial
            trials[d] += 1
            position[d] = int(offsets[d][used[d] - 1]) + 1
            active[d] = False
            if trials[d] < n_trial:
                start_trial(d)

        def make_room(d: int) -> None:
            """Read further ahead when the trial's next five draws are not read yet."""
            if used[d] + _CHECK_EVERY > available[d]:
                read_ahead(d, min(2 * available[d], _MOST_DRAWS))

        for d in range(count):
            start_trial(d)
        while True:
            live = np.flatnonzero(active)
            if live.size < _FEW:
                break
            current = prob[live]
            # the sequential prefix sum ends with sum()'s additions, in its order
            totals = np.add.accumulate(current, axis=1)[:, -1]
            largest = current.max(axis=1)
            prob[live] = current / totals[:, None]
            # dividing by a positive number keeps the order: the largest quotient is this one
            converged = (largest / totals > threshold) | (steps[live] >= limit)
            for d in live[converged].tolist():
                end_trial(d)
            going = live[~converged]
            for d in going[used[going] + _CHECK_EVERY > available[going]].tolist():
                make_room(d)
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
                total = sum(values)
                prob[d] /= total
                if max(values) / total > threshold or steps[d] >= limit:
                    end_trial(d)
                    continue
                make_room(d)
                start_at = used[d]
                block[0] = prob[d]
                block[1:] = weight[d] + table[rows[d, start_at : start_at + _CHECK_EVERY]]
                np.multiply.accumulate(block, axis=0, out=block)  # sequential, as the loop
                prob[d] = block[_CHECK_EVERY]
                used[d] += _CHECK_EVERY
                steps[d] += _CHECK_EVERY
        return langprob


def _draws(words: np.ndarray, start: int, count: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The next `count` values of `random._randbelow(n)` from word `start`: (values, word offsets).

    `_randbelow(n)` shifts each word down to n's bit length and takes the first result below n.
    The window widens until it holds `count` of them, which it does by the stream's end
    (`_random_words`)."""
    shift = 32 - n.bit_length()
    window = 2 * count + 64
    while True:
        candidates = words[start : start + window] >> shift
        accepted = np.flatnonzero(candidates < n)[:count]
        if len(accepted) == count:
            return candidates[accepted], accepted + start
        if start + window >= len(words):  # a broken invariant of `_random_words`: fail, never spin
            raise RuntimeError(f"the random stream ran out: {count} draws below {n} from word {start}")
        window *= 2


def _random_words(seed: int, trials: int) -> np.ndarray:
    """The 32-bit words `random.Random(seed)` hands out, in order (`randbytes` is them,
    little-endian), as many as any text can use.

    A draw takes words until one, shifted down to n's bit length, is below n, which a word with
    its top bit clear always is: each draw takes at most one such word, as does each of the four
    words of a gaussian pair. Every text starts from the first word; each of its trials reads at
    most `_MOST_DRAWS` draws ahead and takes at most four words for the gaussian. So the stream
    ends past `trials * (_MOST_DRAWS + 4)` words with the top bit clear: no text runs out of it,
    whatever the seed.
    """
    generator = random.Random(seed)
    chunks: list[np.ndarray] = []
    missing = trials * (_MOST_DRAWS + 4) + 1
    while missing > 0:
        chunk = np.frombuffer(generator.randbytes(4 * 4096), dtype="<u4").astype(np.int64)
        chunks.append(chunk)
        missing -= int(np.count_nonzero(chunk < 1 << 31))
    return np.concatenate(chunks)


class _GramTable:
    """Per detector: n-gram → row of `matrix` (its probability vector), and the n-gram ids of
    each (word, followed by space) met so far."""

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


def _word_ngrams(word: str, followed_by_space: bool, known: dict[str, list[float]]) -> tuple[str, ...]:
    """The n-grams langdetect's `NGram.add_char` loop yields for one word (normalised, no spaces)."""
    result = []
    grams, capital = " ", False  # as the buffer starts after a space, once: the word has none
    for character in word + " " if followed_by_space else word:
        last = grams[-1]
        if len(grams) >= NGram.N_GRAM:
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
