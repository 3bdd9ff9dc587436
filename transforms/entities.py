"""Named entities: one label set, a watchlist ruler, extraction with spaCy and canonicalisation."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
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
    watchlist marks IGNORE.
    """
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
            for ent in doc.ents:
                label = mention_label(ent.label_, ent.ent_id_ or None)
                if label is None or label == IGNORE:
                    continue
                start, end = trim_mention(text, ent.start_char, ent.end_char)
                if end <= start or not _is_name(text[start:end]):
                    continue
                sentence_index = max((index for begin, index in sentence_starts if begin <= start), default=0)
                mentions.append((doc_id, sentence_index, start, end, text[start:end], ent.label_, ent.ent_id_ or None))
    return (
        pl.DataFrame(sentences, schema=SENTENCE_SCHEMA, orient="row").sort("doc_id", "sentence_index"),
        pl.DataFrame(mentions, schema=RAW_MENTION_SCHEMA, orient="row").sort("doc_id", "start_char", "end_char"),
    )


def _casing_rank(form: str) -> int:
    """Among equally frequent forms, prefer names as usually written (Globex, OpenAI), then GLOBEX."""
    if form[:1].isupper() and not form.isupper():
        return 0
    return 1 if form.isupper() else 2


def entity_id(name: str, label: str) -> str:
    """Stable id of an entity: a hash of its canonical name and label, never of row order."""
    return hashlib.sha256(f"{label}\x1f{name}".encode()).hexdigest()[:16]


ENTITY_SCHEMA = ENTITIES.polars_schema


def canonicalise_entities(
    mentions: pl.DataFrame, watchlist: Iterable[WatchlistEntry]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Give every mention the `entity_id` of the real-world thing it names.

    Mentions meet under one key when their forms differ only by case or spacing, when the
    watchlist lists them as aliases of one name, or (inside one document) when a single-word
    mention is the surname of a full PERSON name mentioned there (`Curran` after `Rowan Curran`). The entity's name and
    label are the watchlist's, else its most frequent form and majority label.

    Returns `(mentions with entity_id and label, entities)`: a mention's `label` is its entity's,
    set here once; what the pipeline said stays in `model_label`.
    """
    watch_keys: dict[str, WatchlistEntry] = {}
    for entry in watchlist:
        if entry.label == IGNORE:
            continue
        for form in (entry.name, *entry.aliases):
            watch_keys.setdefault(mention_key(form), entry)

    texts = mentions.get_column("mention_text").to_list()
    named = [w or t for w, t in zip(mentions.get_column("watchlist_name").to_list(), texts, strict=True)]
    mention_labels = [
        mention_label(model_label, watchlist_name)
        for model_label, watchlist_name in mentions.select("model_label", "watchlist_name").iter_rows()
    ]
    doc_ids = mentions.get_column("doc_id").to_list()
    folded = {form: mention_key(form) for form in set(named)}  # once per form, not per mention
    own_keys = [folded[form] for form in named]
    keys = list(own_keys)
    surnames: dict[str, dict[str, str]] = defaultdict(dict)
    for key, label, doc_id in zip(own_keys, mention_labels, doc_ids, strict=True):
        entry = watch_keys.get(key)
        is_person = (entry.label if entry else label) == "PERSON"
        if is_person and " " in key:
            surnames[doc_id].setdefault(key.split()[-1], key)
    for position, (key, doc_id) in enumerate(zip(own_keys, doc_ids, strict=True)):
        if " " not in key and key not in watch_keys:
            keys[position] = surnames[doc_id].get(key, key)

    forms: dict[str, Counter] = defaultdict(Counter)
    labels: dict[str, Counter] = defaultdict(Counter)
    short_forms: dict[str, Counter] = defaultdict(Counter)
    for key, own_key, text, label in zip(keys, own_keys, texts, mention_labels, strict=True):
        # a surname standing for a full name votes on the label but does not name the entity
        (forms if own_key == key else short_forms)[key][text] += 1
        labels[key][label] += 1
    for key, counter in short_forms.items():
        if key not in forms:
            forms[key] = counter

    canonical: dict[str, tuple[str, str, bool]] = {}
    for key in forms:
        entry = watch_keys.get(key)
        if entry is not None:
            canonical[key] = (entry.name, entry.label, True)
            continue
        name = min(forms[key].items(), key=lambda item: (-item[1], _casing_rank(item[0]), item[0]))[0]
        label = min(labels[key].items(), key=lambda item: (-item[1], _LABEL_PRECEDENCE[item[0]]))[0]
        canonical[key] = (name, label, False)

    identifiers = {key: entity_id(name, label) for key, (name, label, _) in canonical.items()}
    resolved = mentions.with_columns(
        pl.Series("entity_id", [identifiers[key] for key in keys], dtype=pl.String),
        pl.Series("label", [canonical[key][1] for key in keys], dtype=pl.String),
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
