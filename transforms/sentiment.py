"""Sentence sentiment and GDELT-style document tone behind one `SentimentScorer` interface."""

from __future__ import annotations

import functools
import html
import math
import re
import string
import tomllib
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import polars as pl
import unidecode

from transforms.schema import DOCUMENTS

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


@dataclass(frozen=True)
class WordTone:
    """Counts behind GDELT's tone: words, and words the lexicon holds as positive or negative."""

    n_words: int
    n_positive: int
    n_negative: int


class SentimentScorer(Protocol):
    """Scores text in one language. `score` is in -1…1 (0 is neutral); `word_tone` counts words."""

    name: str
    language: str

    def score(self, sentence: str) -> float: ...

    def word_tone(self, text: str) -> WordTone: ...


# Bump when a change of the scoring code changes scores: part of the analysis fingerprint.
SENTIMENT_VERSION = "sentiment-3"

# VADER's constants (Hutto & Gilbert 2014): a negated word's valence is multiplied by N_SCALAR,
# a word in capitals among words that are not gains C_INCR, boosters further back count less.
N_SCALAR = -0.74
C_INCR = 0.733
_BOOSTER_DECAY = (1.0, 0.95, 0.9)
# Characters stripped from a token's ends (VADER's string.punctuation, plus typographic marks).
_PUNCTUATION = string.punctuation + "«»“”‘’…–—•"
# A token ending (or opening) with one of these ends (or opens) a clause: negation stops there.
_CLAUSE_MARKS = frozenset(",;:.!?()[]…")

# Social and web text: what carries no tone or hides the words (see `normalise_social_text`).
# a JSON escape left in the text: \u2019, or a pair of them for a character beyond 16 bits
_ESCAPED = re.compile(r"\\u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})|\\u([0-9a-fA-F]{4})")
_URL = re.compile(r"(?:https?://|www\.)\S+|\bhttps?\b(?:…)?")  # a link, or the bare "http" of anonymised tweets
_HANDLE = re.compile(r"(?<![\w@])@\w+")  # @user
_HASHTAG = re.compile(r"(?<![\w#&])#([^\W_]\w*)")  # #BlackLivesMatter
_CAMEL = re.compile(r"(?<=[a-zß-öø-ÿ])(?=[A-ZÀ-ÖØ-Þ])|(?<=[A-ZÀ-ÖØ-Þ])(?=[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ])")


# Feminine endings of French adjectives and participles (unaccented) and their masculine.
_FRENCH_FEMININE = (
    ("ee", "e"),
    ("ante", "ant"),
    ("ente", "ent"),
    ("ive", "if"),
    ("euse", "eux"),
    ("iere", "ier"),
    ("elle", "el"),
    ("enne", "en"),
    ("onne", "on"),
    ("ette", "et"),
)


def french_word_variants(key: str) -> tuple[str, ...]:
    """Forms to look up for a French word (lower case, unaccented) the lexicon lacks: the lexicon
    holds many lemmas without all their plural and feminine forms, or a verb's third person
    singular without its plural. The plural -s, or -x after "au"/"ou" ("jolies" → "jolie",
    "beaux" → "beau", "normaux" → "normal"); then a feminine ending of adjectives and participles
    ("-ée", "-ante", "-ente", "-ive", "-euse", "-ière", "-elle", "-enne", "-onne", "-ette": "jolie"
    stays, "passionnante" → "passionnant", "décevante" → "décevant"); and "-ent" → "-e"
    ("adorent" → "adore")."""
    if len(key) < 4:
        return ()
    variants = []
    singular = key
    if key.endswith("aux"):
        variants += [key[:-3] + "al", key[:-1]]
    elif key.endswith("oux"):
        variants.append(key[:-1])
    elif key.endswith("s") and not key.endswith("ss"):
        singular = key[:-1]
        variants.append(singular)
    for feminine, masculine in _FRENCH_FEMININE:
        if singular.endswith(feminine) and len(singular) > len(feminine) + 1:
            variants.append(singular[: -len(feminine)] + masculine)
            break
    if key.endswith("ent") and len(key) > 5:
        variants.append(key[:-2])
    return tuple(variants)


def _unescaped(match: re.Match) -> str:
    if match.group(3) is None:
        high, low = int(match.group(1), 16), int(match.group(2), 16)
        return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
    code = int(match.group(3), 16)
    return match.group(0) if 0xD800 <= code <= 0xDFFF else chr(code)


def _hashtag_words(match: re.Match) -> str:
    return " " + _CAMEL.sub(" ", match.group(1).replace("_", " ")) + " "


def normalise_social_text(text: str) -> str:
    """The text a lexicon scorer should read: JSON escapes (\\u2019) and HTML entities (&amp;)
    decoded, links and @handles out (they carry no tone), hashtags read as their words
    ("#BlackLivesMatter" → "Black Lives Matter"). Text without these marks comes back as it is."""
    if "\\u" in text:
        text = _ESCAPED.sub(_unescaped, text)
    if "&" in text:
        text = html.unescape(text)
    if "http" in text or "www." in text:
        text = _URL.sub(" ", text)
    if "@" in text:
        text = _HANDLE.sub(" ", text)
    if "#" in text:
        text = _HASHTAG.sub(_hashtag_words, text)
    return text


@dataclass(frozen=True)
class SentimentOverlay:
    """A user's additions to a language's lexicon and rules (config/sentiment/<language>.toml).

    `words`: word or phrase → valence on VADER's −4…+4 scale (0: a single word leaves the lexicon,
    a phrase is a neutral fixed expression that hides its words, like "bien sûr" or "sans doute").
    `intensifiers`: word or phrase → the amount added to the magnitude of the sentiment word that
    follows (VADER's boosters are ±0.293; negative: a dampener; 0 removes one).
    Negation: a word of `negators` (or, after a word of `ne_words` in the same clause, of
    `negators_after_ne`) negates the first sentiment word among the next `scope` words of its
    clause, or, when "ne" came first, the sentiment word between "ne" and it ("il n'aime pas");
    `clause_breaks` are words that end a clause besides punctuation; `not_negated` words keep their
    sign. `contrast`: the clause before the first of these words counts half, the rest 1.5× (VADER's
    "but" rule). `negators` left out keep the package's own list; the other lists default to none,
    `scope` to VADER's 3.
    """

    language: str
    words: tuple[tuple[str, float], ...] = ()
    intensifiers: tuple[tuple[str, float], ...] = ()
    negators: tuple[str, ...] | None = None
    negators_after_ne: tuple[str, ...] = ()
    ne_words: tuple[str, ...] = ()
    not_negated: tuple[str, ...] = ()
    clause_breaks: tuple[str, ...] = ()
    scope: int = 3
    contrast: tuple[str, ...] = ()


_OVERLAY_TABLES = {
    "words": None,
    "intensifiers": None,
    "negation": {"negators", "negators_after_ne", "ne_words", "not_negated", "clause_breaks", "scope"},
    "contrast": {"words"},
}


def parse_overlay(language: str, text: str) -> SentimentOverlay:
    """The overlay of one language from the text of its TOML file; ValueError on a wrong entry."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"sentiment overlay for {language!r}: {error}") from None
    unknown = sorted(set(data) - set(_OVERLAY_TABLES))
    if unknown:
        raise ValueError(
            f"sentiment overlay for {language!r}: unknown table(s) {unknown}; known: {sorted(_OVERLAY_TABLES)}"
        )
    for table, keys in _OVERLAY_TABLES.items():
        if keys is not None and not set(data.get(table, {})) <= keys:
            wrong = sorted(set(data[table]) - keys)
            raise ValueError(
                f"sentiment overlay for {language!r}: unknown key(s) {wrong} in [{table}]; known: {sorted(keys)}"
            )

    def numbers(table: str, low: float, high: float) -> tuple[tuple[str, float], ...]:
        entries = []
        for key, value in data.get(table, {}).items():
            if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                raise ValueError(
                    f"sentiment overlay for {language!r}: [{table}] {key!r} = {value!r} is not a number in {low}…{high}"
                )
            entries.append((key.lower(), float(value)))
        return tuple(sorted(entries))

    def strings(table: str, key: str) -> tuple[str, ...] | None:
        values = data.get(table, {}).get(key)
        if values is None:
            return None
        if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
            raise ValueError(f"sentiment overlay for {language!r}: [{table}] {key} must be a list of strings")
        return tuple(sorted({value.lower() for value in values}))

    negation = data.get("negation", {})
    scope = negation.get("scope", 3)
    if isinstance(scope, bool) or not isinstance(scope, int) or scope < 1:
        raise ValueError(f"sentiment overlay for {language!r}: [negation] scope must be a whole number ≥ 1")
    return SentimentOverlay(
        language=language,
        words=numbers("words", -4.0, 4.0),
        intensifiers=numbers("intensifiers", -2.0, 2.0),
        negators=strings("negation", "negators"),
        negators_after_ne=strings("negation", "negators_after_ne") or (),
        ne_words=strings("negation", "ne_words") or (),
        not_negated=strings("negation", "not_negated") or (),
        clause_breaks=strings("negation", "clause_breaks") or (),
        scope=scope,
        contrast=strings("contrast", "words") or (),
    )


class _WithoutEmoji(str):
    """A sentence with no emoji character in it, which iterates as one piece.

    VADER's `polarity_scores` starts by copying the sentence character by character, swapping
    emojis for their descriptions: nearly half its time on news text, which has none. Given this
    type, that loop runs once, over the whole sentence, and copies it in one step; what follows
    sees the very string it would have built."""

    def __iter__(self):
        yield str(self)


# Kinds of token after phrase matching
_SENTIMENT_WORD, _BOOSTER, _NEGATOR, _NE, _NEUTRAL = range(5)


class VaderScorer:
    """VADER (rule-based lexicon with negation, intensifiers and punctuation) for one language.

    `analyzer` is a VADER `SentimentIntensityAnalyzer`; `normalise_word` maps a lower-cased word
    onto the keys of its lexicon (the French lexicon is stored without accents). Without an
    overlay the scores are the package's own. With one (`SentimentOverlay`), the scorer runs
    VADER's rules itself over the package's lexicon and boosters with the overlay's entries on top:
    phrases are matched before the word loop, negation reaches over the overlay's scope within
    the clause, and the package's `negators`, boosters and contrast words are the overlay's; the
    sentence is normalised first (`normalise_social_text`), and a word the scorer does not know is
    looked up by its `word_variants` (French: `french_word_variants`).
    """

    def __init__(
        self,
        name: str,
        language: str,
        analyzer,
        normalise_word: Callable[[str], str] = str,
        overlay: SentimentOverlay | None = None,
        *,
        package_negators: tuple[str, ...] = (),
        package_boosters: dict[str, float] | None = None,
        package_phrases: dict[str, float] | None = None,
        split_elisions: bool = False,
        word_variants: Callable[[str], tuple[str, ...]] | None = None,
    ):
        self.name = name
        self.language = language
        self._analyzer = analyzer
        self._normalise_word = normalise_word
        # the loop compares one character at a time: only one-character emojis can ever match
        self._emoji_characters = frozenset(emoji for emoji in analyzer.emojis if len(emoji) == 1)
        self._overlay = overlay
        if overlay is None:
            self._lexicon: dict[str, float] = analyzer.lexicon
            return
        self._split = re.compile(r"[\s']+" if split_elisions else r"\s+")
        self._keys: dict[str, str] = {}
        lexicon = dict(analyzer.lexicon)
        boosters = {self._key_of(word): value for word, value in (package_boosters or {}).items()}
        phrases: dict[tuple[str, ...], tuple[int, float]] = {}
        removed: set[str] = set()

        def add(entry: str, kind: int, value: float, single: dict | None) -> None:
            key = tuple(self._key_of(part) for part in self._split.split(entry.strip()) if part)
            if len(key) > 1:
                phrases[key] = (kind, value)
            elif key and single is not None:
                if value == 0:
                    single.pop(key[0], None)
                    removed.add(key[0])
                else:
                    single[key[0]] = value

        for entry, value in (package_phrases or {}).items():
            add(entry, _SENTIMENT_WORD, float(value), None)
        for entry, value in list(boosters.items()):
            if " " in entry:
                del boosters[entry]
                add(entry, _BOOSTER, value, None)
        for entry, value in overlay.words:
            add(entry, _SENTIMENT_WORD if value else _NEUTRAL, value, lexicon)
        for entry, value in overlay.intensifiers:
            add(entry, _BOOSTER if value else _NEUTRAL, value, boosters)
        negators = overlay.negators if overlay.negators is not None else package_negators
        for entry in (*negators, *overlay.negators_after_ne):
            add(entry, _NEGATOR, 0.0, None)  # a phrase ("pas du tout", "nulle part") is one negator

        def keys(entries: tuple[str, ...]) -> frozenset[str]:
            """The keys of words and phrases as the scorer's units carry them."""
            return frozenset(
                " ".join(self._key_of(part) for part in self._split.split(entry) if part) for entry in entries
            )

        self._negators = keys(negators)
        self._negators_after_ne = keys(overlay.negators_after_ne)
        self._ne_words = keys(overlay.ne_words)
        self._not_negated = keys(overlay.not_negated)
        self._clause_breaks = keys(overlay.clause_breaks)
        self._contrast = keys(overlay.contrast)
        self._scope = overlay.scope
        self._lexicon = lexicon
        self._boosters = boosters
        self._phrases = phrases
        self._phrase_starts = frozenset(key[0] for key in phrases)
        self._longest_phrase = max((len(key) for key in phrases), default=1)
        # a word none of these lists holds is looked up by its variants (`word_variants`: in French
        # "passionnantes" as "passionnant"); a word an overlay took out stays out
        self._known = frozenset(
            {*lexicon, *boosters, *removed, *(part for key in phrases for part in key)}
            | {part for group in (negators, overlay.negators_after_ne, overlay.ne_words) for part in keys(group)}
            | self._not_negated
            | self._clause_breaks
            | self._contrast
        )
        self._word_variants = word_variants
        self._resolved: dict[str, str] = {}

    def _key_of(self, word: str) -> str:
        """A token's lexicon key: lower case, normalised (cached, the French one strips accents)."""
        key = self._keys.get(word)
        if key is None:
            if len(self._keys) >= 500_000:  # a long run meets many names and numbers: keep memory bounded
                self._keys.clear()
            key = self._keys[word] = self._normalise_word(word.lower())
        return key

    def _resolve(self, key: str) -> str:
        """The key itself when the scorer knows it, else its first variant (the language's
        `word_variants`) that the lexicon or the boosters hold, else the key (cached)."""
        if key in self._known or self._word_variants is None:
            return key
        found = self._resolved.get(key)
        if found is None:
            if len(self._resolved) >= 500_000:
                self._resolved.clear()
            found = key
            for candidate in self._word_variants(key) if self._word_variants is not None else ():
                if candidate in self._lexicon or candidate in self._boosters:
                    found = candidate
                    break
            self._resolved[key] = found
        return found

    def score(self, sentence: str) -> float:
        if self._overlay is not None:
            return self._score_with_overlay(sentence)
        if self._emoji_characters.isdisjoint(sentence):
            sentence = _WithoutEmoji(sentence)
        return round(float(self._analyzer.polarity_scores(sentence)["compound"]), 4)

    def _tokens(self, text: str) -> list[tuple[str, str, bool]]:
        """(surface, key, clause opens here) of each word or emoticon; punctuation marks only
        mark clause ends."""
        tokens = []
        opens = False
        for piece in self._split.split(text.replace("’", "'")):
            if not piece:
                continue
            stripped = piece.strip(_PUNCTUATION)
            if len(stripped) <= 2 and stripped != piece and (piece in self._lexicon or piece.lower() in self._lexicon):
                tokens.append((piece, piece if piece in self._lexicon else piece.lower(), opens))  # an emoticon
                opens = False
                continue
            if not stripped:
                opens = opens or not _CLAUSE_MARKS.isdisjoint(piece)
                continue
            if piece[0] in "([":
                opens = True
            tokens.append((stripped, self._resolve(self._key_of(stripped)), opens))
            opens = not _CLAUSE_MARKS.isdisjoint(piece[len(piece.rstrip(_PUNCTUATION)) :])
        return tokens

    def _with_emoji_descriptions(self, sentence: str) -> str:
        if self._emoji_characters.isdisjoint(sentence):
            return sentence.strip()
        pieces = []
        for character in sentence:
            description = self._analyzer.emojis.get(character)
            pieces.append(f" {description} " if description is not None else character)
        return "".join(pieces).strip()

    def _score_with_overlay(self, sentence: str) -> float:
        text = self._with_emoji_descriptions(normalise_social_text(sentence))
        tokens = self._tokens(text)
        lexicon, boosters, phrases = self._lexicon, self._boosters, self._phrases
        # phrase matching first: the longest phrase starting at each token, within one clause
        units: list[tuple[str, str, int, float, bool]] = []  # surface, key, kind, value, clause opens here
        index = 0
        while index < len(tokens):
            surface, key, opens = tokens[index]
            if key in self._phrase_starts:
                for length in range(min(self._longest_phrase, len(tokens) - index), 1, -1):
                    span = tokens[index : index + length]
                    found = phrases.get(tuple(token[1] for token in span))
                    if found is not None and not any(token[2] for token in span[1:]):
                        joined = " ".join(token[1] for token in span)
                        units.append((" ".join(token[0] for token in span), joined, found[0], found[1], opens))
                        index += length
                        break
                else:
                    found = None
                if found is not None:
                    continue
            if key in self._negators or key in self._negators_after_ne:
                kind, value = _NEGATOR, lexicon.get(key, 0.0)
            elif key in self._ne_words:
                kind, value = _NE, 0.0
            elif key in boosters:
                kind, value = _BOOSTER, boosters[key]
            elif key in lexicon:
                kind, value = _SENTIMENT_WORD, lexicon[key]
            else:
                kind, value = _NEUTRAL, 0.0
            if key in self._clause_breaks or key in self._contrast:
                opens = True
            units.append((surface, key, kind, value, opens))
            index += 1

        words = [unit[0] for unit in units]
        capitals_differ = 0 < sum(1 for word in words if word.isupper()) < len(words)
        sentiments = []
        negation_left = 0  # words the last negator still reaches
        ne_seen = False  # a "ne" opened the clause's negation
        waiting: list[int] = []  # sentiment words after "ne", negated if its "pas" (…) comes
        contrast_at = None
        for position, (surface, key, kind, value, opens) in enumerate(units):
            if opens:
                negation_left, ne_seen, waiting = 0, False, []
            if contrast_at is None and key in self._contrast:
                contrast_at = position
            valence = 0.0
            if kind == _NEGATOR:
                following = units[position + 1] if position + 1 < len(units) else None
                # "personne ne l'aime": a negator of ne's (personne, plus …) right before "ne" is
                # the subject of a negated verb, it negates forward
                if key in self._negators or ne_seen or (following is not None and following[2] == _NE):
                    # "il n'aime pas": the sentiment word between "ne" and "pas" is the one negated;
                    # else the negation reaches forward to the first sentiment word in its scope
                    if waiting:
                        sentiments[waiting[0]] *= N_SCALAR
                        negation_left = 0
                    else:
                        negation_left = self._scope + 1
                    waiting = []
                    # a negator that is itself a lexicon word ("no") keeps its valence when no
                    # sentiment word follows it
                    if value and (following is None or following[2] != _SENTIMENT_WORD):
                        valence = value
                elif key in lexicon:
                    valence = lexicon[key]
            elif kind == _NE:
                ne_seen = True
            elif kind == _SENTIMENT_WORD:
                valence = value
                if capitals_differ and surface.isupper():
                    valence += C_INCR if valence > 0 else -C_INCR
                for back, decay in enumerate(_BOOSTER_DECAY, start=1):
                    if position - back < 0:
                        break
                    previous = units[position - back]
                    if previous[2] == _BOOSTER:
                        scalar = previous[3] if valence > 0 else -previous[3]
                        if capitals_differ and previous[0].isupper():
                            scalar += C_INCR if valence > 0 else -C_INCR
                        valence += scalar * decay
                if key in self._not_negated or not any(character.isalpha() for character in key):
                    pass  # an emoticon, or a word negation leaves alone
                elif negation_left > 0:
                    valence *= N_SCALAR
                    negation_left = 1  # the first sentiment word ends the negation's reach
                elif ne_seen:
                    waiting.append(position)
            if negation_left > 0:
                negation_left -= 1
            sentiments.append(valence)
        if contrast_at is not None:
            sentiments = [
                value * 0.5 if position < contrast_at else value * 1.5 if position > contrast_at else value
                for position, value in enumerate(sentiments)
            ]
        total = sum(sentiments)
        if total:
            emphasis = self._analyzer._punctuation_emphasis(text)
            total += emphasis if total > 0 else -emphasis
        return round(total / math.sqrt(total * total + 15), 4)

    @staticmethod
    def _names(units) -> frozenset[int]:
        titled = [len(unit[0]) > 1 and unit[0][0].isupper() and not unit[0].isupper() for unit in units]
        if not any(titled) or 2 * sum(titled) > len(units):
            return frozenset()
        found = set()
        for position in range(len(units)):
            if not titled[position]:
                continue
            before = position > 0 and titled[position - 1] and not units[position][4]
            after = position + 1 < len(units) and titled[position + 1] and not units[position + 1][4]
            if before or after:
                found.add(position)
        return frozenset(found)

    def word_tone(self, text: str) -> WordTone:
        words = _WORD.findall(text)
        positive = negative = 0
        for word in words:
            valence = self._lexicon.get(self._normalise_word(word.lower()))
            if valence is None:
                continue
            if valence > 0:
                positive += 1
            elif valence < 0:
                negative += 1
        return WordTone(len(words), positive, negative)


@functools.lru_cache(maxsize=1)
def _english_analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


@functools.lru_cache(maxsize=1)
def _french_analyzer():
    with warnings.catch_warnings():  # fuzzywuzzy warns about a C speed-up the scorer never needs
        warnings.simplefilter("ignore", UserWarning)
        from vaderSentiment_fr.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def vader_english(overlay: SentimentOverlay | None = None) -> VaderScorer:
    from vaderSentiment import vaderSentiment as package

    return VaderScorer(
        "vader_en",
        "en",
        _english_analyzer(),
        overlay=overlay,
        package_negators=(*package.NEGATE, "no"),  # VADER treats "no" apart: it negates the next words
        package_boosters=package.BOOSTER_DICT,
        package_phrases=package.SPECIAL_CASES,
    )


def vader_french(overlay: SentimentOverlay | None = None) -> VaderScorer:
    analyzer = _french_analyzer()
    from vaderSentiment_fr import vaderSentiment as package

    return VaderScorer(
        "vader_fr",
        "fr",
        analyzer,
        unidecode.unidecode,
        overlay=overlay,
        package_negators=tuple(package.NEGATE),
        package_boosters=package.BOOSTER_DICT,
        split_elisions=True,  # "n'est" is "n" and "est", as the package splits it
        word_variants=french_word_variants,
    )


SCORER_BACKENDS: dict[str, Callable[[SentimentOverlay | None], SentimentScorer]] = {
    "vader_en": vader_english,
    "vader_fr": vader_french,
}
# The distribution that holds each backend's lexicon: its installed version is part of the
# analysis fingerprint, so an upgrade re-scores.
SCORER_PACKAGES: dict[str, str] = {"vader_en": "vaderSentiment", "vader_fr": "vaderSentiment-fr"}


def build_scorers(
    language_backends: dict[str, str], overlays: dict[str, str] | None = None
) -> dict[str, SentimentScorer]:
    """Instantiate one scorer per language from `{language: backend name}`, each with the overlay
    of its language when `overlays` (`{language: text of its TOML file}`) holds one."""
    unknown = sorted(set(language_backends.values()) - set(SCORER_BACKENDS))
    if unknown:
        raise ValueError(f"unknown sentiment backend(s) {unknown}; known: {sorted(SCORER_BACKENDS)}")
    overlays = overlays or {}
    return {
        language: SCORER_BACKENDS[backend](
            parse_overlay(language, overlays[language]) if language in overlays else None
        )
        for language, backend in sorted(language_backends.items())
    }


def score_sentences(
    sentences: pl.DataFrame, texts: dict[str, str], languages: dict[str, str], scorers: dict[str, SentimentScorer]
) -> pl.DataFrame:
    """Add `sentiment` (null where the language has no scorer) to sentences with offsets."""
    values = []
    for doc_id, start, end in sentences.select("doc_id", "start_char", "end_char").iter_rows():
        scorer = scorers.get(languages[doc_id])
        values.append(None if scorer is None else scorer.score(texts[doc_id][start:end]))
    return sentences.with_columns(pl.Series("sentiment", values, dtype=pl.Float64))


TONE_SCHEMA = DOCUMENTS.subset(
    "doc_id",
    "n_words",
    "tone",
    "positive_pct",
    "negative_pct",
    "polarity_pct",
    "sentiment_backend",
    "sentiment_missing_reason",
)


def document_tone(documents: pl.DataFrame, scorers: dict[str, SentimentScorer]) -> pl.DataFrame:
    """GDELT's per-document tone from lexicon hits, for a frame with `doc_id`, `language`, `text`.

    positive_pct and negative_pct are the shares (in %) of words the lexicon scores positive or
    negative; tone = positive_pct - negative_pct; polarity_pct = positive_pct + negative_pct.
    Languages without a scorer get nulls and a `sentiment_missing_reason`, never 0.
    """
    rows = []
    for doc_id, language, text in documents.select("doc_id", "language", "text").iter_rows():
        scorer = scorers.get(language)
        n_words = len(_WORD.findall(text))
        if scorer is None:
            rows.append(
                {
                    "doc_id": doc_id,
                    "n_words": n_words,
                    "sentiment_missing_reason": f"no sentiment scorer for language '{language}'",
                }
            )
            continue
        counts = scorer.word_tone(text)
        positive = 100.0 * counts.n_positive / counts.n_words if counts.n_words else 0.0
        negative = 100.0 * counts.n_negative / counts.n_words if counts.n_words else 0.0
        rows.append(
            {
                "doc_id": doc_id,
                "n_words": counts.n_words,
                "tone": round(positive - negative, 4),
                "positive_pct": round(positive, 4),
                "negative_pct": round(negative, 4),
                "polarity_pct": round(positive + negative, 4),
                "sentiment_backend": scorer.name,
            }
        )
    return pl.DataFrame(rows, schema=TONE_SCHEMA)


def weighted_document_sentiment(sentences: pl.DataFrame) -> pl.DataFrame:
    """Per document, the mean sentence sentiment weighted by sentence length in characters."""
    weight = pl.col("end_char") - pl.col("start_char")
    return (
        sentences.filter(pl.col("sentiment").is_not_null())
        .group_by("doc_id")
        .agg(((pl.col("sentiment") * weight).sum() / weight.sum()).round(4).alias("sentiment"))
        .sort("doc_id")
    )
