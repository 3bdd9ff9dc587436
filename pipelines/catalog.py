"""The warehouse catalogue: every table the Python assets write, its grain and its columns.

It is the single source of the documentation users see: asset descriptions and
`dagster/column_schema` in the Dagster UI, and DuckDB `COMMENT`s in the published file.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    description: str
    columns: tuple[Column, ...]

    @property
    def key(self) -> dg.AssetKey:
        return dg.AssetKey([self.schema, self.name])

    @property
    def column_schema(self) -> dg.TableSchema:
        return dg.TableSchema(
            columns=[dg.TableColumn(name=c.name, type=c.type, description=c.description) for c in self.columns]
        )


def _columns(*rows: tuple[str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(*row) for row in rows)


RAW_DOCUMENTS = Table(
    "raw",
    "documents",
    "One row per source file version that could be decoded: its bytes' hash and decoded text.",
    _columns(
        ("doc_id", "varchar", "sha256 hex of the file's raw bytes; the same content always has the same id"),
        ("source_path", "varchar", "path of the file relative to the source folder"),
        ("n_bytes", "bigint", "size of the file in bytes"),
        ("encoding", "varchar", "the encoding the bytes were decoded with (utf-8, utf-8-sig, cp1252, …)"),
        ("raw_text", "varchar", "the decoded text, before any cleaning"),
    ),
)
RAW_REJECTED_FILES = Table(
    "raw",
    "rejected_files",
    "One row per source file that could not be read or decoded (empty, binary, unreadable …).",
    _columns(
        ("source_path", "varchar", "path of the file relative to the source folder"),
        ("reason", "varchar", "stable reason code: empty, binary, undecodable, unreadable, symlink …"),
        ("detail", "varchar", "a sentence for people saying what was wrong"),
    ),
)
PREP_CLEANED_DOCUMENTS = Table(
    "prep",
    "cleaned_documents",
    "One row per document after cleaning and language detection, before NLP (an intermediate step).",
    _columns(
        ("doc_id", "varchar", "sha256 hex of the source file's bytes"),
        ("source_path", "varchar", "path of the file relative to the source folder"),
        ("title", "varchar", "the leading heading line, when the text starts with one"),
        ("section", "varchar", "a leading section label (for example 'Intelligence Artificielle')"),
        (
            "published_date",
            "date",
            "publication date read from the text; first day of the month or year when less precise",
        ),
        ("published_date_precision", "varchar", "day, month or year: how much of published_date the text gave"),
        ("language", "varchar", "ISO 639-1 code of the text's language, or 'und' when unsure"),
        ("language_confidence", "double", "langdetect's probability for that language (0 when undetermined)"),
        ("text", "varchar", "the cleaned text; every character offset in the warehouse points into it"),
        ("source_note", "varchar", "note naming the original publication, moved out of the text"),
        ("credits", "varchar", "translator or author credit lines, moved out of the text"),
        ("embeds", "varchar[]", "embedded posts (tweets) and link lines moved out of the text"),
        ("related", "varchar[]", "trailing 'read more' items moved out of the text"),
        ("present_in_source", "boolean", "false when the document's file has since left the source folder"),
        ("prepare_fingerprint", "varchar", "hash of the cleaning rules and settings that prepared this row"),
    ),
)
DOCUMENTS = Table(
    "core",
    "documents",
    "One row per document (distinct content): cleaned text, metadata, language and tone.",
    (
        *PREP_CLEANED_DOCUMENTS.columns,
        *_columns(
            ("n_words", "bigint", "words in the cleaned text"),
            ("n_sentences", "bigint", "sentences in the cleaned text (null without an NLP pipeline)"),
            ("tone", "double", "GDELT tone: positive_pct minus negative_pct (-100…100)"),
            ("positive_pct", "double", "share of words the sentiment lexicon scores positive, in %"),
            ("negative_pct", "double", "share of words the sentiment lexicon scores negative, in %"),
            ("polarity_pct", "double", "positive_pct plus negative_pct: how emotionally charged the text is"),
            ("sentiment", "double", "mean sentence sentiment weighted by sentence length (-1…1)"),
            ("sentiment_backend", "varchar", "the sentiment scorer used for this language"),
            ("sentiment_missing_reason", "varchar", "why tone and sentiment are null, when they are"),
            ("nlp_pipeline", "varchar", "the spaCy pipeline that found sentences and entities"),
            ("entities_missing_reason", "varchar", "why the document has no entity extraction, when it has none"),
            ("analysis_fingerprint", "varchar", "hash of the models, watchlist and scorers that analysed this row"),
        ),
    ),
)
REJECTED_DOCUMENTS = Table(
    "core",
    "rejected_documents",
    "One row per input file that did not become a document, and why. Files = documents + rejected.",
    _columns(
        ("source_path", "varchar", "path of the file relative to the source folder"),
        (
            "reason",
            "varchar",
            "stable reason code: empty, binary, undecodable, unreadable, duplicate_content, no_text …",
        ),
        ("detail", "varchar", "a sentence for people saying what was wrong"),
    ),
)
CLEANING_LOG = Table(
    "core",
    "cleaning_log",
    "One row per document and cleaning rule that changed it: the audit trail of cleaning.",
    _columns(
        ("doc_id", "varchar", "the document"),
        ("rule_id", "varchar", "the rule (config/cleaning_rules.toml) or generic repair (generic.*, layout.*)"),
        ("n_matches", "bigint", "how many times the rule matched in this document"),
        ("example", "varchar", "a short example of what the rule changed"),
    ),
)
DOCUMENT_LINKS = Table(
    "core",
    "document_links",
    "One row per distinct URL per document, found in the text or in what cleaning moved out of it.",
    _columns(
        ("doc_id", "varchar", "the document"),
        ("url", "varchar", "the URL"),
        ("kind", "varchar", "tweet (t.co, twitter.com, x.com) or link"),
    ),
)
SENTENCES = Table(
    "core",
    "sentences",
    "One row per sentence of a document with an NLP pipeline, with its sentiment.",
    _columns(
        ("doc_id", "varchar", "the document"),
        ("sentence_index", "integer", "position of the sentence in the document, from 0"),
        ("start_char", "integer", "offset of the first character in core.documents.text (0-based)"),
        ("end_char", "integer", "offset after the last character (text[start_char:end_char] is the sentence)"),
        ("sentiment", "double", "sentence sentiment in -1…1 (VADER compound); null when the language has no scorer"),
    ),
)
ENTITY_MENTIONS = Table(
    "core",
    "entity_mentions",
    "One row per mention of a named entity in a document's text (or in its credits and source note).",
    _columns(
        ("doc_id", "varchar", "the document"),
        ("field", "varchar", "the core.documents column the offsets point into: text, credits or source_note"),
        ("sentence_index", "integer", "the sentence (core.sentences) holding the mention; null outside the text"),
        ("start_char", "integer", "offset of the mention in that column (0-based)"),
        ("end_char", "integer", "offset after the mention: text[start_char:end_char] == mention_text"),
        ("mention_text", "varchar", "the mention as written"),
        ("model_label", "varchar", "the label the spaCy pipeline or watchlist gave this mention"),
        ("label", "varchar", "the entity's warehouse label: PERSON, ORG, LOC, PRODUCT, EVENT or MISC"),
        ("watchlist_name", "varchar", "the watchlist name that matched, when the watchlist found it"),
        ("entity_id", "varchar", "the canonical entity (core.entities) this mention names"),
    ),
)
ENTITIES = Table(
    "core",
    "entities",
    "One row per canonical entity: one real-world thing across documents and languages.",
    _columns(
        ("entity_id", "varchar", "stable id: a hash of the canonical name and label"),
        ("name", "varchar", "canonical name (the watchlist's, else the most frequent form)"),
        ("label", "varchar", "PERSON, ORG, LOC, PRODUCT, EVENT or MISC"),
        ("n_mentions", "bigint", "mentions of the entity in all documents"),
        ("n_documents", "bigint", "documents that mention the entity"),
        ("aliases", "varchar[]", "distinct forms the entity is written as"),
        ("in_watchlist", "boolean", "whether the entity comes from config/watchlist.csv"),
    ),
)

TABLES: dict[dg.AssetKey, Table] = {
    table.key: table
    for table in (
        RAW_DOCUMENTS,
        RAW_REJECTED_FILES,
        PREP_CLEANED_DOCUMENTS,
        DOCUMENTS,
        REJECTED_DOCUMENTS,
        CLEANING_LOG,
        DOCUMENT_LINKS,
        SENTENCES,
        ENTITY_MENTIONS,
        ENTITIES,
    )
}
