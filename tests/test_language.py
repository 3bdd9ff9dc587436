from __future__ import annotations

import polars as pl
import pytest

from transforms.langdetect_fast import load_detector
from transforms.language import LanguageDetector, detect_languages, preload_profiles


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


GERMAN = "Die Bundesregierung hat am Mittwoch neue Maßnahmen beschlossen, sagte ein Sprecher in Berlin."


def test_detector_survives_pickling_for_worker_processes():
    import pickle

    detector = LanguageDetector(seed=3, max_chars=500, min_confidence=0.5)
    copy = pickle.loads(pickle.dumps(detector))
    assert (copy.seed, copy.max_chars, copy.min_confidence) == (3, 500, 0.5)
    assert len(pickle.dumps(detector)) < 1000, "the profiles must not travel with every batch"
    assert copy.detect(GERMAN) == detector.detect(GERMAN)


def test_texts_detected_together_answer_as_one_by_one(detector):
    texts = [
        "Die Bundesregierung hat am Mittwoch neue Maßnahmen beschlossen, sagte ein Sprecher in Berlin.",
        "Правительство России объявило о новых мерах поддержки экономики в среду вечером.",
        "Tiếng Việt có dấu: Chính phủ đã công bố kế hoạch phát triển kinh tế mới.",
        "ᚠᚢᚦᚨᚱᚲ ᚷᚹᚺᚾᛁᛃ ᛇᛈᛉᛊᛏᛒ",  # letters, but no n-gram langdetect knows
        "",
        "12 345",
        "Hello",
    ] * 3
    assert detector.detect_many(texts) == [detector.detect(text) for text in texts]
    assert detector.detect_many([]) == []


def test_preloaded_profiles_are_the_ones_detectors_use():
    preload_profiles(5)
    hits = load_detector.cache_info().hits
    LanguageDetector(seed=5)
    assert load_detector.cache_info().hits == hits + 1
