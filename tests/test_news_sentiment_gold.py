"""The held-out news sentiment gold: its form, the splitter that drew it, the evaluation's arithmetic."""

from __future__ import annotations

from collections import Counter

import pytest

from benchmarks import eval_news_sentiment as evaluation
from benchmarks.gold import select_news_sentences as selection


@pytest.fixture(scope="module")
def gold() -> list[dict]:
    return evaluation.read_gold()


def test_gold_has_150_labelled_sentences_per_language_one_per_article(gold):
    assert Counter(row["language"] for row in gold) == {"en": 150, "fr": 150}
    assert len({row["id"] for row in gold}) == 300
    assert all(row["label"] in evaluation.LABELS for row in gold)
    assert len({row["doc_id"] for row in gold}) == 300
    assert Counter(row["source"] for row in gold if row["language"] == "en") == {"Reuters": 75, "BBC News": 75}
    for row in gold:
        assert "sentence" not in row  # ids and offsets only: the corpus's text is not shipped
        assert 0 <= row["start"] < row["end"]


def test_splitter_keeps_abbreviations_and_wrapped_lines_together():
    text = 'He said the U.S.\nGovernment will act. Mr. Smith agreed.\n    "It is done." Then it rained.'
    sentences = [text[a:b] for a, b in selection.split_sentences(text, wrapped=True)]
    assert sentences == [
        "He said the U.S.\nGovernment will act.",
        "Mr. Smith agreed.",
        '"It is done."',
        "Then it rained.",
    ]


def test_splitter_cuts_unwrapped_text_at_every_newline():
    text = "Sub-heading without a stop\nThe first sentence. The second one."
    assert [text[a:b] for a, b in selection.split_sentences(text)] == [
        "Sub-heading without a stop",
        "The first sentence.",
        "The second one.",
    ]


def test_candidates_drop_dateline_tables_and_cut_off_text_but_keep_the_title():
    reuters = {
        "source": "Reuters",
        "title": "ACME CORP SETS RECORD QUARTERLY PAYOUT",
        "text": "ACME CORP SETS RECORD QUARTERLY PAYOUT\n\nNEW YORK, March 3 - Acme Corp said it raised its\n"
        "quarterly dividend to ten cts a share from eight cts.\n    Shr 12 cts vs 10 cts\n"
        "    Net 1,200,000 dlrs vs 1,000,000 dlrs\n Reuter\n",
    }
    spans = selection.candidates(reuters)
    assert [" ".join(reuters["text"][a:b].split()) for a, b in spans] == [
        "ACME CORP SETS RECORD QUARTERLY PAYOUT",
        "Acme Corp said it raised its quarterly dividend to ten cts a share from eight cts.",
    ]
    bbc = {
        "source": "BBC News",
        "title": "Short title",
        "text": "Short title\n\nains that were cut off by the corpus at the start of this paragraph. \n"
        "A whole sentence that the corpus kept from its start.",
    }
    assert [bbc["text"][a:b] for a, b in selection.candidates(bbc)] == [
        "A whole sentence that the corpus kept from its start."
    ]


def test_labels_come_from_a_fixed_band_and_macro_f1_averages_the_three_labels():
    assert [evaluation.to_label(s) for s in (0.3, 0.05, 0.0, -0.05, -0.06)] == [
        "positive",
        "neutral",
        "neutral",
        "neutral",
        "negative",
    ]
    gold = ["negative", "negative", "neutral", "positive"]
    predicted = ["negative", "neutral", "neutral", "neutral"]
    # F1: negative 2/3, neutral 2/3 (precision 1/3, recall 1), positive 0
    assert evaluation.macro_f1(gold, predicted) == pytest.approx((2 / 3 + 0.5 + 0) / 3)
    gold, predicted = gold * 10, predicted * 10
    low, high = evaluation.bootstrap_interval(gold, predicted)
    assert low < evaluation.macro_f1(gold, predicted) < high
    assert evaluation.bootstrap_interval(gold, predicted) == (low, high)
    assert evaluation.paired_difference_interval(gold, predicted, predicted) == (0.0, 0.0)
    low, high = evaluation.paired_difference_interval(gold, gold, predicted)
    assert 0 < low < 1 - evaluation.macro_f1(gold, predicted) < high


def test_the_project_scorers_label_a_news_sentence_through_the_fixed_band():
    scorers, _ = evaluation.load_scorers(evaluation.GOLD.parents[2], None)
    deaths = "At least 12 people were killed and dozens injured when the building collapsed."
    assert evaluation.to_label(scorers["en"].score(deaths)) == "negative"
