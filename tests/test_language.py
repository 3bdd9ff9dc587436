from __future__ import annotations

import pickle
from pathlib import Path

import polars as pl
import pytest

from transforms.langdetect_fast import load_detector
from transforms.language import (
    LANGUAGE_SCRIPTS,
    LOW_CONFIDENCE,
    SCRIPT_MISMATCH,
    TOO_SHORT,
    UNSUPPORTED_LANGUAGE,
    LanguageDetector,
    _guard_detector,
    _guard_languages,
    _preload_guard,
    detect_languages,
    preload_profiles,
)

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


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
        # languages next to one langdetect lacks (Bosnian, Malay, Zulu): the guard leaves them be
        ("Vlada je u srijedu objavila nove mjere za pomoć kućanstvima, rekao je glasnogovornik u Zagrebu.", "hr"),
        (
            "Pemerintah Indonesia mengumumkan langkah baru untuk membantu masyarakat menghadapi kenaikan harga, "
            "kata juru bicara di Jakarta.",
            "id",
        ),
        (
            "Serikali imetangaza mpango mpya wa kusaidia wakulima nchini kote mwaka huu, alisema waziri wa kilimo.",
            "sw",
        ),
    ],
)
def test_detects_languages(detector, text, language):
    assert detector.detect(text) == (language, pytest.approx(1.0, abs=1e-3), None)


@pytest.mark.parametrize("text", ["", "ok", "1234 5678", "https://example.com/a/very/long/path"])
def test_too_little_text_is_undetermined(detector, text):
    assert detector.detect(text) == ("und", 0.0, TOO_SHORT)


ZULU = (
    "Ngiyabonga kakhulu ngokusiza kwakho namhlanje, sizobonana kusasa ekuseni esikoleni. "
    "Abantwana bafunda izincwadi ezintsha."
)
MALAY = (
    "Kerajaan Malaysia mengumumkan langkah baharu untuk membantu rakyat menghadapi kenaikan kos sara hidup, "
    "kata Perdana Menteri semalam."
)
ARMENIAN = "Բարեւ, ինչպես ես։ Այսօր եղանակը շատ լավ է, և մենք գնում ենք զբոսնելու։"
AMHARIC = "ሰላም ነው። ዛሬ አየሩ በጣም ጥሩ ነው፣ እና ወደ ገበያ እንሄዳለን።"
ICELANDIC = (
    "Ríkisstjórnin kynnti í dag nýjar aðgerðir til að styðja við heimilin í landinu. Forsætisráðherra sagði að "
    "verðbólgan hefði lækkað og að vextir myndu lækka á næstu mánuðum."
)
KAZAKH = "Қазақстан үкіметі бүгін экономиканы қолдау үшін жаңа шаралар жариялады, деді премьер-министр."


@pytest.mark.parametrize(
    ("text", "langdetect", "reason"),
    [
        # lingua: Zulu (Zulu and Xhosa, together), not Swahili; Malay, not Indonesian
        (ZULU, "sw", UNSUPPORTED_LANGUAGE),
        (MALAY, "id", UNSUPPORTED_LANGUAGE),
        # Armenian letters, which no language of langdetect's is written in, labelled Estonian
        (ARMENIAN, "et", SCRIPT_MISMATCH),
        # Ethiopic text labelled Arabic for its one Arabic word
        (AMHARIC + " مرحبا", "ar", SCRIPT_MISMATCH),
        # langdetect's seven trials disagree: Danish 6 of 7 for Icelandic (0.86, Danish under the
        # old minimum of 0.70), Russian 4 of 7 for Kazakh
        (ICELANDIC, "da", LOW_CONFIDENCE),
        (KAZAKH, "ru", LOW_CONFIDENCE),
    ],
)
def test_undetermined_with_a_reason(detector, text, langdetect, reason):
    """Each reason, with a text in a language langdetect lacks that it gives a wrong answer."""
    best, probability = load_detector(0).probabilities([text])[0][0]
    assert best == langdetect
    assert detector.detect(text) == ("und", round(probability, 4), reason)


def test_the_old_minimum_probability_took_the_icelandic_text_for_danish():
    assert LanguageDetector(min_confidence=0.70, guard=False).detect(ICELANDIC).language == "da"
    # with the old minimum, lingua would have caught it
    assert LanguageDetector(min_confidence=0.70).detect(ICELANDIC).reason == UNSUPPORTED_LANGUAGE


def test_letters_of_no_known_script_are_undetermined(detector):
    assert detector.detect(AMHARIC) == ("und", 0.0, SCRIPT_MISMATCH)
    assert detector.detect("ᚠᚢᚦᚨᚱᚲ ᚷᚹᚺᚾᛁᛃ ᛇᛈᛉᛊᛏᛒ") == ("und", 0.0, SCRIPT_MISMATCH)


def test_the_guard_is_what_makes_zulu_undetermined():
    assert LanguageDetector(guard=False).detect(ZULU) == ("sw", 1.0, None)
    # a guard that needs more than lingua gives: langdetect's answer stands
    assert LanguageDetector(guard_confidence=1.01).detect(ZULU).language == "sw"


def test_a_few_foreign_letters_do_not_change_the_script(detector):
    text = "Le Kremlin (Кремль) a annoncé mercredi de nouvelles sanctions contre plusieurs entreprises européennes."
    assert detector.detect(text).language == "fr"


def test_every_language_of_langdetect_has_its_scripts():
    covered = {language.split("-")[0] for language in load_detector(0).languages}
    assert covered <= set(LANGUAGE_SCRIPTS)


def test_the_guard_chooses_among_the_answer_and_the_languages_langdetect_lacks():
    covered = frozenset(language.split("-")[0] for language in load_detector(0).languages)
    names = lambda code: {language.name for language in _guard_languages(code, covered)}  # noqa: E731
    assert {"SWAHILI", "ZULU", "XHOSA", "SHONA", "TSONGA"} <= names("sw")
    assert "ENGLISH" not in names("sw") and "BOSNIAN" in names("sw")
    assert {"BOKMAL", "NYNORSK", "ICELANDIC"} <= names("no")
    assert {"RUSSIAN", "KAZAKH", "BELARUSIAN", "MONGOLIAN", "SERBIAN"} == names("ru")
    # scripts with no language langdetect lacks, and languages lingua does not know: no guard
    assert _guard_languages("ja", covered) is None
    assert _guard_languages("ar", covered) is None
    assert _guard_languages("ml", covered) is None


def test_detection_is_deterministic_across_detectors():
    text = "Le partenariat entre Microsoft and OpenAI se complexifie, les deux entreprises poursuivant leurs objectifs."
    results = {LanguageDetector().detect(text) for _ in range(5)}
    assert len(results) == 1


def test_detect_languages_adds_columns(detector):
    frame = detect_languages(
        pl.DataFrame({"doc_id": ["a", "b"], "text": ["Ceci est un texte écrit en français.", ZULU]}), detector
    )
    assert frame.columns == ["doc_id", "text", "language", "language_confidence", "language_reason"]
    assert frame.select("language", "language_reason").rows() == [("fr", None), ("und", UNSUPPORTED_LANGUAGE)]


def test_the_seeds_keep_their_languages(detector):
    found = sorted(detector.detect(path.read_text(encoding="utf-8")).language for path in SEEDS.glob("*.txt"))
    assert found == ["en", "fr", "fr", "fr", "fr"]


GERMAN = "Die Bundesregierung hat am Mittwoch neue Maßnahmen beschlossen, sagte ein Sprecher in Berlin."


def test_detector_survives_pickling_for_worker_processes():
    detector = LanguageDetector(seed=3, max_chars=500, min_confidence=0.5, guard_chars=200, guard_confidence=0.8)
    copy = pickle.loads(pickle.dumps(detector))
    assert (copy.seed, copy.max_chars, copy.min_confidence, copy.guard, copy.guard_chars, copy.guard_confidence) == (
        3,
        500,
        0.5,
        True,
        200,
        0.8,
    )
    assert len(pickle.dumps(detector)) < 1000, "the profiles and lingua's models must not travel with every batch"
    assert copy.detect(GERMAN) == detector.detect(GERMAN)
    assert copy.detect(ZULU) == detector.detect(ZULU)
    assert pickle.loads(pickle.dumps(LanguageDetector(guard=False))).guard is False


def test_texts_detected_together_answer_as_one_by_one(detector):
    texts = [
        "Die Bundesregierung hat am Mittwoch neue Maßnahmen beschlossen, sagte ein Sprecher in Berlin.",
        "Правительство России объявило о новых мерах поддержки экономики в среду вечером.",
        "Tiếng Việt có dấu: Chính phủ đã công bố kế hoạch phát triển kinh tế mới.",
        "ᚠᚢᚦᚨᚱᚲ ᚷᚹᚺᚾᛁᛃ ᛇᛈᛉᛊᛏᛒ",  # letters, but no n-gram langdetect knows
        "",
        "12 345",
        "Hello",
        ZULU,
        ARMENIAN,
    ] * 3
    assert detector.detect_many(texts) == [detector.detect(text) for text in texts]
    assert detector.detect_many([]) == []


def test_preloaded_profiles_are_the_ones_detectors_use():
    preload_profiles(5)
    hits = load_detector.cache_info().hits
    LanguageDetector(seed=5)
    assert load_detector.cache_info().hits == hits + 1


def test_lingua_models_load_once_per_process(detector):
    preload_profiles(0)
    preload_profiles(0)
    assert _preload_guard.cache_info().currsize == 1
    detector.detect(ZULU)
    misses = _guard_detector.cache_info().misses
    LanguageDetector().detect(ZULU)
    pickle.loads(pickle.dumps(detector)).detect(ZULU)
    assert _guard_detector.cache_info().misses == misses


def test_the_fingerprint_changes_with_the_guard_and_lingua(monkeypatch):
    """Reruns detect again when the guard's settings or code or lingua's version change."""
    from pipelines import resources
    from pipelines.resources import LanguageDetection

    before = LanguageDetection(seed=0).fingerprint()
    assert LanguageDetection(seed=0, guard=False).fingerprint() != before
    assert LanguageDetection(seed=0, guard_chars=500).fingerprint() != before
    assert LanguageDetection(seed=0, guard_confidence=0.8).fingerprint() != before
    real = resources.installed_version
    for package in ("lingua-language-detector", "langdetect"):
        monkeypatch.setattr(
            resources, "installed_version", lambda name, p=package: "9.9.9" if name == p else real(name)
        )
        assert LanguageDetection(seed=0).fingerprint() != before, f"an upgrade of {package} would reuse old languages"
    monkeypatch.setattr(resources, "installed_version", real)
    monkeypatch.setattr(resources, "GUARD_VERSION", "language-guard-0")
    assert LanguageDetection(seed=0).fingerprint() != before
    monkeypatch.undo()
    assert LanguageDetection(seed=0).fingerprint() == before
    detector = LanguageDetection(seed=0, guard_chars=200, guard_confidence=0.8).detector()
    assert (detector.guard, detector.guard_chars, detector.guard_confidence, detector.min_confidence) == (
        True,
        200,
        0.8,
        0.9,
    )


def test_both_chinese_profiles_count_for_chinese(detector):
    """langdetect splits Chinese in zh-cn and zh-tw: a text between them is Chinese, with the two
    probabilities added up (alone, neither reaches the minimum)."""
    text = "这座城市的天气非常好，很多人去公园散步。這座城市的天氣非常好，很多人去公園散步。"
    found = load_detector(0).probabilities([text])[0]
    assert {name for name, _ in found} == {"zh-cn", "zh-tw"} and found[0][1] < detector.min_confidence
    assert detector.detect(text) == ("zh", round(sum(value for _, value in found), 4), None)
