from __future__ import annotations

import polars as pl
import pytest

from transforms.language import LanguageDetector, detect_languages


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector()


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Microsoft et OpenAI ont été désignés comme défendeurs dans un autre recours collectif.", "fr"),
        ("Microsoft and OpenAI were named as defendants in another class action lawsuit.", "en"),
        ("Microsoft y OpenAI fueron nombrados demandados en otra demanda colectiva.", "es"),
        ("Microsoft und OpenAI wurden in einer weiteren Sammelklage als Beklagte genannt.", "de"),
        ("Microsoft и OpenAI были названы ответчиками в другом коллективном иске.", "ru"),
        ("微软和OpenAI在另一起集体诉讼中被列为被告。", "zh"),
    ],
)
def test_detects_languages(detector, text, language):
    assert detector.detect(text)[0] == language


@pytest.mark.parametrize("text", ["", "ok", "1234 5678", "https://example.com/a/very/long/path"])
def test_too_little_text_is_undetermined(detector, text):
    assert detector.detect(text) == ("und", 0.0)


def test_detection_is_deterministic_across_detectors():
    text = "Le partenariat entre Microsoft and OpenAI se complexifie, les deux entreprises poursuivant leurs objectifs."
    results = {LanguageDetector().detect(text) for _ in range(5)}
    assert len(results) == 1


def test_detect_languages_adds_columns(detector):
    frame = detect_languages(
        pl.DataFrame({"doc_id": ["a"], "text": ["Ceci est un texte écrit en français."]}), detector
    )
    assert frame.columns == ["doc_id", "text", "language", "language_confidence"]
    assert frame.row(0)[2] == "fr"


FAST_PATH_TEXTS = [
    "Microsoft et OpenAI ont été désignés comme défendeurs dans un autre recours collectif.",
    "THE COMPANY SAID IT EXPECTS SALES TO RISE. Shares of IBM Corp rose 2.5 pct on the NYSE.",
    "Die Bundesregierung hat am Mittwoch neue Maßnahmen beschlossen, sagte ein Sprecher in Berlin.",
    "El Gobierno aprobó el martes la reforma, según fuentes del Ministerio de Economía en Madrid.",
    "Il governo italiano ha approvato la legge di bilancio dopo un lungo dibattito in Parlamento.",
    "O presidente disse que a economia brasileira vai crescer mais do que o esperado este ano.",
    "De minister zei dat het kabinet volgende week met een nieuw voorstel komt voor de zorg.",
    "Правительство России объявило о новых мерах поддержки экономики в среду вечером.",
    "أعلنت الحكومة عن خطة جديدة لدعم الاقتصاد الوطني خلال العام المقبل",
    "日本政府は水曜日、新しい経済対策を発表した。東京の株価は上昇した。",
    "Tiếng Việt có dấu: Chính phủ đã công bố kế hoạch phát triển kinh tế mới.",
    "Mixed: le CEO de OpenAI, Sam Altman, said “we are excited” — voir https://openai.com/blog pour plus.",
    "ALL CAPS HEADLINE ABOUT MARKETS AND RATES\nfollowed by a lower-case paragraph about the central bank.",
    "  spaces   everywhere\tand\ttabs  ,  punctuation !!! ??? ...  and numbers 12 345,67 € ",
]


@pytest.mark.parametrize("text", FAST_PATH_TEXTS)
def test_fast_detector_answers_exactly_as_langdetect(text):
    """The rewritten hot loops must not change a single probability, for any text."""
    from langdetect.detector import Detector

    from transforms.language import FastDetector, _factory

    for seed in (0, 7):
        factory = _factory(seed)
        reference, fast = Detector(factory), FastDetector(factory)
        for detector in (reference, fast):
            detector.append(text)
        expected = [(p.lang, p.prob) for p in reference.get_probabilities()]
        assert [(p.lang, p.prob) for p in fast.get_probabilities()] == expected
        assert fast.langprob == reference.langprob


def test_detector_survives_pickling_for_worker_processes():
    import pickle

    detector = LanguageDetector(seed=3, max_chars=500, min_confidence=0.5)
    copy = pickle.loads(pickle.dumps(detector))
    assert (copy.seed, copy.max_chars, copy.min_confidence) == (3, 500, 0.5)
    assert len(pickle.dumps(detector)) < 1000, "the profiles must not travel with every batch"
    assert copy.detect(FAST_PATH_TEXTS[2]) == detector.detect(FAST_PATH_TEXTS[2])


def test_texts_detected_together_answer_as_langdetect_one_by_one():
    """Trials of many texts run side by side (and the last few one by one): every probability
    must be the one langdetect computes for the text alone."""
    from langdetect.detector import Detector

    from transforms.language import FastDetector, _factory, _gram_table, _run_trials

    texts = [text for text in FAST_PATH_TEXTS * 3 if text.strip(" 0123456789,.!?€\t")]
    for seed in (0, 7):
        factory = _factory(seed)
        _gram_table(id(factory), factory).bound()
        together = [FastDetector(factory) for _ in texts]
        for detector, text in zip(together, texts, strict=True):
            detector.append(text)
            assert detector.prepare()
        _run_trials(together)
        for detector, text in zip(together, texts, strict=True):
            reference = Detector(factory)
            reference.append(text)
            reference.get_probabilities()
            assert detector.langprob == reference.langprob, text

    detector = LanguageDetector()
    mixed = [*FAST_PATH_TEXTS, "", "12 345", "Hello"]
    assert detector.detect_many(mixed) == [detector.detect(text) for text in mixed]
