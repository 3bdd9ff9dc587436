from __future__ import annotations

import polars as pl
import pytest

from transforms.sentiment import build_scorers, document_tone, score_sentences, weighted_document_sentiment


@pytest.fixture(scope="module")
def scorers():
    return build_scorers({"en": "vader_en", "fr": "vader_fr"})


@pytest.mark.parametrize(
    ("language", "sentence", "sign"),
    [
        ("fr", "Cela ne va pas bien se terminer pour OpenAI.", -1),
        ("fr", "Microsoft est heureux de vendre sa puissance de traitement Azure à tout le monde.", 1),
        ("en", "This will not end well for OpenAI.", -1),
        ("en", "Microsoft is happy to sell its Azure processing power to everyone.", 1),
        ("en", "The meeting is on Tuesday.", 0),
    ],
)
def test_sentence_scores_have_the_right_sign(scorers, language, sentence, sign):
    score = scorers[language].score(sentence)
    assert -1 <= score <= 1
    assert (score > 0) - (score < 0) == sign


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="unknown sentiment backend"):
        build_scorers({"de": "vader_de"})


def test_document_tone_follows_gdelt_definitions(scorers):
    documents = pl.DataFrame(
        {"doc_id": ["a", "b"], "language": ["en", "ru"], "text": ["Good news and bad news today.", "Хорошие новости."]}
    )
    tone = document_tone(documents, scorers).sort("doc_id")
    a, b = tone.row(0, named=True), tone.row(1, named=True)
    assert a["n_words"] == 6
    assert a["positive_pct"] == pytest.approx(100 / 6, abs=1e-3)
    assert a["negative_pct"] == pytest.approx(100 / 6, abs=1e-3)
    assert a["tone"] == pytest.approx(0.0) and a["polarity_pct"] == pytest.approx(200 / 6, abs=1e-3)
    assert b["tone"] is None and b["sentiment_missing_reason"] == "no sentiment scorer for language 'ru'"


def test_sentence_sentiment_is_null_without_a_scorer_and_weighted_per_document(scorers):
    texts = {"a": "Great. Terrible, awful, horrible day.", "b": "Хорошо."}
    sentences = pl.DataFrame(
        {"doc_id": ["a", "a", "b"], "sentence_index": [0, 1, 0], "start_char": [0, 7, 0], "end_char": [6, 37, 7]}
    )
    scored = score_sentences(sentences, texts, {"a": "en", "b": "ru"}, scorers)
    values = scored.get_column("sentiment").to_list()
    assert values[0] > 0 > values[1] and values[2] is None
    weighted = weighted_document_sentiment(scored)
    assert weighted.get_column("doc_id").to_list() == ["a"]
    expected = (values[0] * 6 + values[1] * 30) / 36
    assert weighted.row(0)[1] == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_scores_equal_vaders_own_with_and_without_emojis(scorers, language):
    """The scorer skips VADER's emoji loop on sentences without emojis; the scores must not move."""
    sentences = [
        "The merger was a great success for everyone involved!",
        "Les résultats sont décevants, mais la direction reste optimiste.",
        "  Shares fell 12% after the #1 carmaker (©2024) cut its outlook.  ",
        "I love this 😀 so much",
        "Terrible news 😡😡 again",
        "Ça va très bien 👍",
        "😀",
        "Not bad at all :) honestly",
        "",
    ]
    scorer = scorers[language]
    analyzer = scorer._analyzer
    for sentence in sentences:
        assert scorer.score(sentence) == round(float(analyzer.polarity_scores(sentence)["compound"]), 4), sentence
