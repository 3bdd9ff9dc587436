"""Quotations, amounts and dates (transforms/quotations.py, amounts.py, dates.py) with the shipped rules."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from tests.conftest import PROJECT_ROOT
from transforms.amounts import find_amounts, parse_number
from transforms.dates import find_dates
from transforms.extraction import extract
from transforms.extraction_rules import parse_rules
from transforms.entities import extract_mentions, mention_label, parse_watchlist
from transforms.nlp import load_pipeline
from transforms.quotations import Mention, find_quotations

RULES = {
    language: parse_rules(language, (PROJECT_ROOT / "config" / "extraction" / f"{language}.toml").read_text("utf-8"))
    for language in ("fr", "en")
}


@pytest.fixture(scope="module")
def french_nlp():
    """The project's default French pipeline (NEWS_SPACY_MODELS) with the shipped watchlist."""
    from pipelines.settings import SETTINGS, parse_mapping

    model = parse_mapping(next(s.default for s in SETTINGS if s.name == "NEWS_SPACY_MODELS"))["fr"]
    return load_pipeline(model, parse_watchlist((PROJECT_ROOT / "config" / "watchlist.csv").read_text("utf-8")))


def _sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans split after . ! ? (and line breaks), as the NLP's sentencizer would give them."""
    spans, start = [], 0
    for index, char in enumerate(text):
        if char in ".!?\n" and (index + 1 == len(text) or text[index + 1] in " \n"):
            if text[start : index + 1].strip():
                spans.append((start, index + 1))
            start = index + 1
    if text[start:].strip():
        spans.append((start, len(text)))
    return [(s + len(text[s:e]) - len(text[s:e].lstrip()), e) for s, e in spans]


def _mentions(text: str, names: dict[str, str]) -> list[Mention]:
    """Every occurrence of each name, with its label (as the NER would find them)."""
    found = []
    for name, label in names.items():
        start = text.find(name)
        while start != -1:
            found.append(Mention(start, start + len(name), label, name, f"id:{name}"))
            start = text.find(name, start + 1)
    return sorted(found, key=lambda m: m.start)


def _quotes(text: str, language: str, names: dict[str, str] | None = None):
    quotations = find_quotations(text, _sentences(text), _mentions(text, names or {}), RULES[language])
    return [(text[q.start : q.end], q.kind, q.speaker_entity_id, q.speaker_resolution) for q in quotations]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Elle a déclaré : « Nous allons investir dans la région. »", "fr"),
        ("She said: “We are going to invest in the region.”", "en"),
        ('She said: "We are going to invest in the region."', "en"),
        ("She said: ‘We are going to invest in the region.’", "en"),
        ("Elle a déclaré : „Nous allons investir dans la région.“", "fr"),
        ("Elle a déclaré : « Nous allons investir dans la région. ”", "fr"),  # mixed pair
    ],
)
def test_every_style_of_quote_mark_opens_and_closes_a_direct_quotation(text, language):
    (quote, kind, _, _), = _quotes(text, language)
    assert kind == "direct"
    assert quote.strip(".").split()[-2:] == (["la", "région"] if language == "fr" else ["the", "region"])


def test_a_quotation_over_several_paragraphs_is_one_and_a_quote_inside_belongs_to_it():
    text = (
        "Rowan Curran a déclaré : « Il est important de reconnaître ce que Microsoft a fait.\n\n"
        "« Je pense qu'ils ont dit “assez” au bon moment, et c'est tout. »\n\nLa suite est connue."
    )
    quotes = _quotes(text, "fr", {"Rowan Curran": "PERSON", "Microsoft": "ORG"})
    assert len(quotes) == 1
    quote, kind, speaker, resolution = quotes[0]
    assert quote.startswith("Il est important") and quote.endswith("c'est tout.") and "“assez”" in quote
    assert (kind, speaker, resolution) == ("direct", "id:Rowan Curran", "mention")


@pytest.mark.parametrize(
    ("text", "language", "speaker", "resolution"),
    [
        ("« Il est important de reconnaître les faits », a déclaré Rowan Curran, analyste.", "fr", "id:Rowan Curran", "mention"),
        ("Rowan Curran a estimé : « Il est important de reconnaître les faits. »", "fr", "id:Rowan Curran", "mention"),
        ("Rowan Curran est analyste. « Il est important de reconnaître les faits », a-t-il ajouté.", "fr", "id:Rowan Curran", "pronoun"),
        ("“It is important to recognise the facts,” said Rowan Curran.", "en", "id:Rowan Curran", "mention"),
        ("“It is important to recognise the facts,” Rowan Curran said.", "en", "id:Rowan Curran", "mention"),
        ("Rowan Curran is an analyst. “It is important to recognise the facts,” he added.", "en", "id:Rowan Curran", "pronoun"),
        ("« Il est important de reconnaître les faits », a déclaré le porte-parole du ministère.", "fr", None, "title_or_role"),
    ],
)
def test_the_speaker_comes_from_the_incise_the_subject_or_a_pronoun(text, language, speaker, resolution):
    (_, kind, found, how), = _quotes(text, language, {"Rowan Curran": "PERSON"})
    assert (kind, found, how) == ("direct", speaker, resolution)


def test_a_quotation_without_a_cue_continues_the_speaker_before_it():
    text = (
        "« Nous devons agir maintenant », a déclaré Beatriz Valle.\n\n"
        "« Les marchés n'attendront pas les retardataires, et les clients non plus. »"
    )
    quotes = _quotes(text, "fr", {"Beatriz Valle": "PERSON"})
    assert [(q[2], q[3]) for q in quotes] == [("id:Beatriz Valle", "mention"), ("id:Beatriz Valle", "continuation")]


@pytest.mark.parametrize(
    ("text", "language", "kind", "content", "speaker"),
    [
        ("Selon Beatriz Valle, le projet coûtera plus cher que prévu.", "fr", "according_to", "le projet coûtera plus cher que prévu", "id:Beatriz Valle"),
        ("Le projet coûtera plus cher que prévu, selon Beatriz Valle.", "fr", "according_to", "Le projet coûtera plus cher que prévu", "id:Beatriz Valle"),
        ("Le projet, selon Beatriz Valle, coûtera plus cher que prévu.", "fr", "according_to", "Le projet, selon Beatriz Valle, coûtera plus cher que prévu", "id:Beatriz Valle"),
        ("Les analystes estiment que le projet coûtera plus cher que prévu.", "fr", "indirect", "le projet coûtera plus cher que prévu", None),
        ("According to Beatriz Valle, the project will cost more than planned.", "en", "according_to", "the project will cost more than planned", "id:Beatriz Valle"),
        ("Beatriz Valle a déclaré que le projet coûterait plus cher que prévu.", "fr", "indirect", "le projet coûterait plus cher que prévu", "id:Beatriz Valle"),
        ("Beatriz Valle said that the project would cost more than planned.", "en", "indirect", "the project would cost more than planned", "id:Beatriz Valle"),
        ("The project will cost more than planned, Beatriz Valle said.", "en", "according_to", "The project will cost more than planned", "id:Beatriz Valle"),
    ],
)
def test_reported_speech_and_according_to(text, language, kind, content, speaker):
    (quote, found_kind, found_speaker, _), = _quotes(text, language, {"Beatriz Valle": "PERSON"})
    assert (quote, found_kind, found_speaker) == (content, kind, speaker)


def test_the_company_said_stands_for_the_organisation_the_text_is_about():
    text = "Telxon Corp expects higher sales. Telxon Corp shares rose. The company said it expects earnings to rise in the fourth quarter."
    quotes = _quotes(text, "en", {"Telxon Corp": "ORG"})
    assert quotes == [("it expects earnings to rise in the fourth quarter", "indirect", "id:Telxon Corp", "title_or_role")]


def _speakers(text: str, language: str, names: dict[str, str]):
    """(quoted words, speaker's entity id, the name it stands for, resolution) of each quotation."""
    quotations = find_quotations(text, _sentences(text), _mentions(text, names), RULES[language])
    return [(text[q.start : q.end], q.speaker_entity_id, q.speaker_name, q.speaker_resolution) for q in quotations]


def test_a_pronoun_stands_for_the_last_person_who_spoke_not_the_last_person_named():
    text = (
        "Nasser Al-Khelaifi a déclaré que le retour de Mauricio Pochettino était une bonne nouvelle. "
        "« Ce sera un nouveau chapitre passionnant pour le club », dit-il."
    )
    quotes = _speakers(text, "fr", {"Nasser Al-Khelaifi": "PERSON", "Mauricio Pochettino": "PERSON"})
    assert quotes[-1][1:] == ("id:Nasser Al-Khelaifi", "Nasser Al-Khelaifi", "pronoun")


def test_a_pronoun_does_not_stand_for_a_person_of_the_other_gender_a_title_gives():
    text = (
        "Johnny Kim, pour sa part, fait l'éloge des travaux de Mme Hawkins sur les souris. "
        "Il déclare : « La qualité du travail est remarquable. »"
    )
    assert _speakers(text, "fr", {"Johnny Kim": "PERSON", "Hawkins": "PERSON"})[0][1] == "id:Johnny Kim"  # not "Mme Hawkins"
    text = "Mrs Thatcher met Mr Major. “We have to go on,” she said."
    assert _speakers(text, "en", {"Thatcher": "PERSON", "Major": "PERSON"})[0][1] == "id:Thatcher"


def test_a_plural_pronoun_is_never_one_person():
    text = "Sylvie Noachovitch défend la famille. « Ils ne lâcheront rien », disent-ils. Ils affirment que les traces d'ADN sont contaminées."
    quotes = _speakers(text, "fr", {"Sylvie Noachovitch": "PERSON"})
    assert [q[1] for q in quotes if q[3] == "pronoun"] == [None]


def test_a_lone_word_the_ner_called_a_person_is_no_antecedent_unless_someone_bears_it_in_full():
    text = "Viktor Bout est né au Tadjikistan. Les avions Iliouchine étaient en vente. « Nous avons le même ennemi », a-t-il dit."
    assert _speakers(text, "fr", {"Viktor Bout": "PERSON", "Iliouchine": "PERSON"})[0][1] == "id:Viktor Bout"


def test_french_il_elle_stand_for_an_organisation_when_no_person_spoke_before():
    text = "L'Organisation mondiale de la santé critique l'annonce. Elle affirme que de telles mesures risqueraient de prolonger la pandémie."
    (quote,) = _speakers(text, "fr", {"Organisation mondiale de la santé": "ORG"})
    assert quote[1:] == ("id:Organisation mondiale de la santé", "Organisation mondiale de la santé", "pronoun")


def test_french_il_elle_stand_for_a_name_the_ner_called_misc_that_spoke():
    # fr_core_news_md files some people's names under MISC: "Thoithi" spoke ("pensait que"), so the
    # next "dit-il" is his, not the friend he names inside his own quotation
    text = (
        "Mariga Thoithi pensait qu'il n'avait pas besoin de répondre à cette banale question. "
        "« J'ai perdu une amie chère, Komu Kami. Je l'ai perdue à 29 ans », dit-il. "
        "« Seulement 16 % des femmes au Kenya ont subi le test », dit-il."
    )
    quotes = _speakers(text, "fr", {"Mariga Thoithi": "MISC", "Komu Kami": "PERSON"})
    assert [q[1:] for q in quotes] == [
        ("id:Mariga Thoithi", "Mariga Thoithi", "mention"),
        ("id:Mariga Thoithi", "Mariga Thoithi", "pronoun"),
        ("id:Mariga Thoithi", "Mariga Thoithi", "pronoun"),
    ]
    # a MISC name that did not speak is no antecedent, and a place that spoke is not one either
    text = "Le film Black Panther a battu des records. « Nous sommes ravis », dit-il."
    assert _speakers(text, "fr", {"Black Panther": "MISC"})[0][1] is None
    text = "Le Kenya a annoncé qu'il va élargir le dépistage du cancer du col. « Nous vaccinerons les filles », a-t-il déclaré."
    assert _speakers(text, "fr", {"Kenya": "LOC"})[-1][1] is None
    # English "he" is a person's pronoun only: a work that spoke is not its antecedent
    text = "The Economist said the rouble has recovered. “Markets have calmed down,” he said."
    assert _speakers(text, "en", {"The Economist": "MISC"})[-1][1] is None


def test_a_name_the_french_model_calls_misc_keeps_its_pronouns_through_the_real_pipeline(french_nlp):
    text = (
        "Le journaliste kenyan Mariga Thoithi a fait une découverte renversante. Mariga Thoithi pensait "
        "qu'il n'avait besoin de répondre à cette question. « J'ai perdu une amie chère, Komu Kami. Je "
        "l'ai perdue à 29 ans », dit-il. « Seulement 16 % des femmes ont subi le test », dit-il."
    )
    sentences, found = extract_mentions(french_nlp, [("d", text)])
    mentions = [
        Mention(start, end, mention_label(model_label, watchlisted), mention, mention)
        for start, end, mention, model_label, watchlisted in found.select(
            "start_char", "end_char", "mention_text", "model_label", "watchlist_name"
        ).iter_rows()
    ]
    spans = [(start, end) for start, end in sentences.select("start_char", "end_char").iter_rows()]
    quotations = [q for q in find_quotations(text, spans, mentions, RULES["fr"]) if q.kind == "direct"]
    assert [q.speaker_name for q in quotations] == ["Thoithi", "Thoithi"]  # whatever label the NER gives him


def test_a_name_right_after_a_persons_title_is_a_person_whatever_its_label():
    # fr_core_news_md calls "Tedros Adhanom Ghebreyesus" an organisation; "le Dr" before it makes him
    # a person, so the next "il" is his, not the last person-labelled speaker's
    text = (
        "Mariangela Simao, vice-présidente de l'OMS, soutient qu'il s'agit d'une tendance très inquiétante. "
        "Auparavant, le Dr Tedros Adhanom Ghebreyesus, chef de l'OMS, a indiqué que le nationalisme vaccinal pourrait durer. "
        "Lors du sommet, il estime que la thésaurisation des vaccins « maintiendrait la pandémie en activité »."
    )
    names = {"Mariangela Simao": "PERSON", "Tedros Adhanom Ghebreyesus": "ORG", "OMS": "ORG"}
    assert _speakers(text, "fr", names)[-1][1:] == ("id:Tedros Adhanom Ghebreyesus", "Tedros Adhanom Ghebreyesus", "pronoun")
    # without the title the organisation stays one, and "il" goes to the person who spoke
    untitled = text.replace("le Dr Tedros", "Tedros")
    assert _speakers(untitled, "fr", names)[-1][1] == "id:Mariangela Simao"


def test_an_acronym_speaks_for_its_long_form():
    text = "L'Union européenne (UE) a durci le ton. L'UE insiste sur le fait que ses contrôles sont temporaires."
    (quote,) = _speakers(text, "fr", {"Union européenne": "ORG", "UE": "ORG"})
    assert quote[1:] == ("id:UE", "Union européenne", "mention")


def test_names_the_ner_missed_a_company_suffix_and_a_name_written_again():
    # "Telxon Corp" found by its suffix; "it said" and "The company said" stand for it
    text = "AKRON, March 3 - Telxon Corp said it expects higher earnings. It said the split will be payable April 17."
    quotes = _speakers(text, "en", {})
    assert [(q[2], q[3]) for q in quotes] == [("Telxon Corp", "mention"), ("Telxon Corp", "pronoun")]
    # "Sousa" alone, after "Monica Sousa", and not mistaken for "…a souligne"
    text = "Monica Sousa dirige l'étude. Sousa souligne que toutes les souris ont été soulagées de la douleur."
    (quote,) = _speakers(text, "fr", {"Monica Sousa": "PERSON"})
    assert quote[1:] == ("id:Monica Sousa", "Monica Sousa", "mention")


def test_a_country_or_a_title_right_beside_the_cue_speaks():
    text = "L'Allemagne a annoncé qu'elle compensera la pénurie de vaccins avec un nouveau médicament."
    assert _speakers(text, "fr", {"Allemagne": "LOC"})[0][1:] == ("id:Allemagne", "Allemagne", "mention")
    text = "Le chaos sur les marchés russes semble s'être calmé, selon The Economist."
    assert _speakers(text, "fr", {"The Economist": "MISC"})[0][1] == "id:The Economist"
    # a place further from the cue does not
    text = "Les marchés de Moscou ont chuté, a déclaré hier un analyste à Paris."
    assert _speakers(text, "fr", {"Moscou": "LOC", "Paris": "LOC"})[0][1] is None


def test_the_subject_before_its_apposition_and_a_title_does_not_end_the_cue():
    text = "Leah Lipsich, de Regeneron, a déclaré « Il y aura des populations à protéger en priorité. »"
    assert _speakers(text, "fr", {"Leah Lipsich": "PERSON", "Regeneron": "PERSON"})[0][1] == "id:Leah Lipsich"
    text = "Le président du PSG, Nasser Al-Khelaifi, a déclaré que le retour de Pochettino était une excellente nouvelle."
    assert _speakers(text, "fr", {"PSG": "ORG", "Nasser Al-Khelaifi": "PERSON"})[0][1] == "id:Nasser Al-Khelaifi"
    text = "« Il faut former le personnel chargé de la loi », déclare le Pr. Jules Wembi, directeur de l'habitat."
    assert _speakers(text, "fr", {"Pr": "LOC", "Jules Wembi": "PERSON"})[0][1] == "id:Jules Wembi"


def test_incises_inside_the_sentence_and_infinitive_clauses_are_reported_speech():
    quotes = _quotes("Ceci, dit-il, l'a conduit à rejoindre un collectif contre le cancer du col.", "fr")
    assert [(q[0], q[1]) for q in quotes] == [("Ceci, dit-il, l'a conduit à rejoindre un collectif contre le cancer du col", "according_to")]
    quotes = _quotes("Viktor Bout dit avoir envoyé des armes en Afghanistan.", "fr", {"Viktor Bout": "PERSON"})
    assert quotes == [("avoir envoyé des armes en Afghanistan", "indirect", "id:Viktor Bout", "mention")]
    quotes = _quotes("Lo said income from ship repairing almost doubled last year.", "en", {"Lo": "PERSON"})
    assert quotes == [("income from ship repairing almost doubled last year", "indirect", "id:Lo", "mention")]
    # not speech: a reflexive verb, an observation, "said" before a preposition
    assert _quotes("La consommation d'électricité se maintient à des niveaux normaux, dit-on.", "fr") == []
    assert _quotes("Les chercheurs ont constaté que la composition du microbiome s'était améliorée.", "fr") == []
    assert _quotes("The company said in a statement.", "en") == []


def test_reported_speech_loses_stray_quote_marks_and_never_is_a_direct_quotations_cue():
    assert [q[0] for q in _quotes("Il a écrit que c'est un problème masculin ».", "fr")] == ["c'est un problème masculin"]
    text = "Les procureurs ont dit qu'il avait déclaré : « Nous avons le même ennemi. »"
    assert [(q[0], q[1]) for q in _quotes(text, "fr")] == [("Nous avons le même ennemi.", "direct")]


def test_wire_copy_wrapped_at_a_fixed_width_keeps_its_quotations_and_cues_whole():
    text = (
        "TELXON SEES HIGHER NET\n    Telxon Corp said it expects higher\nearnings. \"We expect record sales this year and\n"
        "next,\" said John Smith, the\nchairman.\n    The company said it will open\ntwo plants in Ohio next year."
    )
    quotes = _quotes(text, "en", {"TELXON": "ORG", "Telxon Corp": "ORG", "John Smith": "PERSON", "Ohio": "LOC"})
    direct = [q for q in quotes if q[1] == "direct"]
    assert direct == [("We expect record sales this year and\nnext,", "direct", "id:John Smith", "mention")]
    # "the company" stands for the organisation written in mixed case, not the headline's capitals
    assert ("it will open\ntwo plants in Ohio next year", "indirect", "id:Telxon Corp", "title_or_role") in quotes


def test_the_headline_is_not_speech():
    text = 'Afrique: "Nous ne pouvons pas rester silencieux!"\nLe BMJ parle "d\'un continent qui est un désert de vaccins", dit-il.'
    sentences, rules = _sentences(text), RULES["fr"]
    quotes = find_quotations(text, sentences, [], rules, title='Afrique: "Nous ne pouvons pas rester silencieux!"')
    assert [text[q.start : q.end] for q in quotes] == ["d'un continent qui est un désert de vaccins"]
    # a first line that ends like a sentence is a headline only when it is the title
    sentence_like = 'Il a dit : "Nous ne pouvons pas rester silencieux."\nLa suite.'
    assert len(find_quotations(sentence_like, _sentences(sentence_like), [], rules)) == 1
    assert find_quotations(sentence_like, _sentences(sentence_like), [], rules, title=sentence_like.split("\n")[0]) == []


def test_scare_quotes_and_titles_are_not_speech():
    text = "Le livre intitulé « Ne pas déranger, jamais » est sorti. Le « géant » a perdu. Un projet baptisé « Copilot pour tous »."
    assert _quotes(text, "fr") == []


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("une hausse de 12,5 % en un an", "fr", [("12,5 %", "percent", 12.5, None, False)]),
        ("un budget de 1\u00a0500\u00a0000 euros", "fr", [("1\u00a0500\u00a0000 euros", "money", 1500000.0, "EUR", False)]),
        ("un budget de 2\u202f300 € cette année", "fr", [("2\u202f300 €", "money", 2300.0, "EUR", False)]),
        ("14 milliards de dollars et 1,5 million d'euros", "fr", [("14 milliards de dollars", "money", 1.4e10, "USD", False), ("1,5 million d'euros", "money", 1.5e6, "EUR", False)]),
        ("Microsoft a investi plus de $10B dans OpenAI", "fr", [("$10B", "money", 1e10, "USD", True)]),
        ("€5 million, £3.2bn and $250k", "en", [("€5 million", "money", 5e6, "EUR", False), ("£3.2bn", "money", 3.2e9, "GBP", False), ("$250k", "money", 2.5e5, "USD", False)]),
        ("profit of 25 mln dlrs, a 10 cts dividend and 1,500 dlrs", "en", [("25 mln dlrs", "money", 2.5e7, "USD", False), ("10 cts", "money", 0.1, "USD", False), ("1,500 dlrs", "money", 1500.0, "USD", False)]),
        ("between 10 and 12 billion dollars", "en", [("10", "money", 1e10, "USD", False), ("12 billion dollars", "money", 1.2e10, "USD", False)]),
        ("plusieurs milliards de dollars", "fr", [("plusieurs milliards de dollars", "money", 1e9, "USD", True)]),
        ("a multi-billion dollar deal", "en", [("multi-billion dollar", "money", 1e9, "USD", True)]),
        ("4.5 billion Canadian dlrs", "en", [("4.5 billion Canadian dlrs", "money", 4.5e9, "CAD", False)]),
        ("The Canadian dollar fell; the deal is worth 3 billion dollars", "en", [("3 billion dollars", "money", 3e9, "CAD", False)]),
        ("500 000 francs CFA au Cameroun, 200 francs", "fr", [("500 000 francs CFA", "money", 5e5, "XAF", False), ("200 francs", "money", 200.0, None, False)]),
        ("about 3 pct", "en", [("3 pct", "percent", 3.0, None, True)]),
        ("environ 3 %", "fr", [("3 %", "percent", 3.0, None, True)]),
        ("rates rose 5-3/4 pct and 7/8 of a percentage point", "en", [("5-3/4 pct", "percent", 5.75, None, False), ("7/8 of a percentage point", "percent", 0.875, None, False)]),
        ("À Abidjan, en Côte d'Ivoire, pas au Cameroun : 5.000 Fcfa", "fr", [("5.000 Fcfa", "money", 5000.0, "XOF", False)]),
        ("2 000 personnes et 77 ans", "fr", []),
    ],
)
def test_amounts(text, language, expected):
    found = [(text[a.start : a.end], a.kind, a.value, a.currency, a.is_approximate) for a in find_amounts(text, RULES[language])]
    assert found == expected


@pytest.mark.parametrize(
    ("token", "separator", "value"),
    [("1 500", ",", 1500.0), ("1,5", ",", 1.5), ("1.500.000", ",", 1500000.0), ("1,500", ".", 1500.0), ("1.5", ".", 1.5), ("1,500.25", ".", 1500.25)],
)
def test_numbers_follow_the_languages_separators(token, separator, value):
    assert parse_number(token, separator) == value


ANCHOR = dt.datetime(2023, 9, 14, 10, 30)  # a Thursday


@pytest.mark.parametrize(
    ("text", "language", "precision", "expected"),
    [
        ("hier", "fr", "second", ("relative", "day", dt.date(2023, 9, 13), "resolved")),
        ("mardi dernier", "fr", "second", ("relative", "day", dt.date(2023, 9, 12), "resolved")),
        ("last Thursday", "en", "second", ("relative", "day", dt.date(2023, 9, 7), "resolved")),
        ("on Tuesday", "en", "second", ("relative", "day", dt.date(2023, 9, 12), "resolved")),
        ("la semaine dernière", "fr", "day", ("relative", "week", dt.date(2023, 9, 4), "resolved")),
        ("next week", "en", "second", ("relative", "week", dt.date(2023, 9, 18), "resolved")),
        ("le mois prochain", "fr", "month", ("relative", "month", dt.date(2023, 10, 1), "resolved")),
        ("l'an dernier", "fr", "year", ("relative", "year", dt.date(2022, 1, 1), "resolved")),
        ("three days ago", "en", "second", ("relative", "day", dt.date(2023, 9, 11), "resolved")),
        ("il y a deux semaines", "fr", "second", ("relative", "week", dt.date(2023, 8, 28), "resolved")),
        ("Feb 26", "en", "second", ("relative", "day", dt.date(2023, 2, 26), "resolved")),
        ("3 mars 2020", "fr", "second", ("absolute", "day", dt.date(2020, 3, 3), "resolved")),
        ("March 3, 1987", "en", None, ("absolute", "day", dt.date(1987, 3, 3), "resolved")),
        ("en juin 2020", "fr", None, ("absolute", "month", dt.date(2020, 6, 1), "resolved")),
        ("depuis 2019", "fr", None, ("absolute", "year", dt.date(2019, 1, 1), "resolved")),
        ("Mardi dernier", "fr", "month", ("relative", "day", None, "anchor_too_coarse")),
        ("la semaine dernière", "fr", "year", ("relative", "week", None, "anchor_too_coarse")),
        ("cette année", "fr", "month", ("relative", "year", dt.date(2023, 1, 1), "resolved")),
        ("avril dernier", "fr", "day", ("relative", "month", dt.date(2023, 4, 1), "resolved")),
        ("juin prochain", "fr", "day", ("relative", "month", dt.date(2024, 6, 1), "resolved")),
        ("last April", "en", "day", ("relative", "month", dt.date(2023, 4, 1), "resolved")),
        ("fin novembre", "fr", "month", ("relative", "month", dt.date(2023, 11, 1), "resolved")),
        ("dans les années 1990", "fr", None, ("absolute", "year", dt.date(1990, 1, 1), "resolved")),
        ("in the 1980s", "en", None, ("absolute", "year", dt.date(1980, 1, 1), "resolved")),
    ],
)
def test_dates_are_resolved_against_the_publication_date(text, language, precision, expected):
    (mention,) = find_dates(text, RULES[language], ANCHOR if precision else None, precision)
    assert (mention.kind, mention.granularity, mention.resolved_date, mention.status) == expected


def test_a_relative_date_without_a_publication_date_has_no_anchor():
    (mention,) = find_dates("La semaine dernière, Microsoft a annoncé.", RULES["fr"], None, None)
    assert (mention.status, mention.resolved_date, mention.granularity) == ("no_anchor", None, "week")


@pytest.mark.parametrize(
    ("text", "language"),
    [("Il a 77 ans.", "fr"), ("for three years", "en"), ("2000 people came", "en"), ("pendant deux semaines", "fr")],
)
def test_ages_durations_and_counts_are_not_dates(text, language):
    assert find_dates(text, RULES[language], ANCHOR, "second") == []


def test_extract_reuses_the_rows_of_documents_it_has_seen():
    text = "« Nous allons investir », a déclaré Rowan Curran mardi dernier. Le budget est de 14 milliards de dollars."
    documents = pl.DataFrame(
        {
            "doc_id": ["a"],
            "language": ["fr"],
            "text": [text],
            "published_at": [ANCHOR],
            "published_at_precision": ["second"],
            "is_current": [True],
            "analysis_fingerprint": ["nlp1"],
        }
    )
    sentences = pl.DataFrame({"doc_id": ["a", "a"], "start_char": [0, 64], "end_char": [63, len(text)], "sentiment": [0.5, None]})
    start = text.find("Rowan Curran")
    mentions = pl.DataFrame(
        {
            "doc_id": ["a"],
            "field": ["text"],
            "start_char": [start],
            "end_char": [start + 12],
            "label": ["PERSON"],
            "mention_text": ["Rowan Curran"],
            "entity_id": ["rc"],
        }
    )
    first = extract(documents, sentences, mentions, RULES, "rules1")
    assert (first.quotations.height, first.amounts.height, first.date_mentions.height) == (1, 1, 1)
    quote = first.quotations.row(0, named=True)
    assert (quote["speaker_entity_id"], quote["sentiment"], quote["sentence_index"]) == ("rc", 0.5, 0)
    assert first.date_mentions.row(0, named=True)["anchor_date"] == dt.date(2023, 9, 14)
    again = extract(documents, sentences, mentions, RULES, "rules1", previous=(first.quotations, first.amounts, first.date_mentions))
    assert (again.n_extracted, again.n_reused) == (0, 1)
    assert again.quotations.equals(first.quotations) and again.amounts.equals(first.amounts)
    changed = extract(documents, sentences, mentions, RULES, "rules2", previous=(first.quotations, first.amounts, first.date_mentions))
    assert (changed.n_extracted, changed.n_reused) == (1, 0)
    assert changed.quotations.drop("extraction_fingerprint").equals(first.quotations.drop("extraction_fingerprint"))
