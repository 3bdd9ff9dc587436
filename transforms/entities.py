"""Named entities: one label set, a watchlist ruler, extraction with spaCy and canonicalisation."""

from __future__ import annotations

import bisect
import csv
import hashlib
import io
import re
import unicodedata
import weakref
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import polars as pl
from spacy.language import Language
from spacy.tokens import Doc

from transforms.schema import ENTITIES, ENTITY_MENTIONS, SENTENCES

WAREHOUSE_LABELS = ("PERSON", "ORG", "LOC", "PRODUCT", "EVENT", "MISC")
IGNORE = "IGNORE"
# Majority ties are broken in this order.
_LABEL_PRECEDENCE = {label: rank for rank, label in enumerate(("PERSON", "ORG", "PRODUCT", "LOC", "EVENT", "MISC"))}

# Model labels → warehouse labels. Labels missing here (CARDINAL, DATE, MONEY, …) are not names
# and are dropped from core.entity_mentions.
LABEL_MAP: dict[str, str] = {
    # WikiNER-style labels (fr_core_news_*)
    "PER": "PERSON",
    "ORG": "ORG",
    "LOC": "LOC",
    "MISC": "MISC",
    # OntoNotes labels (en_core_web_*)
    "PERSON": "PERSON",
    "NORP": "MISC",
    "FAC": "LOC",
    "GPE": "LOC",
    "PRODUCT": "PRODUCT",
    "EVENT": "EVENT",
    "WORK_OF_ART": "MISC",
    "LAW": "MISC",
    "LANGUAGE": "MISC",
}
RULER_NAME = "news_watchlist_ruler"
# Bump when a change of code changes the mentions or entities found (part of the analysis fingerprint).
ENTITIES_VERSION = "entities-5"
LINE_BREAKS = "news_line_break_sentences_v1"


@Language.component(LINE_BREAKS)
def line_break_sentences(doc: Doc) -> Doc:
    """A line break always ends a sentence: titles, headings and list items are not glued to the
    paragraph that follows them. Runs after the sentence splitter."""
    for token in doc[1:]:
        previous = doc[token.i - 1]
        if previous.is_space and "\n" in previous.text and not token.is_space:
            token.is_sent_start = True
    return doc


_ELISION = re.compile(r"^(?:[lLdD]|[qQ]u|[jJ]usqu|[lL]orsqu|[pP]uisqu)['’]")
_POSSESSIVE = re.compile(r"(?:['’][sS]|(?<=[sS])['’])$")
_LEADING_PUNCTUATION = "\"'“”«»‘’()[]{}.,;:!?-–—*•/\\ \n\t"
# A trailing period stays: it belongs to abbreviations (U.S., Corp.); the tokenizer already splits
# sentence-final periods off.
_TRAILING_PUNCTUATION = "\"'“”«»‘’()[]{},;:!?-–—*•/\\ \n\t"


@dataclass(frozen=True)
class WatchlistEntry:
    name: str
    label: str
    aliases: tuple[str, ...]


def parse_watchlist(csv_text: str) -> tuple[WatchlistEntry, ...]:
    """Read `name,label,aliases` rows (aliases separated by `|`); raises `ValueError` on bad labels."""
    entries = []
    for line_number, row in enumerate(csv.DictReader(io.StringIO(csv_text)), start=2):
        name, label = (row.get("name") or "").strip(), (row.get("label") or "").strip().upper()
        if not name:
            continue
        if label not in (*WAREHOUSE_LABELS, IGNORE):
            raise ValueError(
                f"watchlist line {line_number}: label {label!r} is not one of {(*WAREHOUSE_LABELS, IGNORE)}"
            )
        aliases = tuple(alias.strip() for alias in (row.get("aliases") or "").split("|") if alias.strip())
        entries.append(WatchlistEntry(name, label, aliases))
    return tuple(entries)


def mention_key(text: str) -> str:
    """The key under which surface forms of one name meet: case, spacing and width folded."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().replace("’", "'").split())


def _is_distinctive(form: str) -> bool:
    """Forms like OpenAI or GPT-4 are matched in any case; plain words (Apple, Meta) only as written."""
    return sum(character.isupper() for character in form[1:]) > 0 or any(character.isdigit() for character in form)


def add_watchlist_ruler(nlp: Language, watchlist: Iterable[WatchlistEntry]) -> Language:
    """Put an entity ruler with the watchlist in front of the statistical NER (in place).

    Watchlisted forms are then always found with the watchlist's label; IGNORE forms are claimed
    by the ruler too, so the NER cannot tag them, and dropped later.
    """
    patterns = []
    for entry in watchlist:
        for form in (entry.name, *entry.aliases):
            attribute = "LOWER" if _is_distinctive(form) else "ORTH"
            tokens = [token.text for token in nlp.make_doc(form)]
            pattern = [{attribute: token.lower() if attribute == "LOWER" else token} for token in tokens]
            patterns.append({"label": entry.label, "pattern": pattern, "id": entry.name})
    before = "ner" if "ner" in nlp.pipe_names else None
    ruler = nlp.add_pipe("entity_ruler", name=RULER_NAME, before=before, config={"overwrite_ents": True})
    ruler.add_patterns(patterns)
    return nlp


def trim_mention(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink a span past elided articles (l', d'), possessives ('s) and edge punctuation."""
    for _ in range(3):
        previous = (start, end)
        span = text[start:end]
        stripped = span.lstrip(_LEADING_PUNCTUATION)
        start += len(span) - len(stripped)
        elision = _ELISION.match(text[start:end])
        if elision and end - start > elision.end():
            start += elision.end()
        possessive = _POSSESSIVE.search(text[start:end])
        if possessive and possessive.start() > 0:
            end = start + possessive.start()
        span = text[start:end]
        end -= len(span) - len(span.rstrip(_TRAILING_PUNCTUATION))
        if (start, end) == previous:
            break
    return start, end


def _is_name(text: str) -> bool:
    letters = sum(character.isalpha() for character in text)
    return letters >= 1 and len(text) >= 2 and not _ELISION.fullmatch(text.rstrip("'’") + "'")


@dataclass(frozen=True)
class Lexicon:
    """Common words of a language, the evidence that a capitalised word is not a name: spaCy's stop
    words, and adverbs and verbs (lemmas) from the package's lemmatizer tables (verbs only where
    they are not also first names: French infinitives, not English verbs such as mark or bill)."""

    stop_words: frozenset[str] = frozenset()
    adverbs: frozenset[str] = frozenset()
    verbs: frozenset[str] = frozenset()
    words: frozenset[str] = frozenset()  # every lemma of the index: nouns and adjectives too
    nouns: frozenset[str] = frozenset()  # the index's nouns (evidence for `fragment_keys`)

    def is_common(self, lowercase: str) -> bool:
        """A stop word, an adverb, a verb or a verb's present participle (`ajoutant` of `ajouter`)."""
        if lowercase in self.stop_words or lowercase in self.adverbs or lowercase in self.verbs:
            return True
        stem = lowercase[:-3] if lowercase.endswith("ant") and len(lowercase) > 5 else None
        return stem is not None and any(stem + ending in self.verbs for ending in ("er", "ir", "re"))


_LEXICONS: weakref.WeakKeyDictionary[Language, Lexicon] = weakref.WeakKeyDictionary()


def set_lexicon(nlp: Language, lexicon: Lexicon) -> None:
    """Attach the common words `extract_mentions` uses for this pipeline (see `transforms.nlp`)."""
    _LEXICONS[nlp] = lexicon


def lexicon_of(nlp: Language) -> Lexicon:
    """The pipeline's lexicon; a pipeline loaded without one has its language's stop words only."""
    lexicon = _LEXICONS.get(nlp)
    if lexicon is None:
        lexicon = Lexicon(stop_words=frozenset(word.lower() for word in nlp.Defaults.stop_words))
        _LEXICONS[nlp] = lexicon
    return lexicon


@dataclass(frozen=True)
class Candidate:
    """A mention as the pipeline found it in one document, before the junk filter."""

    start: int
    end: int
    model_label: str
    watchlist_name: str | None


_WORD = re.compile(r"\w+(?:[-'’]\w+)*")
_ORDINAL_NUMBER = re.compile(r"^[\d.,/:-]*\d(?:er|re|e|ème|eme|st|nd|rd|th|s)?$", re.IGNORECASE)
_LEADING_ARTICLE = re.compile(r"^(?:the|a|an|le|la|les|un|une|de|du|des|d'|d’)\s*(?=[^\W\d_])")
_TRAILING_FRAGMENT = re.compile(r"(?:\s+(?:de|du|des|d'|d’|de la|de l'|de l’|of|of the|the|à|au|aux|en|et|and))+$")
_TRAILING_NUMBER = re.compile(r"(?:\s+\d[\d.,]*)+$")
_SECTION_END = re.compile(r"[ \t]*(?:$|\n|[-–—:|/]\s)")
_VERSION = re.compile(r"v?\d+(?:\.\d+)*[a-z]?|[ivx]+")
# Why a candidate is not kept as a name (each kind is pinned by a test).
JUNK_KINDS = (
    "number",
    "function_words",
    "lowercase",
    "address",
    "section_word",
    "common_word",
    "known_phrase",
    "suffix",
    "table",
    "headline",
)
# Company suffixes: a name's end, never a name alone (`Co`, `Co Inc`, `Corp.`).
COMPANY_SUFFIXES = frozenset(
    ["co", "cos", "inc", "corp", "ltd", "plc", "llc", "lp", "sa", "ag", "nv", "bv", "gmbh", "spa", "bhd", "pty"]
)
_NUMBER_TOKEN = re.compile(r"\d")


def trim_fragments(text: str, start: int, end: int, model_label: str) -> tuple[int, int]:
    """Shrink a span past a leading lowercase article or preposition (`the West Bank`, `de France`,
    `la Chine`), a trailing one (`Raw du`) and, for a person, trailing numbers (`G. Kersey 63`)."""
    span = text[start:end]
    article = _LEADING_ARTICLE.match(span)
    if article and article.end() < len(span) and span[article.end()].isupper():
        start += article.end()
    span = text[start:end]
    fragment = _TRAILING_FRAGMENT.search(span)
    if fragment and fragment.start() > 0:
        end = start + fragment.start()
    if LABEL_MAP.get(model_label) == "PERSON":
        number = _TRAILING_NUMBER.search(text[start:end])
        if number and number.start() > 0:
            end = start + number.start()
    return start, end


def _starts_sentence(text: str, start: int, sentence_start: int) -> bool:
    before = text[sentence_start:start]
    return all(not character.isalnum() for character in before)


def _starts_line(text: str, start: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    return text[line_start:start].strip() == ""


def junk_kind(
    text: str,
    candidate: Candidate,
    *,
    at_sentence_start: bool,
    lowercase_words: frozenset[str],
    longer_name_words: frozenset[str],
    mid_sentence_names: frozenset[str],
    known_ends: frozenset[int],
    lexicon: Lexicon,
) -> str | None:
    """Why `candidate` is not a name, or None when it may be one. Evidence only, watchlist first:

    - `number`: digits with at most an ordinal or plural ending (`2023`, `1er`, `1990s`);
    - `function_words`: only articles, prepositions, determiners … (`Le`, `De la`, `The`);
    - `lowercase`: no capital letter nor digit: a common noun (`cloud`, `draft`), not a name;
    - `address`: a web address or a handle (`https://t.co/…`, `@name`);
    - `section_word`: one all-caps word opening a line before a dash, colon or the line's end
      (`SPORTS -`), that the lexicon or the document's own lowercase words know;
    - `common_word`: one capitalised word that is not part of a longer mention of the document
      (`longer_name_words`) and that the language's lexicon says is an adverb, a French verb or a
      stop word (`Ironiquement`, `Rester`), or that opens a sentence while the document also writes
      it in lowercase and never names it mid-sentence (`Nouvelles`), alone or followed by lowercase
      words only (`Nouvelles ressources`);
    - `known_phrase`: one capitalised word right after a watchlisted name, the rest of its phrase
      (`ChatGPT Premium`).
    """
    if candidate.watchlist_name is not None:
        return None
    span = text[candidate.start : candidate.end]
    words = _WORD.findall(span)
    if _ORDINAL_NUMBER.match(span.replace(" ", "")):
        return "number"
    if words and all(word.lower() in lexicon.stop_words for word in words):
        return "function_words"
    if words and all(word.lower() in COMPANY_SUFFIXES for word in words):
        return "suffix"
    line_kind = _line_kind(text, candidate.start, lexicon)
    if line_kind == "table" and all(len(word) <= 4 and not word.isupper() for word in words):
        return "table"  # a row's abbreviation (`Shr`, `Revs`, `Avg`, `cts Net`), not an acronym (`U.S.`)
    if line_kind == "headline" and len(words) == 1 and span.isupper():
        previous = _WORD.findall(text[text.rfind("\n", 0, candidate.start) + 1 : candidate.start])
        if previous and _NUMBER_TOKEN.search(previous[-1]):
            return "headline"  # `2ND QTR`, `MAY 31 NET`
    if not any(character.isupper() or character.isdigit() for character in span):
        return "lowercase"
    if "://" in span or "@" in span or span.lower().startswith("www."):
        return "address"
    if (
        len(words) > 1
        and at_sentence_start
        and span not in mid_sentence_names
        and all(word.islower() for word in words[1:])
        and (lexicon.is_common(words[0].lower()) or words[0].lower() in lowercase_words)
    ):
        return "common_word"  # a heading or a sentence's first words (`Nouvelles ressources –`)
    if len(words) != 1 or words[0] != span or span in longer_name_words:
        return None
    lowercase = span.lower()
    if span.isupper() and len(span) > 1:
        if (
            _starts_line(text, candidate.start)
            and _SECTION_END.match(text, candidate.end)
            and (lowercase in lexicon.words or lowercase in lowercase_words)
        ):
            return "section_word"
        return None
    if not (span[:1].isupper() and (len(span) == 1 or span[1:].islower())):
        return None
    if lexicon.is_common(lowercase):
        return "common_word"
    if at_sentence_start and lowercase in lowercase_words and span not in mid_sentence_names:
        return "common_word"
    if candidate.start - 1 in known_ends and text[candidate.start - 1] == " ":
        return "known_phrase"
    return None


def _line_kind(text: str, position: int, lexicon: Lexicon) -> str | None:
    """`table` for a line of figures such as a Reuters earnings table (`Shr 19 cts vs 16 cts Net
    502,000 dlrs`): two numbers or more, lowercase stop words (`nine` is one) at most one or a tenth
    of the words, and a lowercase word
    neither a stop word nor a word of the lexicon (an abbreviation: cts, mln, dlrs, vs);
    `headline` for an all-caps line of three words or more with a number (`DATA ARCHITECTS INC
    <DAI> 2ND QTR MAY 31 NET`); None for other lines (sports results, `Barnsley 2 Bolton 1`, have
    no abbreviation; prose has stop words)."""
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    line = text[start : end if end >= 0 else len(text)]
    tokens = _WORD.findall(line)
    numbers = sum(1 for token in tokens if _NUMBER_TOKEN.search(token))
    if numbers == 0:
        return None
    lowercase = [token for token in tokens if token.islower() and not _NUMBER_TOKEN.search(token)]
    if not lowercase:
        words = [token for token in tokens if not _NUMBER_TOKEN.search(token)]
        return "headline" if len(tokens) >= 3 and words and all(word.isupper() for word in words) else None
    stop = sum(1 for token in lowercase if token in lexicon.stop_words)
    unknown = any(
        len(token) >= 2
        and not any(word in lexicon.stop_words or word in lexicon.words for word in (token, token.rstrip("s")))
        for token in lowercase
    )
    return "table" if numbers >= 2 and stop <= max(1, len(tokens) // 10) and unknown else None


_TEAM_LINK = re.compile(r"\s+(?:de|du|d['’])\s*")
TEAM_LABEL = "ORG"


_TEAM_SPAN = re.compile(r"(\w+)\s+(?:de|du|d['’])\s*[A-ZÀ-ÖØ-Þ][\w-]*(?:\s+[A-ZÀ-ÖØ-Þ][\w-]*)*")


def _is_team_head(word: str, lexicon: Lexicon) -> bool:
    return word[:1].isupper() and word.lower() not in lexicon.words and word.lower() not in lexicon.stop_words


def _team_label(text: str, candidate: Candidate, lexicon: Lexicon) -> Candidate:
    """A span the model found whole as MISC, `<Name> de <Place>` with a name that is not a common
    word (`Celtics de Boston`), is a team: ORG."""
    if candidate.watchlist_name is not None or LABEL_MAP.get(candidate.model_label) != "MISC":
        return candidate
    match = _TEAM_SPAN.fullmatch(text, candidate.start, candidate.end)
    if match and _is_team_head(match.group(1), lexicon):
        return Candidate(candidate.start, candidate.end, TEAM_LABEL, None)
    return candidate


def _merge_teams(text: str, candidates: list[Candidate], lexicon: Lexicon) -> list[Candidate]:
    """French names teams and clubs `<Name> de <Place>` (`Canadiens de Montréal`, `Braves d'Atlanta`);
    the models often find the two halves apart. A one-word capitalised name that is not a person,
    not a common word of the language and not watchlisted, followed by `de`/`du`/`d'` and a place,
    is one ORG mention (labelled ORG here: the model gave two); the name alone elsewhere in the
    document (`les Canadiens`) is then that ORG too."""
    ordered = sorted(candidates, key=lambda c: (c.start, c.end))
    ordered = [_team_label(text, c, lexicon) for c in ordered]
    merged: list[Candidate] = []
    heads = set()
    index = 0
    while index < len(ordered):
        head = ordered[index]
        place = ordered[index + 1] if index + 1 < len(ordered) else None
        head_text = text[head.start : head.end]
        if (
            place is not None
            and head.watchlist_name is None
            and place.watchlist_name is None
            and LABEL_MAP.get(head.model_label) != "PERSON"
            and LABEL_MAP.get(place.model_label) == "LOC"
            and _WORD.fullmatch(head_text)
            and _is_team_head(head_text, lexicon)
            and _TEAM_LINK.fullmatch(text, head.end, place.start)
        ):
            merged.append(Candidate(head.start, place.end, TEAM_LABEL, None))
            heads.add(head_text)
            index += 2
            continue
        merged.append(head)
        index += 1
    if not heads:
        return merged
    return [
        Candidate(c.start, c.end, TEAM_LABEL, None)
        if c.watchlist_name is None and text[c.start : c.end] in heads
        else c
        for c in merged
    ]


def clean_document_mentions(
    text: str, candidates: list[Candidate], sentence_starts: list[int], lexicon: Lexicon
) -> list[Candidate]:
    """The mentions of one document that name something: spans trimmed (`trim_mention`,
    `trim_fragments`), non-names (`_is_name`) and junk (`junk_kind`) dropped. A pure function of
    the document's text, its sentence starts (sorted), its candidates and the language's lexicon."""
    trimmed = []
    for candidate in candidates:
        start, end = trim_mention(text, candidate.start, candidate.end)
        if candidate.watchlist_name is None:
            start, end = trim_fragments(text, start, end, candidate.model_label)
            start, end = trim_mention(text, start, end)
        if end > start and _is_name(text[start:end]):
            trimmed.append(Candidate(start, end, candidate.model_label, candidate.watchlist_name))

    trimmed = _merge_teams(text, trimmed, lexicon)

    def opens_sentence(candidate: Candidate) -> bool:
        index = bisect.bisect_right(sentence_starts, candidate.start) - 1
        return _starts_sentence(text, candidate.start, sentence_starts[index] if index >= 0 else 0)

    lowercase_words = frozenset(word for word in _WORD.findall(text) if word.islower())
    forms = [text[candidate.start : candidate.end] for candidate in trimmed]
    longer_name_words = frozenset(
        word for form in forms for word in _WORD.findall(form) if len(_WORD.findall(form)) > 1
    )
    openings = [opens_sentence(candidate) for candidate in trimmed]
    mid_sentence_names = frozenset(form for form, opening in zip(forms, openings, strict=True) if not opening)
    known_ends = frozenset(c.end for c in trimmed if c.watchlist_name is not None)
    return [
        candidate
        for candidate, opening in zip(trimmed, openings, strict=True)
        if junk_kind(
            text,
            candidate,
            at_sentence_start=opening,
            lowercase_words=lowercase_words,
            longer_name_words=longer_name_words,
            mid_sentence_names=mid_sentence_names,
            known_ends=known_ends,
            lexicon=lexicon,
        )
        is None
    ]


SENTENCE_SCHEMA = SENTENCES.subset("doc_id", "sentence_index", "start_char", "end_char")
# Mentions as the pipeline found them: the warehouse label comes from the entity they resolve to.
RAW_MENTION_SCHEMA = ENTITY_MENTIONS.subset(
    "doc_id", "sentence_index", "start_char", "end_char", "mention_text", "model_label", "watchlist_name"
)


def mention_label(model_label: str, watchlist_name: str | None) -> str | None:
    """The warehouse label a single mention stands for: the watchlist's label as given, else the
    model's label mapped (None for labels that are not names: DATE, MONEY …)."""
    return model_label if watchlist_name is not None else LABEL_MAP.get(model_label)


def extract_mentions(
    nlp: Language, documents: list[tuple[str, str]], *, batch_size: int = 16, n_process: int = 1
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Run `nlp` over `(doc_id, text)` pairs; return `(sentences, mentions)`.

    Offsets are character offsets into the given text; a mention's text is always
    `text[start_char:end_char]`. Mentions carry the model's label and, when the watchlist found
    them, the watchlist name. Labels that are not names are dropped, and so are mentions the
    watchlist marks IGNORE and junk (`clean_document_mentions`).
    """
    lexicon = lexicon_of(nlp)
    sentences: list[tuple] = []
    mentions: list[tuple] = []
    with nlp.memory_zone():
        docs = nlp.pipe(
            ((text, doc_id) for doc_id, text in documents), as_tuples=True, batch_size=batch_size, n_process=n_process
        )
        for doc, doc_id in docs:
            text = doc.text
            sentence_starts = []
            for index, sentence in enumerate(doc.sents):
                start, end = sentence.start_char, sentence.end_char
                while start < end and text[start].isspace():
                    start += 1
                while end > start and text[end - 1].isspace():
                    end -= 1
                if end > start:
                    sentences.append((doc_id, index, start, end))
                    sentence_starts.append((start, index))
            candidates = []
            for ent in doc.ents:
                label = mention_label(ent.label_, ent.ent_id_ or None)
                if label is None or label == IGNORE:
                    continue
                candidates.append(Candidate(ent.start_char, ent.end_char, ent.label_, ent.ent_id_ or None))
            for candidate in clean_document_mentions(text, candidates, [s for s, _ in sentence_starts], lexicon):
                start, end = candidate.start, candidate.end
                sentence_index = max((index for begin, index in sentence_starts if begin <= start), default=0)
                mentions.append(
                    (
                        doc_id,
                        sentence_index,
                        start,
                        end,
                        text[start:end],
                        candidate.model_label,
                        candidate.watchlist_name,
                    )
                )
    return (
        pl.DataFrame(sentences, schema=SENTENCE_SCHEMA, orient="row").sort("doc_id", "sentence_index"),
        pl.DataFrame(mentions, schema=RAW_MENTION_SCHEMA, orient="row").sort("doc_id", "start_char", "end_char"),
    )


# A lowercase article opening a form is not part of the name (`the United States`, `la Chine`); a
# capitalised one is (`The Economist`, `Le Monde`, `Los Angeles`).
_KEY_ARTICLE = re.compile(r"^(?:the|la|le|les|el|der|die|das)\s+(?=\S)|^l['’](?=\w)")
_DOTTED_ACRONYM = re.compile(r"\b(?:[A-Z]\.){2,}(?=\s|$)|\b(?:[A-Z]\.)+[A-Z]\b")
# Words an acronym's letters skip (`Securities and Exchange Commission` → SEC).
_ACRONYM_SKIPPED = frozenset(
    [
        "of",
        "the",
        "and",
        "for",
        "on",
        "in",
        "at",
        "to",
        "&",
        "de",
        "la",
        "le",
        "les",
        "des",
        "du",
        "d'",
        "l'",
        "et",
        "pour",
        "sur",
        "en",
        "y",
        "del",
        "und",
        "der",
        "die",
        "das",
        "für",
        "von",
    ]
)
# CLDR codes of territories that are not countries or dependencies (unions, world regions, unknown).
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"})
TERRITORY_LOCALES = ("en", "fr", "es", "de")
# Documents an acronym and its long name must share before they are one entity.
ACRONYM_MIN_DOCUMENTS = 2


def name_key(form: str) -> str:
    """The key of a surface form for canonicalisation: `mention_key` after dropping a leading
    lowercase article and the dots of an all-caps acronym (`the U.S.` ≡ `US`)."""
    form = " ".join(form.split())
    article = _KEY_ARTICLE.match(form)
    if article and article.end() < len(form):
        form = form[article.end() :]
    form = _DOTTED_ACRONYM.sub(lambda match: match.group(0).replace(".", ""), form)
    return mention_key(form)


_TERRITORIES: dict[str, tuple[str, str]] = {}


def territory_names() -> dict[str, tuple[str, str]]:
    """Key of a country's name in English, French, Spanish or German (CLDR, through babel) → its
    code and its English name. A name two countries share is left out."""
    if not _TERRITORIES:
        import babel

        english = babel.Locale("en").territories
        claims: dict[str, set[str]] = defaultdict(set)
        for locale in TERRITORY_LOCALES:
            for code, name in babel.Locale(locale).territories.items():
                if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES and code in english:
                    claims[name_key(name)].add(code)
        for key, codes in sorted(claims.items()):
            if len(codes) == 1:
                code = next(iter(codes))
                _TERRITORIES[key] = (code, english[code])
    return _TERRITORIES


def territory_key(code: str) -> str:
    """The canonicalisation key of a country: its CLDR code behind a separator no form contains."""
    return f"\x1f{code}"


def acronym_of(form: str) -> str | None:
    """The letters of an all-caps acronym (`U.S.` → US, `IMF`), None for other forms."""
    letters = form.replace(".", "")
    return letters if 2 <= len(letters) <= 6 and letters.isalpha() and letters.isupper() else None


def initials_of(form: str) -> str | None:
    """The acronym a long name's significant capitalised words spell (`Securities and Exchange
    Commission` → SEC, `U.S. Agriculture Department` → USAD), None for fewer than two words or a
    lowercase word that is not skipped."""
    words = [word for word in re.split(r"[\s\-]+", form) if word]
    letters = []
    for word in words:
        if word.lower() in _ACRONYM_SKIPPED:
            continue
        acronym = acronym_of(word)
        if acronym is not None:
            letters.append(acronym)
        elif word[:1].isupper():
            letters.append(word[0])
        else:
            return None
    return "".join(letters) if len(letters) >= 2 else None


def _casing_rank(form: str) -> int:
    """Prefer names as usually written (Globex, OpenAI, iPhone) to all-caps datelines and headlines
    (GLOBEX, NEW YORK), and those to lowercase (globex)."""
    if form.isupper():
        return 1
    return 0 if any(character.isupper() for character in form) else 2


def display_name(forms: dict[str, int]) -> str:
    """The name shown for an entity: its forms without a leading lowercase article (`the Federal
    Reserve` counts as `Federal Reserve`), the best-cased (`_casing_rank`), then the most frequent."""
    if len(forms) == 1:
        form = next(iter(forms))
        article = _KEY_ARTICLE.match(form)
        return form[article.end() :] if article and article.end() < len(form) else form
    counts: Counter = Counter()
    for form, count in forms.items():
        article = _KEY_ARTICLE.match(form)
        counts[form[article.end() :] if article and article.end() < len(form) else form] += count
    return min(counts.items(), key=lambda item: (_casing_rank(item[0]), -item[1], item[0]))[0]


def entity_id(name: str, label: str) -> str:
    """Stable id of an entity: a hash of its canonical name and label, never of row order."""
    return hashlib.sha256(f"{label}\x1f{name}".encode()).hexdigest()[:16]


ENTITY_SCHEMA = ENTITIES.polars_schema


def _nested_counts(pairs: Iterable[tuple[str, str]]) -> dict[str, dict[str, int]]:
    """`(key, value)` pairs → how often each key has each value (counted in C, then grouped)."""
    nested: dict[str, dict[str, int]] = {}
    for (key, value), count in Counter(pairs).items():
        nested.setdefault(key, {})[value] = count
    return nested


def _merge_territories_and_acronyms(
    keys: list[str], texts: list[str], labels: list[str], doc_ids: list[str], watch_keys: dict[str, WatchlistEntry]
) -> tuple[list[str], list[bool]]:
    """Corpus-level merges of keys (watchlisted keys are left as the watchlist says):

    - a country's name in English, French, Spanish or German (CLDR) becomes the key of its English
      name, for mentions labelled LOC or when most mentions of the name are LOC (`Russie`, `la
      Chine`, `États-Unis`);
    - an all-caps acronym joins the long name whose significant words' initials spell it when both
      are mentioned in the same documents at least `ACRONYM_MIN_DOCUMENTS` times (`SEC` with
      `Securities and Exchange Commission`, `U.S.` with `United States`); among several long names,
      the one with most shared documents, then most mentions, then the first key.

    Returns the keys and, per mention, whether it is an acronym standing for a long name."""
    label_counts = _nested_counts(zip(keys, labels, strict=True))

    def majority(key: str) -> str:
        return min(label_counts[key].items(), key=lambda item: (-item[1], _LABEL_PRECEDENCE.get(item[0], 99)))[0]

    territories = territory_names()
    country_keys: dict[str, str] = {}  # key → the country's key, its code (no name folds to it)
    for key in label_counts:
        if key in territories and key not in watch_keys:
            country_keys[key] = territory_key(territories[key][0])
    loc_majority = {key for key in country_keys if majority(key) == "LOC"}
    merged = [
        country_keys[key] if key in country_keys and (label == "LOC" or key in loc_majority) else key
        for key, label in zip(keys, labels, strict=True)
    ]

    # the form each key is mostly written as, and the English names of countries
    form_counts = _nested_counts(zip(merged, texts, strict=True))
    label_counts = _nested_counts(zip(merged, labels, strict=True))
    english = {territory_key(code): name for code, name in territories.values()}
    acronyms: dict[str, str] = {}
    long_names: dict[str, list[str]] = defaultdict(list)
    for key, counter in form_counts.items():
        if key in watch_keys and watch_keys[key].label == "PERSON":
            continue
        form = english.get(key) or max(counter.items(), key=lambda item: (item[1], item[0]))[0]
        if " " not in form and "." not in form and not form.isupper():
            continue  # one word, not an acronym: neither short nor long form
        letters = acronym_of(form)
        if letters is not None:
            if key not in watch_keys:
                acronyms[key] = letters
            continue
        initials = initials_of(form)
        if initials is not None and majority(key) != "PERSON":
            long_names[initials].append(key)
    wanted = {key for key, letters in acronyms.items() if letters in long_names}
    wanted |= {key for key in wanted for key in long_names[acronyms[key]]}
    documents: dict[str, set[str]] = defaultdict(set)
    for key, doc_id in zip(merged, doc_ids, strict=True):
        if key in wanted:
            documents[key].add(doc_id)
    targets: dict[str, str] = {}
    for key in sorted(acronyms):
        if key not in documents:
            continue
        shared = [
            (len(documents[key] & documents[long]), sum(form_counts[long].values()), long)
            for long in long_names[acronyms[key]]
        ]
        best = min(shared, key=lambda item: (-item[0], -item[1], item[2]))
        if best[0] >= ACRONYM_MIN_DOCUMENTS:
            targets[key] = best[2]
    return [targets.get(key, key) for key in merged], [key in targets for key in merged]


def alias_targets(
    aliases: Iterable[WatchlistEntry], watch_keys: dict[str, WatchlistEntry]
) -> dict[str, tuple[str, WatchlistEntry]]:
    """Key of each form of `config/entity_aliases.csv` (`name,label,aliases`, the watchlist's format)
    → the key of its entry's name and the entry. Forms the watchlist claims stay the watchlist's; a
    form two entries claim goes to the first."""
    targets: dict[str, tuple[str, WatchlistEntry]] = {}
    for entry in aliases:
        target = name_key(entry.name)
        for form in (entry.name, *entry.aliases):
            key = name_key(form)
            if key not in watch_keys:
                targets.setdefault(key, (target, entry))
    return targets


def _apply_aliases(keys: list[str], labels: list[str], targets: dict[str, tuple[str, WatchlistEntry]]) -> list[str]:
    """A mention's key becomes its alias entry's name key when the mention, or most mentions of its
    key, carry the entry's label (`Calif.` LOC → `California`; `Britain` LOC → `United Kingdom`,
    then one country with it): the config only merges names, it labels nothing."""
    if not targets:
        return keys
    label_counts = _nested_counts((key, label) for key, label in zip(keys, labels, strict=True) if key in targets)
    majority = {
        key: min(counts.items(), key=lambda item: (-item[1], _LABEL_PRECEDENCE.get(item[0], 99)))[0]
        for key, counts in label_counts.items()
    }
    merged = []
    for key, label in zip(keys, labels, strict=True):
        target = targets.get(key)
        merged.append(target[0] if target and target[1].label in (label, majority[key]) else key)
    return merged


# Longer entities of its language a one-word common noun must be a word of to be a fragment.
FRAGMENT_MIN_LONGER_NAMES = 3


def fragment_keys(
    canonical: dict[str, tuple[str, str, bool]],
    key_languages: dict[str, str],
    key_mentions: Counter,
    nouns: Mapping[str, frozenset[str]],
    protected: set[str],
    documents: pl.DataFrame,
) -> set[str]:
    """Keys of one-word ORG/LOC entities that are fragments of longer names, not names: the word is
    a noun of the entity's language (its lexicon's nouns, lowercase), a word of at least
    `FRAGMENT_MIN_LONGER_NAMES` longer entities of that language (`Bank` beside `World Bank`,
    `Bank of Japan`, `Bank of England`; `Commission`, `État`), and the documents of that language
    write it in lowercase, as a common noun, at least as often as the entity is mentioned (the
    English lexicon's nouns include place names: `washington` is never written so, `Congress`
    and `Fed` seldom). Watchlisted, alias-config and country keys (`protected`) are names."""
    longer: Counter = Counter()
    for key, language in key_languages.items():
        if " " in key:
            longer.update((language, word) for word in set(_WORD.findall(key)))
    fragments = set()
    for key, (_, label, in_watchlist) in canonical.items():
        language = key_languages.get(key)
        if (
            in_watchlist
            or key in protected
            or label != "ORG"
            or language is None
            or _WORD.fullmatch(key) is None
            or key not in nouns.get(language, frozenset())
        ):
            continue
        if longer[(language, key)] >= FRAGMENT_MIN_LONGER_NAMES:
            fragments.add(key)
    kept = set()
    for key in sorted(fragments):
        texts = documents.filter(pl.col("language") == key_languages[key]).get_column("text")
        lowercase = texts.str.count_matches(rf"\b{re.escape(key)}\b").sum() or 0
        if lowercase < key_mentions[key]:
            kept.add(key)
    return fragments - kept


def canonicalise_entities(
    mentions: pl.DataFrame,
    watchlist: Iterable[WatchlistEntry],
    aliases: Iterable[WatchlistEntry] = (),
    *,
    documents: pl.DataFrame | None = None,
    nouns: Mapping[str, frozenset[str]] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Give every mention the `entity_id` of the real-world thing it names.

    Mentions meet under one key when their forms differ only by case or spacing, when the
    watchlist or the alias config (`aliases`, merging only) lists them as forms of one name, or (inside one document) when a single-word
    mention is the surname of a full PERSON name mentioned there (`Curran` after `Rowan Curran`). The entity's name and
    label are the watchlist's, else its most frequent form and majority label (so a name has one
    label across the corpus); a one-word mention beside a version of itself in its document
    (`Llama` beside `Llama 2`) votes with the version's label. With `documents` (`doc_id`,
    `language`, `text`) and the languages' lexicon `nouns`, one-word fragments of longer names
    (`fragment_keys`: `Bank`, `Commission`) are dropped with their mentions.

    Returns `(mentions with entity_id and label, entities)`: a mention's `label` is its entity's,
    set here once; what the pipeline said stays in `model_label`.
    """
    watch_keys: dict[str, WatchlistEntry] = {}
    for entry in watchlist:
        if entry.label == IGNORE:
            continue
        for form in (entry.name, *entry.aliases):
            watch_keys.setdefault(name_key(form), entry)

    texts = mentions.get_column("mention_text").to_list()
    named = [w or t for w, t in zip(mentions.get_column("watchlist_name").to_list(), texts, strict=True)]
    mention_labels = [
        mention_label(model_label, watchlist_name)
        for model_label, watchlist_name in mentions.select("model_label", "watchlist_name").iter_rows()
    ]
    doc_ids = mentions.get_column("doc_id").to_list()
    folded = {form: name_key(form) for form in set(named)}  # once per form, not per mention
    own_keys = [folded[form] for form in named]
    folded_keys = list(own_keys)
    targets = alias_targets(aliases, watch_keys)
    own_keys = _apply_aliases(own_keys, mention_labels, targets)
    alias_names = {target: entry.name for target, entry in targets.values()}
    own_keys, merged_short = _merge_territories_and_acronyms(own_keys, texts, mention_labels, doc_ids, watch_keys)
    keys = list(own_keys)
    surnames: dict[str, dict[str, str]] = defaultdict(dict)
    for key, label, doc_id in zip(own_keys, mention_labels, doc_ids, strict=True):
        entry = watch_keys.get(key)
        is_person = (entry.label if entry else label) == "PERSON"
        if is_person and " " in key:
            surnames[doc_id].setdefault(key.split()[-1], key)
    # the form's own key decides (`Holland` after `Rob Holland` is the person, not the alias of a country)
    for position, (key, own, doc_id) in enumerate(zip(own_keys, folded_keys, doc_ids, strict=True)):
        if " " not in own and own not in watch_keys:
            keys[position] = surnames[doc_id].get(own, key)
    # A one-word name beside a version of it in the same document (`Llama` beside `Llama 2`) is of
    # that version's kind: its mention votes with the version's label (it stays its own entity).
    versions: dict[str, dict[str, str]] = defaultdict(dict)
    for key, label, doc_id in zip(own_keys, mention_labels, doc_ids, strict=True):
        family, _, version = key.rpartition(" ")
        if family and " " not in family and _VERSION.fullmatch(version):
            entry = watch_keys.get(key)
            versions[doc_id].setdefault(family, entry.label if entry else label)
    mention_labels = [
        versions[doc_id].get(key, label) if " " not in key and key not in watch_keys else label
        for key, label, doc_id in zip(own_keys, mention_labels, doc_ids, strict=True)
    ]

    # a surname standing for a full name, or an acronym standing for its long form, neither names
    # the entity nor votes on its label while the full form has mentions (`Miyazawa`, tagged ORG,
    # does not outvote `Kiichi Miyazawa`, always PERSON)
    full = [own_key == key and not short for key, own_key, short in zip(keys, own_keys, merged_short, strict=True)]
    votes = Counter(zip(keys, texts, mention_labels, full, strict=True))
    forms: dict[str, dict[str, int]] = {}
    labels: dict[str, dict[str, int]] = {}
    short_forms: dict[str, dict[str, int]] = {}
    short_labels: dict[str, dict[str, int]] = {}
    for (key, text, label, is_full), count in votes.items():
        key_forms = (forms if is_full else short_forms).setdefault(key, {})
        key_forms[text] = key_forms.get(text, 0) + count
        key_labels = (labels if is_full else short_labels).setdefault(key, {})
        key_labels[label] = key_labels.get(label, 0) + count
    for key, counter in short_forms.items():
        if key not in forms:
            forms[key] = counter
            labels[key] = short_labels[key]

    territories = {territory_key(code): (code, english) for code, english in territory_names().values()}
    canonical: dict[str, tuple[str, str, bool]] = {}
    for key in forms:
        entry = watch_keys.get(key)
        if entry is not None:
            canonical[key] = (entry.name, entry.label, True)
            continue
        territory = territories.get(key)
        name = territory[1] if territory is not None else alias_names.get(key) or display_name(forms[key])
        label = min(labels[key].items(), key=lambda item: (-item[1], _LABEL_PRECEDENCE[item[0]]))[0]
        canonical[key] = (name, label, False)

    if documents is not None and nouns:
        languages = dict(documents.select("doc_id", "language").iter_rows())
        language_counts = _nested_counts(
            (key, languages[doc_id]) for key, doc_id in zip(keys, doc_ids, strict=True) if doc_id in languages
        )
        key_languages = {
            key: min(counts.items(), key=lambda item: (-item[1], item[0]))[0] for key, counts in language_counts.items()
        }
        protected = set(watch_keys) | set(alias_names) | set(territories)
        key_mentions = Counter(keys)
        for key in fragment_keys(canonical, key_languages, key_mentions, nouns, protected, documents):
            del canonical[key]
    kept = pl.Series([key in canonical for key in keys], dtype=pl.Boolean)
    identifiers = {key: entity_id(name, label) for key, (name, label, _) in canonical.items()}
    resolved = mentions.filter(kept).with_columns(
        pl.Series("entity_id", [identifiers[key] for key in keys if key in canonical], dtype=pl.String),
        pl.Series("label", [canonical[key][1] for key in keys if key in canonical], dtype=pl.String),
    )
    entity_rows = {}
    for key, (name, label, in_watchlist) in canonical.items():
        identifier = identifiers[key]
        entity_rows.setdefault(
            identifier, {"entity_id": identifier, "name": name, "label": label, "in_watchlist": in_watchlist}
        )
    stats = resolved.group_by("entity_id").agg(
        pl.len().cast(pl.Int64).alias("n_mentions"),
        pl.col("doc_id").n_unique().cast(pl.Int64).alias("n_documents"),
        pl.col("mention_text").unique().sort().alias("aliases"),
    )
    entities = (
        pl.DataFrame(
            list(entity_rows.values()),
            schema={k: ENTITY_SCHEMA[k] for k in ("entity_id", "name", "label", "in_watchlist")},
        )
        .join(stats, on="entity_id", how="inner")
        .select(list(ENTITY_SCHEMA))
        .sort("entity_id")
    )
    return resolved, entities
