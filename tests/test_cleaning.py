from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transforms.cleaning import clean_documents, clean_text, parse_rules, repair_text

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RULES = parse_rules((PROJECT_ROOT / "config" / "cleaning_rules.toml").read_text(encoding="utf-8"))
BODY = "Le marché a progressé de 3 % cette semaine selon les analystes.\nLes investisseurs restent prudents."


def fired(text: str) -> set[str]:
    return {rule_id for rule_id, _, _ in clean_text(text, RULES).log}


# One positive and one negative example per rule of config/cleaning_rules.toml.
RULE_CASES = {
    "scrape.image_file_line": ("Photo de la semaine Analysts.webp\n" + BODY, "Le format webp est populaire.\n" + BODY),
    "scrape.url_only_line": (
        BODY + "\nhttps://example.com/a https://example.com/b",
        BODY + "\nVoir https://example.com/a pour le détail.",
    ),
    "scrape.tweet_line": (
        BODY + "\nExclusivité de @someone: un service. https://t.co/ilSPG3T8Na",
        BODY + "\nSelon https://twitter.com/someone/status/1 le service est lancé, et il le restera longtemps.",
    ),
    "scrape.tweet_attribution": (
        BODY + "\n- The Information (@theinformation) 17 août 2023",
        BODY + "\n- Une liste à puces ordinaire, 17 août 2023",
    ),
    "scrape.title_site_suffix": (
        "Analysts speak out – IT department\n" + BODY,
        "Analysts speak out\nThe IT department – IT department head speaks.\n" + BODY,
    ),
    "scrape.related_links_block": (
        BODY + "\nPour aller plus loin:\n– Premier article lié\n– Second article lié",
        "Pour aller plus loin: les analystes restent prudents sur la suite du marché.\n" + BODY,
    ),
    "meta.date_prefix": (" date 2023-09 " + BODY, "La date 2023-09 a été retenue. " + BODY),
    "meta.source_note": (
        BODY + "\nL'article original (en anglais) est disponible sur IT World Canada.",
        BODY + "\nL'article original a suscité des réactions.",
    ),
    "meta.translation_credit": (
        BODY + "\nAdaptation et traduction française par Renaud Larue-Langlois.",
        BODY + "\nL'adaptation et la traduction posent problème.",
    ),
    "mt.que_le_beton_ey": (
        "Microsoft que le béton ey OpenAI sont partenaires.",
        "Ce que le béton et l'acier ont changé.",
    ),
    "mt.rechercher_gpt": ("Le lancement de RechercherGPT inquiète Bing.", "Il faut rechercher GPT-4 dans la liste."),
    "mt.lost_possessive_meta": ("Microsoft's association with Metas Llama 2 grew.", "The metas of Llama farmers grew."),
}


def test_every_rule_has_cases():
    assert set(RULE_CASES) == {rule.id for rule in RULES}


@pytest.mark.parametrize("rule_id", sorted(RULE_CASES))
def test_rule_fires_on_its_positive_example_only(rule_id):
    positive, negative = RULE_CASES[rule_id]
    assert rule_id in fired(positive)
    assert rule_id not in fired(negative)


def test_seed_002_machine_translation_noise_is_repaired():
    raw = (PROJECT_ROOT / "seeds" / "002_e80261cf1410efea.txt").read_text(encoding="utf-8")
    result = clean_text(raw, RULES)
    assert "Microsoft et OpenAI sont devenus" in result.text
    assert "GPT-2 et DALL-E" in result.text
    assert "que le béton ey" not in result.text and "RechercherGPT" not in result.text
    assert "«bromance»" in result.text
    assert result.section == "Intelligence Artificielle"
    assert result.title == "La tension entre Microsoft et OpenAI : ce que cela signifie pour l'avenir de l'IA"
    assert not result.text.endswith("\n")


def test_seed_000_metadata_is_moved_out_of_the_text():
    raw = (PROJECT_ROOT / "seeds" / "000_cfe7802b0b2a301d.txt").read_text(encoding="utf-8")
    result = clean_text(raw, RULES)
    assert result.published_date == dt.date(2023, 9, 1)
    assert result.published_date_precision == "month"
    assert result.text.startswith("Mardi dernier, Microsoft et OpenAI")
    assert result.credits == "Adaptation et traduction française par Renaud Larue-Langlois."
    assert result.source_note.startswith("L'article original (en anglais) est disponible sur IT World Canada")


def test_seed_004_title_and_tweet_links():
    raw = (PROJECT_ROOT / "seeds" / "004_b347f73474599f56.txt").read_text(encoding="utf-8")
    result = clean_text(raw, RULES)
    assert result.title == "Is the partnership between Microsoft and OpenAI in danger? Analysts speak out"
    assert ".webp" not in result.text and "Meta's Llama 2" in result.text
    tweet = clean_text((PROJECT_ROOT / "seeds" / "001_1d6ceef6ef916131.txt").read_text(encoding="utf-8"), RULES)
    assert tweet.links == [("https://t.co/ilSPG3T8Na", "tweet")]
    assert "t.co/" not in tweet.text and "@theinformation" not in tweet.text


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("Le cafÃ© de HÃ©lÃ¨ne est fermÃ©.", "Le café de Hélène est fermé."),
        ("Fish &amp; Chips &eacute;t&eacute; &#8364;5", "Fish & Chips été €5"),
        ("Double &amp;amp; escape", "Double & escape"),
        ("zero\u200bwidth\u00adsoft", "zerowidthsoft"),
        ("l’IA d’OpenAI", "l'IA d'OpenAI"),
        ("line\r\nbreaks\rhere", "line\nbreaks\nhere"),
        ("e\u0301te\u0301", "été"),
    ],
)
def test_generic_repairs(dirty, clean):
    assert repair_text(dirty)[0] == clean


WIRE = (
    "KLM LOWERS TRANSATLANTIC FARES\n\n"
    "AMSTERDAM, March 4 - KLM Royal Dutch Airlines, in\n"
    "a move following similar steps recently by U.S. carrier TWA,\n"
    "said it is cutting its fares on transatlantic flights from\n"
    "April 1.\n"
    "    From April 1, a return fare Amsterdam-New York will be cut\n"
    "by eight per cent to 1,099 guilders for the low season until\n"
    "mid-June.\n"
)


def test_hard_wrapped_wire_copy_is_joined_into_paragraphs():
    result = clean_text(WIRE, RULES)
    assert result.text.split("\n") == [
        "KLM LOWERS TRANSATLANTIC FARES",
        "",
        "AMSTERDAM, March 4 - KLM Royal Dutch Airlines, in a move following similar steps recently by U.S. "
        "carrier TWA, said it is cutting its fares on transatlantic flights from April 1.",
        "From April 1, a return fare Amsterdam-New York will be cut by eight per cent to 1,099 guilders for "
        "the low season until mid-June.",
    ]
    assert result.title == "KLM LOWERS TRANSATLANTIC FARES" and result.section is None


def test_prose_with_short_lines_is_not_unwrapped():
    poem = "Une ligne courte.\nUne autre ligne.\nEncore une ligne ici.\nEt la dernière ligne."
    assert clean_text(poem, RULES).text == poem


def test_whitespace_and_blank_runs_are_normalised():
    assert (
        clean_text("  Un   texte\t\tsimple.  \n\n\n\n\nSuite du texte.\n\n\n", RULES).text
        == "Un texte simple.\n\nSuite du texte."
    )


def test_clean_documents_logs_every_rule_that_fired():
    frame = pl.DataFrame(
        {"doc_id": ["a", "b"], "raw_text": ["Microsoft que le béton ey OpenAI.", "Rien à signaler ici."]}
    )
    cleaned, log, links = clean_documents(frame, RULES)
    assert cleaned.get_column("text").to_list() == ["Microsoft et OpenAI.", "Rien à signaler ici."]
    assert log.rows() == [("a", "mt.que_le_beton_ey", 1, "que le béton ey → et")]
    assert links.is_empty()


def test_bad_rules_are_reported_with_their_id():
    with pytest.raises(ValueError, match="cleaning rule broken"):
        parse_rules('[[rule]]\nid = "broken"\nkind = "explode"\npattern = "x"\ndescription = "d"\n')


news_like_text = st.lists(
    st.one_of(
        st.text(min_size=0, max_size=80),
        st.sampled_from(
            [
                "Intelligence Artificielle",
                " date 2023-09 ",
                "Microsoft que le béton ey OpenAI",
                "«bromance«",
                "Pour aller plus loin:",
                "– Un article lié",
                "https://t.co/abc123",
                "Le cafÃ© &amp; l’IA",
                "\n\n\n",
                "\r\n",
                "Adaptation et traduction française par X.",
                "AMSTERDAM, March 4 - KLM Royal Dutch Airlines, in",
                "a move following similar steps recently by U.S. carrier TWA,",
                "    From April 1, a return fare Amsterdam-New York will be cut",
                "BRAZILIAN COFFEE RAINFALL",
            ]
        ),
    ),
    max_size=12,
).map("\n".join)


@settings(
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(news_like_text)
def test_cleaning_is_idempotent(text):
    once = clean_text(text, RULES).text
    assert clean_text(once, RULES).text == once
