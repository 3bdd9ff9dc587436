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
