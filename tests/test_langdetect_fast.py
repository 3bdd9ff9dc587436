"""transforms/langdetect_fast.py against the real langdetect: the same answers, bit for bit.

The fast path reproduces internals of langdetect 1.0.9 and of CPython 3.11's `random`; these tests
are what fails when either changes under it.
"""

from __future__ import annotations

import importlib.metadata
import random
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langdetect import DetectorFactory, LangDetectException
from langdetect.detector import Detector
from langdetect.lang_detect_exception import ErrorCode
from langdetect.utils.ngram import NGram

from transforms.langdetect_fast import FastDetector, load_detector

FIXED_TEXTS = [
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
    "Е",  # Cyrillic capital E: no trial converges, all seven run to langdetect's 1,000-update limit
    "षफ",  # two n-grams, a trial that runs long: with seed 0 its draws outgrow the first window of words
]


def langdetect_answer(factory: DetectorFactory, text: str) -> list[tuple[str, float]]:
    """What the real langdetect answers for `text`: [] where it finds no n-gram it knows."""
    detector = factory.create()
    detector.append(text)
    try:
        return [(language.lang, language.prob) for language in detector.get_probabilities()]
    except LangDetectException as error:
        assert error.get_code() == ErrorCode.CantDetectError
        return []


def test_langdetect_and_python_are_the_versions_reproduced():
    assert importlib.metadata.version("langdetect") == "1.0.9", (
        "transforms/langdetect_fast.py reproduces langdetect 1.0.9 bit for bit: before moving the pin, re-verify "
        "every internal its docstring lists against the new version, then this file"
    )
    assert sys.version_info[:2] == (3, 11), "the fast path reproduces CPython 3.11's random and sum()"


def test_the_internals_reproduced_are_there():
    detector = load_detector(0).factory.create()
    assert (detector.n_trial, detector.alpha, detector.max_text_length, detector.prior_map) == (7, 0.5, 10_000, None)
    assert (Detector.ALPHA_WIDTH, Detector.BASE_FREQ, Detector.ITERATION_LIMIT) == (0.05, 10_000, 1000)
    assert (Detector.CONV_THRESHOLD, Detector.PROB_THRESHOLD, NGram.N_GRAM) == (0.99999, 0.1, 3)
    # random.choice draws with getrandbits (one 32-bit word each below 2**32), randbytes is the
    # words in order, and gauss keeps the second value of each pair
    assert random.Random._randbelow is random.Random._randbelow_with_getrandbits
    generator = random.Random(5)
    words = [generator.getrandbits(32) for _ in range(2)]
    assert random.Random(5).randbytes(8) == b"".join(word.to_bytes(4, "little") for word in words)
    generator.gauss(0.0, 1.0)
    assert generator.gauss_next is not None


@pytest.mark.parametrize("text", FIXED_TEXTS)
@pytest.mark.parametrize("seed", [0, 7])
def test_each_text_gets_langdetects_answer(seed, text):
    fast = load_detector(seed)
    assert fast.probabilities([text]) == [langdetect_answer(fast.factory, text)]


def test_texts_detected_together_get_langdetects_answers_one_by_one():
    """Trials of many texts run side by side (and the last few one by one): every probability must
    be the one langdetect computes for the text alone."""
    texts = [*FIXED_TEXTS * 3, "", "12 345", "ᚠᚢᚦᚨᚱᚲ ᚷᚹᚺᚾᛁᛃ"]  # the last three have no n-gram langdetect knows
    for seed in (0, 7):
        fast = load_detector(seed)
        assert fast.probabilities(texts) == [langdetect_answer(fast.factory, text) for text in texts]
    assert fast.probabilities([]) == []


def test_a_text_of_thousands_of_known_ngrams_gets_langdetects_answer():
    """More n-grams than the n-gram table starts with rows for."""
    fast = load_detector(0)
    bigrams = sorted(gram for gram in fast.factory.word_lang_prob_map if len(gram) == 2 and " " not in gram)
    text = " ".join(bigrams[::4][:3000])
    assert fast.probabilities([text]) == [langdetect_answer(fast.factory, text)]


def test_detectors_are_loaded_once_per_seed():
    assert load_detector(0) is load_detector(0)
    assert isinstance(load_detector(0), FastDetector)
    assert load_detector(7).factory.seed == 7


# Generated text: words of the scripts langdetect's profiles cover (Vietnamese also with its
# marks as combining characters, which langdetect composes), in any case, mixed with punctuation,
# numbers, URLs, mail addresses and stray characters; short, or past langdetect's 10,000 characters.
ALPHABETS = [
    "abcdefghijklmnopqrstuvwxyzàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿßčćđšžłńśźżąęőűřěůťďňșțğış",
    "ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ",  # from U+1EA0, counted as non-Latin
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґўђјљњћџ",
    "αβγδεζηθικλμνξοπρστυφχψωάέήίόύώϊϋΐΰς",
    "ابتثجحخدذرزسشصضطظعغفقكلمنهويىةءأإآیکپچژگ",
    "אבגדהוזחטיכלמנסעפצקרשתךםןףץ",
    "अआइईउऊएऐओऔकखगघङचछजझञटठडढणतथदधनपफबभमयरलवशषसहािीुूृेैोौंः्",
    "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以会可主发樂國學會說這個們時來對",
    "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをんアイウエオカキクケコサシスセソ",
    "가나다라마바사아자차카타파하한국어는을를이에서",
    "กขคงจฉชซญดตถทธนบปผพฟภมยรลวศษสหอฮะาิีึืุูเแโใไ่้๊๋",
]
SEPARATORS = st.sampled_from([" ", " ", " ", "  ", "\n", "\t", "", ", ", ". ", " — "])
NOISE = st.one_of(
    st.sampled_from(
        [
            "https://example.com/news/2024?id=17&lang=fr",
            "http://t.co/x1Y",
            "www.example.org",
            "jean.dupont@example.fr",
            "#breaking",
            "@reuters",
            "«",
            "»",
            "“",
            "”",
            "…",
            "–",
            "(AFP)",
            "&amp;",
            "€",
            "!!!",
            "?",
        ]
    ),
    st.integers(min_value=0, max_value=10**9).map(str),
    st.text(min_size=1, max_size=4),
)
CASES = st.sampled_from([str.lower, str.lower, str.upper, str.title])


def words(alphabet: str) -> st.SearchStrategy[str]:
    return st.tuples(st.text(alphabet=alphabet, min_size=1, max_size=12), CASES).map(lambda pair: pair[1](pair[0]))


# Vietnamese syllables with decomposed marks: consonant, vowel, combining mark
vietnamese = st.lists(
    st.tuples(
        st.sampled_from("bcdđghklmnpqrstvx"),
        st.sampled_from("aeiouyâêôăơưAEIOUYÂÊÔĂƠƯ"),
        st.sampled_from(["", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]),
    ).map("".join),
    min_size=1,
    max_size=3,
).map("".join)


def joined(tokens: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pieces = st.lists(st.tuples(tokens, SEPARATORS), min_size=1, max_size=40)
    return pieces.map(lambda pairs: "".join(token + separator for token, separator in pairs))


def lengthened(text: str, long: bool) -> str:
    return text * (10_000 // len(text) + 2) if long else text


one_script = st.sampled_from(ALPHABETS).flatmap(lambda alphabet: joined(st.one_of(words(alphabet), NOISE)))
mixed = joined(st.one_of(*(words(alphabet) for alphabet in ALPHABETS), vietnamese, NOISE))
texts = st.builds(lengthened, st.one_of(one_script, mixed, joined(vietnamese)), st.sampled_from([False] * 4 + [True]))


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(seed=st.sampled_from([0, 7]), batch=st.lists(texts, min_size=1, max_size=12))
def test_generated_multilingual_texts_get_langdetects_answers(seed, batch):
    fast = load_detector(seed)
    assert fast.probabilities(batch) == [langdetect_answer(fast.factory, text) for text in batch]


def test_a_stream_too_short_for_its_draws_fails_instead_of_spinning():
    from transforms.langdetect_fast import _draws

    words = np.array([0, 1 << 31, 2, 3, (1 << 32) - 1], dtype=np.int64)  # two of five below 2 after the shift
    values, offsets = _draws(words, 0, 2, 2)
    assert values.tolist() == [0, 0] and offsets.tolist() == [0, 2]
    with pytest.raises(RuntimeError, match="ran out"):
        _draws(words, 0, 4, 2)
