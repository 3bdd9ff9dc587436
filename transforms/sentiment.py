"""Sentence sentiment and GDELT-style document tone behind one `SentimentScorer` interface."""

from __future__ import annotations

import re
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


class _WithoutEmoji(str):
    """A sentence with no emoji character in it, which iterates as one piece.

    VADER's `polarity_scores` starts by copying the sentence character by character, swapping
    emojis for their descriptions: nearly half its time on news text, which has none. Given this
    type, that loop runs once, over the whole sentence, and copies it in one step; what follows
    sees the very string it would have built."""

    def __iter__(self):
        yield str(self)


class VaderScorer:
    """VADER (rule-based lexicon with negation, intensifiers and punctuation) for one language.

    `analyzer` is a VADER `SentimentIntensityAnalyzer`; `normalise_word` maps a lower-cased word
    onto the keys of its lexicon (the French lexicon is stored without accents).
    """

    def __init__(self, name: str, language: str, analyzer, normalise_word: Callable[[str], str] = str):
        self.name = name
        self.language = language
        self._analyzer = analyzer
        self._lexicon: dict[str, float] = analyzer.lexicon
        self._normalise_word = normalise_word
        # the loop compares one character at a time: only one-character emojis can ever match
        self._emoji_characters = frozenset(emoji for emoji in analyzer.emojis if len(emoji) == 1)

    def score(self, sentence: str) -> float:
        if self._emoji_characters.isdisjoint(sentence):
            sentence = _WithoutEmoji(sentence)
        return round(float(self._analyzer.polarity_scores(sentence)["compound"]), 4)

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


def vader_english() -> VaderScorer:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return VaderScorer("vader_en", "en", SentimentIntensityAnalyzer())


def vader_french() -> VaderScorer:
    with warnings.catch_warnings():  # fuzzywuzzy warns about a C speed-up the scorer never needs
        warnings.simplefilter("ignore", UserWarning)
        from vaderSentiment_fr.vaderSentiment import SentimentIntensityAnalyzer

    return VaderScorer("vader_fr", "fr", SentimentIntensityAnalyzer(), unidecode.unidecode)


SCORER_BACKENDS: dict[str, Callable[[], SentimentScorer]] = {
    "vader_en": vader_english,
    "vader_fr": vader_french,
}
# The distribution that holds each backend's lexicon: its installed version is part of the
# analysis fingerprint, so an upgrade re-scores.
SCORER_PACKAGES: dict[str, str] = {"vader_en": "vaderSentiment", "vader_fr": "vaderSentiment-fr"}


def build_scorers(language_backends: dict[str, str]) -> dict[str, SentimentScorer]:
    """Instantiate one scorer per language from `{language: backend name}`."""
    unknown = sorted(set(language_backends.values()) - set(SCORER_BACKENDS))
    if unknown:
        raise ValueError(f"unknown sentiment backend(s) {unknown}; known: {sorted(SCORER_BACKENDS)}")
    return {language: SCORER_BACKENDS[backend]() for language, backend in sorted(language_backends.items())}


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
