from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipelines.resources import NlpModels
from transforms.nlp import sentiment_scorers
from transforms.sentiment import (
    build_scorers,
    document_tone,
    french_word_variants,
    normalise_social_text,
    parse_overlay,
    score_sentences,
    weighted_document_sentiment,
)


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


# --- overlays (config/sentiment/<language>.toml) --------------------------------------------------

OVERLAYS = Path(__file__).resolve().parent.parent / "config" / "sentiment"


@pytest.fixture(scope="module")
def overlaid():
    """The scorers as the pipeline builds them: with the shipped overlays."""
    texts = {file.stem: file.read_text(encoding="utf-8") for file in OVERLAYS.glob("*.toml")}
    assert {"en", "fr"} <= set(texts)
    return build_scorers({"en": "vader_en", "fr": "vader_fr"}, texts)


@pytest.mark.parametrize(
    ("negated", "plain"),
    [
        ("Ce film n'est pas bon.", "Ce film est bon."),  # ne … pas
        ("Ce film n'est plus bon.", "Ce film est bon."),  # ne … plus
        ("Ce film n'est jamais bon.", "Ce film est bon."),  # ne … jamais
        ("Ce film n'est guère bon.", "Ce film est bon."),  # ne … guère
        ("Ce film n'est point bon.", "Ce film est bon."),  # ne … point
        ("Ce film n'a rien de bon.", "Ce film a du bon."),  # ne … rien
        ("Ce film n’est pas bon.", "Ce film est bon."),  # n’ with a typographic apostrophe
        ("Il n'aime pas ce film.", "Il aime ce film."),  # the verb between ne and pas
        ("Il n’aime pas ce film.", "Il aime ce film."),  # n’ with a typographic apostrophe, before the verb
        ("Il ne réussit jamais.", "Il réussit."),  # ne VERB jamais
        ("Un film sans intérêt.", "Un film d'un grand intérêt."),  # sans
        ("Ce n'est ni bon ni utile.", "C'est bon et utile."),  # ni … ni
        ("C'est pas bon.", "C'est bon."),  # pas alone, as spoken
        ("Ce n'est pas du tout un bon film.", "C'est un bon film."),  # four words apart
        ("Il n'est nulle part heureux.", "Il est heureux."),  # ne … nulle part, a two-word negator
        ("Cela ne va pas bien se terminer pour OpenAI.", "Cela va bien se terminer pour OpenAI."),  # ne … pas bien
    ],
)
def test_each_french_negation_form_turns_the_sign(overlaid, negated, plain):
    assert overlaid["fr"].score(plain) > 0.05
    assert overlaid["fr"].score(negated) < -0.05, negated


@pytest.mark.parametrize(
    "sentence",
    [
        "C'est le plus beau jour de l'année.",  # "plus" without "ne" compares
        "Il n'aime que la fin.",  # ne … que restricts, it does not negate
        "Il n'est pas venu, le spectacle était excellent.",  # the comma ends the negation's clause
        "C'est sans doute une bonne nouvelle.",  # sans doute: a fixed phrase, no negation
    ],
)
def test_french_words_that_look_like_negation_do_not_negate(overlaid, sentence):
    assert overlaid["fr"].score(sentence) > 0.05


def test_the_known_weak_spots_are_fixed(overlaid, scorers):
    """The issue's examples: 'ne va pas bien' was nearly neutral, negation stopped after 3 words."""
    assert scorers["fr"].score("Cela ne va pas bien se terminer pour OpenAI.") > -0.05  # the package alone
    assert overlaid["fr"].score("Cela ne va pas bien se terminer pour OpenAI.") < -0.3
    assert scorers["en"].score("This is not going to end well.") > 0  # the package alone
    assert overlaid["en"].score("This is not going to end well.") < -0.05


@pytest.mark.parametrize(
    ("language", "sentence", "sign"),
    [
        ("fr", "Les licenciements touchent 300 salariés.", -1),
        ("fr", "Une plainte a été déposée contre le ministre.", -1),
        ("fr", "Un recours collectif a été lancé contre la banque.", -1),
        ("fr", "L'entreprise a été placée en faillite.", -1),
        ("fr", "Les ventes atteignent un record.", 1),
        ("fr", "La grève paralyse les transports.", -1),
        ("fr", "Le président a été condamné pour fraude.", -1),
        ("fr", "La croissance repart et un accord est signé.", 1),
        ("fr", "La Coupe du monde se joue sur le terrain des Nations unies.", 0),  # senses, not tone
        ("en", "The company announced layoffs.", -1),
        ("en", "A class action was filed against the bank.", -1),
        ("en", "The airline filed for bankruptcy.", -1),
        ("en", "Sales hit a record.", 1),
        ("en", "Interest on United States Treasury securities and crude oil shares.", 0),
    ],
)
def test_news_vocabulary(overlaid, language, sentence, sign):
    score = overlaid[language].score(sentence)
    assert (score > 0.05) - (score < -0.05) == sign, score


def test_intensifiers_and_dampeners(overlaid):
    fr = overlaid["fr"]
    assert fr.score("Le résultat est très bon.") > fr.score("Le résultat est bon.") > 0
    assert fr.score("Le résultat est vraiment décevant.") < fr.score("Le résultat est décevant.") < 0
    assert fr.score("La situation est trop grave.") < fr.score("La situation est grave.") < 0
    assert fr.score("Le résultat est extrêmement décevant.") < fr.score("Le résultat est décevant.")
    assert 0 <= fr.score("Le résultat est peu satisfaisant.") < fr.score("Le résultat est satisfaisant.")
    en = overlaid["en"]
    assert en.score("Sales were sharply lower.") < en.score("Sales were lower.") < 0


def test_contrast_weighs_the_clause_after_mais(overlaid):
    assert overlaid["fr"].score("Le bilan est bon mais la suite est inquiétante.") < 0
    assert overlaid["fr"].score("La suite est inquiétante mais le bilan est bon.") > 0


def test_a_users_overlay_adds_words_and_phrases_and_removes_words():
    overlay = """
[words]
"qubit" = 2.0
"coup de maître" = 3.0
"bon" = 0
[intensifiers]
"archi" = 0.5
"""
    fr = build_scorers({"fr": "vader_fr"}, {"fr": overlay})["fr"]
    assert fr.score("Un qubit.") > 0.3
    assert fr.score("Un coup de maître.") > 0.5  # the phrase, whose words alone are not positive
    assert fr.score("Un bon film.") == 0.0  # out of the lexicon
    assert fr.score("Un qubit archi rapide.") == fr.score("Un qubit rapide.")  # no sentiment word after archi
    assert fr.score("Pas de qubit.") < 0
    assert fr.word_tone("Un qubit et un bon film.").n_positive == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[words]\n"bon" = 5\n', "not a number in -4.0…4.0"),
        ('[words]\n"bon" = "very"\n', "not a number"),
        ('[mots]\n"bon" = 1\n', "unknown table"),
        ("[negation]\nnegators = 'pas'\n", "must be a list of strings"),
        ("[negation]\nscope = 0\n", "scope must be a whole number"),
        ("[negation]\nnegator = ['pas']\n", "unknown key"),
        ("[words\n", "sentiment overlay for 'fr'"),
    ],
)
def test_a_wrong_overlay_is_refused_with_its_reason(text, message):
    with pytest.raises(ValueError, match=message):
        parse_overlay("fr", text)


def test_overlay_text_and_scoring_code_are_in_the_analysis_fingerprint(tmp_path):
    (tmp_path / "fr.toml").write_text('[words]\n"qubit" = 2.0\n', encoding="utf-8")
    models = NlpModels(sentiment_overlays_path=str(tmp_path))
    settings = models.settings()
    assert settings.sentiment_overlays == (("fr", '[words]\n"qubit" = 2.0\n'),)
    first = models.fingerprint(settings)
    assert models.fingerprint(models.settings()) == first
    (tmp_path / "fr.toml").write_text('[words]\n"qubit" = 1.0\n', encoding="utf-8")
    assert models.fingerprint(models.settings()) != first
    (tmp_path / "fr.toml").write_text('[words]\n"qubit" = 9\n', encoding="utf-8")
    with pytest.raises(ValueError, match="fr.toml"):
        models.settings()


def test_workers_score_with_the_overlays_they_receive(tmp_path):
    settings = NlpModels(sentiment_overlays_path=str(OVERLAYS)).settings()
    scorers = sentiment_scorers(settings.sentiment_backends, settings.sentiment_overlays)
    assert scorers["fr"].score("Les licenciements touchent 300 salariés.") < -0.05
    assert sentiment_scorers(settings.sentiment_backends)["fr"].score("Les licenciements touchent 300 salariés.") == 0


# --- round 2: text normalisation, French word forms, more negation forms ----------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Don\\u2019t go\\u002c ok", "Don’t go, ok"),  # JSON escapes left in the text
        ("\\ud83d\\ude00 fine", "😀 fine"),  # a pair of escapes for one character
        ("A &amp; B &lt;p&gt;", "A & B <p>"),  # HTML entities
        ("@user thanks, mail a@b.com at @ 5", "  thanks, mail a@b.com at @ 5"),  # handles, not addresses
        ("read http://t.co/x or http and www.x.fr", "read   or   and  "),  # links carry no tone
        ("#BlackLivesMatter #USOpen #écologie", " Black Lives Matter   US Open   écologie "),  # hashtags' words
        ("Plain news text.", "Plain news text."),
    ],
)
def test_social_text_is_normalised_before_scoring(text, expected):
    assert normalise_social_text(text) == expected


def test_hashtags_and_escapes_reach_the_lexicon(overlaid):
    en = overlaid["en"]
    assert en.score("#BadNews today") < -0.05  # the hashtag's words are read
    assert en.score("I don\\u2019t like it") < -0.05  # the escaped apostrophe is one, "don't" negates
    assert en.score("@user http") == 0.0


@pytest.mark.parametrize(
    ("form", "lemma"),
    [
        ("jolies", "jolie"),  # plural -s
        ("beaux", "beau"),  # plural -x
        ("normaux", "normal"),  # -aux → -al
        ("passionnantes", "passionnant"),  # feminine plural of an adjective
        ("decevante", "decevant"),
        ("adorees", "adore"),  # a participle's feminine plural
        ("adorent", "adore"),  # third person plural → singular
    ],
)
def test_french_word_variants(form, lemma):
    assert lemma in french_word_variants(form)


def test_french_words_the_lexicon_lacks_are_read_by_their_lemma(overlaid):
    fr = overlaid["fr"]
    assert "passionnantes" not in fr._lexicon and "adorent" not in fr._lexicon
    assert fr.score("Les intrigues sont passionnantes.") > 0.05
    assert fr.score("Les fans adorent la série.") > 0.05
    assert fr.score("Des milliers de morses s'échouent en Alaska.") < -0.05
    assert fr.score("La France et sa base.") == 0.0  # not a feminine ending: no "franc", no "bas"
    assert fr.score("Les intrigues ne sont pas passionnantes.") < -0.05  # negation still reaches it


def test_a_word_an_overlay_removes_is_not_read_by_a_variant():
    fr = build_scorers({"fr": "vader_fr"}, {"fr": '[words]\n"jolies" = 0\n'})["fr"]
    assert fr.score("Des fleurs jolies.") == 0.0
    assert fr.score("Des fleurs jolie.") > 0


def test_personne_before_ne_negates_the_verb(overlaid):
    fr = overlaid["fr"]
    assert fr.score("Tout le monde l'aime.") > 0.05
    assert fr.score("Personne ne l'aime.") < -0.05
    assert fr.score("Plus personne ne l'aime.") < -0.05
    assert fr.score("Une personne gentille.") > 0.05  # the noun does not negate


def test_least_negates_in_english_but_not_at_least(overlaid):
    en = overlaid["en"]
    assert en.score("He was the least happy of them.") < -0.05
    assert en.score("At least he was happy.") > 0.05
    assert en.score("At the very least he was happy.") > 0.05


def test_workers_warm_up_the_scorers_with_the_overlays(monkeypatch):
    """The fork server's preload builds the very scorers (overlays included) the workers ask for."""
    import transforms.nlp
    from pipelines import parallel

    assert parallel.sentiment_overlays_of_environment() == NlpModels().sentiment_overlays()
    monkeypatch.setattr(transforms.nlp, "load_pipeline", lambda *args: None)  # spaCy is not this test's part
    sentiment_scorers.cache_clear()
    parallel.preload()
    settings = NlpModels().settings()
    assert settings.sentiment_overlays  # the shipped en and fr overlays
    hits = sentiment_scorers.cache_info().hits
    sentiment_scorers(settings.sentiment_backends, settings.sentiment_overlays)
    assert sentiment_scorers.cache_info().hits == hits + 1
