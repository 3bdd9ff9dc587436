"""Language identification with langdetect, made deterministic and bounded, that says `und` when
it does not know.

langdetect names the language (it is the detector the user chose), among the 55 of its profiles.
Around it, each document gets `language = 'und'` and a `language_reason` when:

- `too_short`: the text has fewer than `min_letters` letters;
- `script_mismatch`: fewer than half of its letters are in a script langdetect's answer is written
  in (Armenian text labelled Estonian, Ethiopic labelled Arabic), or, without an answer, in a
  script any of langdetect's languages is written in;
- `low_confidence`: langdetect's best probability (zh-cn's and zh-tw's added up: both are `zh`) is
  under `min_confidence`, or langdetect knows none of the text's n-grams;
- `unsupported_language`: the guard, lingua (an offline detector that knows 75 languages, some of
  which langdetect lacks), asked whether the text is rather in langdetect's answer or in one of
  the languages langdetect lacks that are written in the same script, gives those, together, a
  confidence of `guard_confidence` at least (Zulu labelled Swahili, Malay labelled Indonesian).
  Lingua reads the first `guard_chars` characters with its trigram models only (its low-accuracy
  mode: the same answers as the full mode on texts of a few sentences, a tenth of the memory and
  of the loading time); it runs only where such languages exist (Latin and Cyrillic answers).

`language_reason` is None when the language was determined. `benchmarks/eval_language.py`
measures all of it; the thresholds were chosen on its `tune` half.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

import polars as pl

from transforms.langdetect_fast import load_detector

UNDETERMINED = "und"
_URL = re.compile(r"https?://\S+")

TOO_SHORT = "too_short"
SCRIPT_MISMATCH = "script_mismatch"
LOW_CONFIDENCE = "low_confidence"
UNSUPPORTED_LANGUAGE = "unsupported_language"
REASONS = (TOO_SHORT, SCRIPT_MISMATCH, LOW_CONFIDENCE, UNSUPPORTED_LANGUAGE)

# Bump when a change of the code around langdetect changes answers, so that reruns detect again.
GUARD_VERSION = "language-guard-2"
LINGUA_PACKAGE = "lingua-language-detector"

# The letters of each script langdetect's languages are written in (Unicode blocks).
_SCRIPT_LETTERS = {
    "Latin": "A-Za-z\u00aa\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02af\u1e00-\u1eff\u2c60-\u2c7f\ua720-\ua7ff"
    "\uff21-\uff3a\uff41-\uff5a",
    "Cyrillic": "\u0400-\u052f\u1c80-\u1c8f\u2de0-\u2dff\ua640-\ua69f",
    "Greek": "\u0370-\u03ff\u1f00-\u1fff",
    "Hebrew": "\u0590-\u05ff\ufb1d-\ufb4f",
    "Arabic": "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff",
    "Devanagari": "\u0900-\u097f\ua8e0-\ua8ff",
    "Bengali": "\u0980-\u09ff",
    "Gurmukhi": "\u0a00-\u0a7f",
    "Gujarati": "\u0a80-\u0aff",
    "Tamil": "\u0b80-\u0bff",
    "Telugu": "\u0c00-\u0c7f",
    "Kannada": "\u0c80-\u0cff",
    "Malayalam": "\u0d00-\u0d7f",
    "Thai": "\u0e00-\u0e7f",
    "Han": "\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f",
    "Kana": "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f",
    "Hangul": "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af",
}
# The scripts of each language of langdetect 1.0.9's profiles (zh-cn and zh-tw answer `zh`).
LANGUAGE_SCRIPTS: dict[str, tuple[str, ...]] = {
    **{
        code: ("Latin",)
        for code in (
            *("af", "ca", "cs", "cy", "da", "de", "en", "es", "et", "fi", "fr", "hr", "hu", "id", "it", "lt"),
            *("lv", "nl", "no", "pl", "pt", "ro", "sk", "sl", "so", "sq", "sv", "sw", "tl", "tr", "vi"),
        )
    },
    **{code: ("Cyrillic",) for code in ("bg", "mk", "ru", "uk")},
    **{code: ("Arabic",) for code in ("ar", "fa", "ur")},
    **{code: ("Devanagari",) for code in ("hi", "mr", "ne")},
    "el": ("Greek",),
    "he": ("Hebrew",),
    "bn": ("Bengali",),
    "pa": ("Gurmukhi",),
    "gu": ("Gujarati",),
    "ta": ("Tamil",),
    "te": ("Telugu",),
    "kn": ("Kannada",),
    "ml": ("Malayalam",),
    "th": ("Thai",),
    "zh": ("Han",),
    "ja": ("Han", "Kana"),
    "ko": ("Hangul", "Han"),
}
# Lingua's Norwegian is two languages; langdetect's is one.
_LINGUA_ALIASES = {"nb": "no", "nn": "no"}


class Detection(NamedTuple):
    language: str  # ISO 639-1 code, or 'und'
    confidence: float  # langdetect's probability for its best language (0 when it read nothing)
    reason: str | None  # why `language` is 'und' (one of REASONS); None when it was determined


class LanguageDetector:
    """A seeded langdetect detector: the same text always gets the same answer.

    `max_chars` bounds the cost per document (langdetect is linear in the text it reads);
    `min_confidence` and `min_letters` decide when the answer is `und` instead of a guess;
    `guard` turns lingua's check for languages langdetect lacks on, reading `guard_chars`
    characters and trusting answers of `guard_confidence` at least (see the module's docstring).
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        max_chars: int = 2000,
        min_confidence: float = 0.90,
        min_letters: int = 10,
        guard: bool = True,
        guard_chars: int = 300,
        guard_confidence: float = 0.9,
    ):
        self._langdetect = load_detector(seed)
        self.seed = seed
        self.max_chars = max_chars
        self.min_confidence = min_confidence
        self.min_letters = min_letters
        self.guard = guard
        self.guard_chars = guard_chars
        self.guard_confidence = guard_confidence
        self._covered = frozenset(language.split("-")[0] for language in self._langdetect.languages)
        self._script_patterns = {code: _script_pattern(LANGUAGE_SCRIPTS[code]) for code in self._covered}
        self._any_script = _script_pattern(tuple(_SCRIPT_LETTERS))

    def _settings(self) -> tuple:
        return (
            self.seed,
            self.max_chars,
            self.min_confidence,
            self.min_letters,
            self.guard,
            self.guard_chars,
            self.guard_confidence,
        )

    def __reduce__(self):
        # Sent to worker processes as its settings; the language profiles and lingua's models load
        # once per process.
        return _rebuild_detector, self._settings()

    def detect(self, text: str) -> Detection:
        """The language of `text` (ISO 639-1 code or 'und'), langdetect's probability, and why 'und'."""
        return self.detect_many([text])[0]

    def detect_many(self, texts: list[str]) -> list[Detection]:
        """`detect` for each text; langdetect runs on them side by side (same answers)."""
        results = [Detection(UNDETERMINED, 0.0, TOO_SHORT)] * len(texts)
        samples = [_URL.sub(" ", text[: self.max_chars]) for text in texts]
        chosen = [index for index, sample in enumerate(samples) if _has_letters(sample, self.min_letters)]
        found = self._langdetect.probabilities([samples[index] for index in chosen])
        for index, probabilities in zip(chosen, found, strict=True):
            results[index] = self._decide(samples[index], probabilities)
        return results

    def _decide(self, sample: str, probabilities: list[tuple[str, float]]) -> Detection:
        if not probabilities:  # langdetect finds no n-gram it knows
            reason = SCRIPT_MISMATCH if not _mostly_in(sample, self._any_script) else LOW_CONFIDENCE
            return Detection(UNDETERMINED, 0.0, reason)
        by_code: dict[str, float] = {}  # zh-cn and zh-tw are both zh: their probabilities add up
        for name, value in probabilities:
            code = name.split("-")[0]
            by_code[code] = by_code.get(code, 0.0) + value
        language = max(by_code, key=by_code.__getitem__)  # the most probable first, on a tie
        probability = round(by_code[language], 4)
        if not _mostly_in(sample, self._script_patterns[language]):
            reason = SCRIPT_MISMATCH
        elif probability < self.min_confidence:
            reason = LOW_CONFIDENCE
        elif self.guard and self._unsupported(sample, language):
            reason = UNSUPPORTED_LANGUAGE
        else:
            return Detection(language, probability, None)
        return Detection(UNDETERMINED, probability, reason)

    def _unsupported(self, sample: str, language: str) -> bool:
        """Whether lingua, choosing between `language` and the languages langdetect lacks that
        share its script, gives the latter `guard_confidence` at least, together."""
        guard = _guard_detector(language, self._covered)
        if guard is None:
            return False
        values = guard.compute_language_confidence_values(sample[: self.guard_chars])
        others = sum(value.value for value in values if _lingua_code(value.language) != language)
        return others >= self.guard_confidence


def preload_profiles(seed: int = 0, guard: bool = True) -> None:
    """Load langdetect's profiles for `seed` and, with `guard`, lingua's models into this process
    (a fork server does, once for all its workers), so that detectors made here or in forked
    children start without reading them."""
    detector = load_detector(seed)
    if guard:
        _preload_guard(frozenset(language.split("-")[0] for language in detector.languages))


def _has_letters(text: str, minimum: int) -> bool:
    """Whether `text` has at least `minimum` alphabetic characters (stops as soon as it knows)."""
    count = 0
    for character in text:
        if character.isalpha():
            count += 1
            if count >= minimum:
                return True
    return minimum <= 0


def _script_pattern(scripts: tuple[str, ...]) -> re.Pattern[str]:
    """Matches a character of the blocks of `scripts` (letters, and the few marks and signs the
    blocks of some scripts hold)."""
    return re.compile("[" + "".join(_SCRIPT_LETTERS[script] for script in scripts) + "]+")


def _mostly_in(sample: str, pattern: re.Pattern[str]) -> bool:
    """Whether at least half of the letters of `sample` are in `pattern`'s scripts."""
    in_script = sum(map(len, pattern.findall(sample)))
    return 2 * in_script >= sum(map(str.isalpha, sample))


def _lingua_code(language) -> str:
    code = language.iso_code_639_1.name.lower()
    return _LINGUA_ALIASES.get(code, code)


def _guard_languages(language: str, covered: frozenset[str]) -> list | None:
    """Lingua's languages to choose among for a text langdetect says is in `language`: its own
    (both Norwegians for `no`) and those langdetect lacks that share a script with it. None when
    there are none of the latter, or lingua does not know `language`."""
    from lingua import Language

    own = [candidate for candidate in Language.all() if _lingua_code(candidate) == language]
    groups = (
        Language.all_with_latin_script(),
        Language.all_with_cyrillic_script(),
        Language.all_with_arabic_script(),
        Language.all_with_devanagari_script(),
    )
    others = {
        candidate
        for group in groups
        if any(language_ in group for language_ in own)
        for candidate in group
        if _lingua_code(candidate) not in covered
    }
    if not own or not others:
        return None
    return sorted({*own, *others}, key=lambda candidate: candidate.name)


@functools.cache
def _guard_detector(language: str, covered: frozenset[str]):
    """Lingua's detector for texts langdetect says are in `language`, made once per process
    (lingua keeps its models for all of its detectors: each is read once per process)."""
    languages = _guard_languages(language, covered)
    if languages is None:
        return None
    from lingua import LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


@functools.lru_cache(maxsize=4)
def _preload_guard(covered: frozenset[str]):
    """Read the models of every language a guard detector may choose (about a second); the
    detector that read them is kept, so are they."""
    from lingua import LanguageDetectorBuilder

    languages = {candidate for code in covered for candidate in (_guard_languages(code, covered) or ())}
    if not languages:
        return None
    builder = LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode()
    return builder.with_preloaded_language_models().build()


def _rebuild_detector(*settings) -> LanguageDetector:
    seed, max_chars, min_confidence, min_letters, guard, guard_chars, guard_confidence = settings
    return LanguageDetector(
        seed=seed,
        max_chars=max_chars,
        min_confidence=min_confidence,
        min_letters=min_letters,
        guard=guard,
        guard_chars=guard_chars,
        guard_confidence=guard_confidence,
    )


def detect_languages(documents: pl.DataFrame, detector: LanguageDetector) -> pl.DataFrame:
    """Add `language`, `language_confidence` and `language_reason` to a frame with a `text` column."""
    results = detector.detect_many(documents.get_column("text").to_list())
    return documents.with_columns(
        pl.Series("language", [result.language for result in results], dtype=pl.String),
        pl.Series("language_confidence", [result.confidence for result in results], dtype=pl.Float64),
        pl.Series("language_reason", [result.reason for result in results], dtype=pl.String),
    )
