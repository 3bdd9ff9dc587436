"""The seed corpus, end to end: what the cleaning and entity issues promise users."""

from __future__ import annotations

import datetime as dt

import pytest

ORGS = [
    "OpenAI",
    "Microsoft",
    "Apple",
    "Google",
    "Amazon",
    "Samsung",
    "Meta",
    "Databricks",
    "Inflection AI",
    "Forrester",
    "GlobalData",
]
PRODUCTS = ["ChatGPT", "Azure", "Copilot", "Bing", "Llama 2", "SearchGPT", "Siri"]
PEOPLE = ["Sam Altman", "Satya Nadella", "Rowan Curran", "Beatriz Valle", "Renaud Larue-Langlois"]


@pytest.mark.parametrize(
    "fragment",
    ["que le béton ey", "RechercherGPT", ".webp", "t.co/", "Pour aller plus loin", "Adaptation et traduction"],
)
def test_artefacts_are_gone_from_the_text(seed_db, fragment):
    assert seed_db.execute("select count(*) from core.documents where contains(text, ?)", [fragment]).fetchone()[0] == 0


def test_cleaned_metadata(seed_db):
    rows = {
        path[:3]: (title, date, precision, text)
        for path, title, date, precision, text in seed_db.execute(
            "select source_path, title, published_date, published_date_precision, text from core.documents"
        ).fetchall()
    }
    assert "Microsoft et OpenAI" in rows["002"][3] and "GPT-2 et DALL-E" in rows["002"][3]
    assert rows["002"][0] == "La tension entre Microsoft et OpenAI : ce que cela signifie pour l'avenir de l'IA"
    assert rows["004"][0] == "Is the partnership between Microsoft and OpenAI in danger? Analysts speak out"
    assert rows["000"][1:3] == (dt.date(2023, 9, 1), "month")
    links = seed_db.execute("select url, kind from core.document_links").fetchall()
    assert ("https://t.co/ilSPG3T8Na", "tweet") in links


def test_cleaning_log_names_every_rule_that_fired(seed_db):
    fired = dict(seed_db.execute("select rule_id, sum(n_matches) from core.cleaning_log group by rule_id").fetchall())
    assert fired["mt.que_le_beton_ey"] == 2
    for rule in [
        "mt.rechercher_gpt",
        "scrape.image_file_line",
        "scrape.tweet_line",
        "scrape.related_links_block",
        "meta.date_prefix",
        "meta.source_note",
        "meta.translation_credit",
        "layout.section",
        "generic.guillemets",
    ]:
        assert fired.get(rule, 0) >= 1, rule


@pytest.mark.parametrize(("names", "label"), [(ORGS, "ORG"), (PRODUCTS, "PRODUCT"), (PEOPLE, "PERSON")])
def test_tracked_names_are_one_entity_with_one_label(seed_db, names, label):
    for name in names:
        entities = seed_db.execute("select entity_id, label from core.entities where name = ?", [name]).fetchall()
        assert len(entities) == 1 and entities[0][1] == label, name
        labels = seed_db.execute(
            "select distinct label from core.entity_mentions where entity_id = ?", [entities[0][0]]
        ).fetchall()
        assert labels == [(label,)], name


def test_people_are_one_entity_across_documents_and_languages(seed_db):
    rows = dict(seed_db.execute("select name, n_documents from core.entities where label = 'PERSON'").fetchall())
    assert rows["Rowan Curran"] == 2 and rows["Beatriz Valle"] == 2 and rows["Renaud Larue-Langlois"] == 2
    assert "Curran" not in rows


def test_no_entity_is_an_article_or_pronoun_fragment(seed_db):
    names = [name for (name,) in seed_db.execute("select name from core.entities").fetchall()]
    assert not [name for name in names if name.lower() in {"l'", "d'", "l", "d", "qu'", "ia", "ai"}]


def test_top_entities_read_like_the_cast_of_the_story(seed_db):
    top = [
        name
        for (name,) in seed_db.execute(
            "select name from core.entities order by n_documents desc, n_mentions desc limit 10"
        ).fetchall()
    ]
    assert top[:2] == ["OpenAI", "Microsoft"]
    assert {"Azure", "ChatGPT", "Sam Altman", "Databricks"} <= set(top)


def _sentence_sentiment(seed_db, phrase: str) -> float:
    """The sentiment of the one seed sentence that contains `phrase`."""
    rows = seed_db.execute(
        "select s.sentiment from core.sentences s join core.documents d using (doc_id) "
        "where contains(substring(d.text, s.start_char + 1, s.end_char - s.start_char), ?)",
        [phrase],
    ).fetchall()
    assert len(rows) == 1, rows
    return rows[0][0]


def test_seed_sentences_have_the_right_tone(seed_db):
    assert _sentence_sentiment(seed_db, "Cela ne va pas bien se terminer pour OpenAI.") < 0
    assert (
        _sentence_sentiment(seed_db, "Microsoft est heureux de vendre sa puissance de traitement Azure à tout le monde")
        > 0
    )


def test_entity_sentiment_has_openai_and_microsoft_in_both_languages(seed_db):
    rows = set(
        seed_db.execute(
            "select entity_name, language from marts.entity_sentiment where entity_name in ('OpenAI', 'Microsoft')"
        ).fetchall()
    )
    assert rows == {("OpenAI", "fr"), ("OpenAI", "en"), ("Microsoft", "fr"), ("Microsoft", "en")}


def test_documents_carry_gdelt_tone(seed_db):
    rows = seed_db.execute(
        "select tone, positive_pct, negative_pct, polarity_pct, sentiment, n_words from core.documents"
    ).fetchall()
    for tone, positive, negative, polarity, sentiment, n_words in rows:
        assert tone == pytest.approx(positive - negative, abs=1e-3)
        assert polarity == pytest.approx(positive + negative, abs=1e-3)
        assert -1 <= sentiment <= 1 and n_words > 0
