"""The warehouse schema: every table the Python assets write, declared once.

Each table's columns — name, Polars type, comment — and its key live here, as plain data. Everything
else derives from them: the frames the transforms build (`Table.polars_schema`, `Table.empty`,
`Table.conform`), the DuckDB DDL and `COMMENT`s and the type check of the IO manager
(`pipelines/warehouse.py`), the column schema the Dagster UI shows (`pipelines/assets.py`), the
README's table guide (`markdown_guide`), and the test that holds the dbt sources to it.

Adding a column to a core table is one `Column(...)` here plus the transform that fills it.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Column:
    name: str
    dtype: pl.DataType
    comment: str

    @property
    def sql_type(self) -> str:
        return sql_type(self.dtype)


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    grain: str  # what one row is ("document", "entity mention" …)
    purpose: str  # what the table is for, in a few words
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # columns whose values identify a row

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def description(self) -> str:
        return f"One row per {self.grain}: {self.purpose}."

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def polars_schema(self) -> dict[str, pl.DataType]:
        return {column.name: column.dtype for column in self.columns}

    def subset(self, *names: str) -> dict[str, pl.DataType]:
        """The Polars schema of some of the columns, in the order given (for intermediate frames)."""
        types = self.polars_schema
        return {name: types[name] for name in names}

    def empty(self) -> pl.DataFrame:
        return pl.DataFrame(schema=self.polars_schema)

    def conform(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The table's columns of `frame`, in the declared order and types."""
        return frame.select(self.column_names).cast(self.polars_schema)

    def problems(self, frame: pl.DataFrame) -> list[str]:
        """What keeps `frame` from being this table: missing, extra or mistyped columns, repeated keys."""
        found = dict(frame.schema)
        declared = self.polars_schema
        problems = [f"missing column {name}" for name in declared if name not in found]
        problems += [f"undeclared column {name}" for name in found if name not in declared]
        problems += [
            f"column {name} is {found[name]}, declared {dtype}"
            for name, dtype in declared.items()
            if name in found and found[name] != dtype and found[name] != pl.Null
        ]
        if not problems and self.key and frame.height and frame.select(self.key).is_duplicated().any():
            problems.append(f"key {', '.join(self.key)} repeats")
        return problems


_SQL_TYPES: dict[type[pl.DataType], str] = {
    pl.String: "varchar",
    pl.Int32: "integer",
    pl.Int64: "bigint",
    pl.Float64: "double",
    pl.Boolean: "boolean",
    pl.Date: "date",
    pl.UInt32: "uinteger",
}


def sql_type(dtype: pl.DataType) -> str:
    """The DuckDB type a Polars type is stored as (and the name the catalogue shows)."""
    if isinstance(dtype, pl.List):
        return f"{sql_type(dtype.inner)}[]"
    if isinstance(dtype, pl.Datetime):
        return "timestamp with time zone" if dtype.time_zone else "timestamp"
    if isinstance(dtype, pl.Array):
        return f"{sql_type(dtype.inner)}[{dtype.size}]"
    return _SQL_TYPES[dtype.base_type()]


def _columns(*rows: tuple[str, pl.DataType, str] | Column) -> tuple[Column, ...]:
    return tuple(row if isinstance(row, Column) else Column(*row) for row in rows)


STRING_LIST = pl.List(pl.String)
UTC_TIMESTAMP = pl.Datetime("us")  # stored without a zone, always UTC

SOURCE_PATH = (
    "path of the file relative to the source folder; `path#n` for record n of a JSON Lines, CSV or Parquet file"
)
RECORD_NUMBER = "the record's number in its file (1 = first record); null for a text file"
METADATA_SOURCES = "record, front_matter, text or url"
DECLARED_COLUMNS = _columns(
    ("declared_title", pl.String, "the title the record or front matter gave"),
    ("declared_outlet", pl.String, "the outlet the record or front matter named"),
    ("declared_url", pl.String, "the URL the record or front matter gave"),
    ("declared_id", pl.String, "the article id the record or front matter gave (the feed's own id)"),
    ("declared_published_at", UTC_TIMESTAMP, "the publication time the record or front matter gave, in UTC"),
    ("declared_published_at_precision", pl.String, "second, day, month or year"),
    ("declared_language", pl.String, "the language code the record or front matter gave"),
    ("metadata_source", pl.String, "record or front_matter: where the declared_* values come from; null if none"),
)

RAW_DOCUMENTS = Table(
    "raw",
    "documents",
    "source file or record version (`doc_id` = sha256 of its bytes or fields)",
    "the decoded text as it arrived, its encoding and size",
    _columns(
        (
            "doc_id",
            pl.String,
            "sha256 hex of the file's raw bytes, or of a record's fields; the same content always has the same id",
        ),
        ("source_path", pl.String, SOURCE_PATH),
        ("record_number", pl.Int64, RECORD_NUMBER),
        ("n_bytes", pl.Int64, "size of the file (or of the record) in bytes"),
        ("encoding", pl.String, "the encoding the bytes were decoded with (utf-8, utf-8-sig, cp1252, …)"),
        ("raw_text", pl.String, "the decoded text (a record's text field, a file's text after front matter), before any cleaning"),
        *DECLARED_COLUMNS,
    ),
    key=("source_path",),
)
RAW_REJECTED_FILES = Table(
    "raw",
    "rejected_files",
    "file that could not be read or decoded",
    "why (empty, binary, undecodable, unreadable, symbolic link …)",
    _columns(
        ("source_path", pl.String, SOURCE_PATH),
        ("record_number", pl.Int64, RECORD_NUMBER),
        ("reason", pl.String, "stable reason code: empty, binary, undecodable, unreadable, symlink, bad_record …"),
        ("detail", pl.String, "a sentence for people saying what was wrong"),
    ),
    key=("source_path",),
)
PREP_CLEANED_DOCUMENTS = Table(
    "prep",
    "cleaned_documents",
    "document, after cleaning and language detection",
    "intermediate step before NLP",
    _columns(
        ("doc_id", pl.String, "sha256 hex of the source file's bytes (or of the record's fields)"),
        ("source_path", pl.String, SOURCE_PATH),
        ("title", pl.String, "the record's or front matter's title, else the leading heading line of the text"),
        ("section", pl.String, "a leading section label (for example 'Intelligence Artificielle')"),
        (
            "published_date",
            pl.Date,
            "publication date read from the text; first day of the month or year when less precise",
        ),
        ("published_date_precision", pl.String, "day, month or year: how much of published_date the text gave"),
        ("language", pl.String, "ISO 639-1 code of the text's language, or 'und' when unsure (language_reason says why)"),
        (
            "language_confidence",
            pl.Float64,
            "langdetect's probability for its best language, also when language is 'und' (0 when it read "
            "nothing; 1 when declared)",
        ),
        (
            "language_reason",
            pl.String,
            "why language is 'und': too_short, script_mismatch, low_confidence or unsupported_language "
            "(a language langdetect lacks); null when the language was detected or declared",
        ),
        ("language_source", pl.String, "detected (langdetect) or declared (by the record or front matter)"),
        ("text", pl.String, "the cleaned text; every character offset in the warehouse points into it"),
        ("source_note", pl.String, "note naming the original publication, moved out of the text"),
        ("credits", pl.String, "translator or author credit lines, moved out of the text"),
        ("embeds", STRING_LIST, "embedded posts (tweets) and link lines moved out of the text"),
        ("related", STRING_LIST, "trailing 'read more' items moved out of the text"),
        ("outlet", pl.String, "who published it: record or front matter, else the URL's domain, else the source note"),
        ("outlet_source", pl.String, "record, front_matter, url or source_note: where outlet comes from"),
        ("url", pl.String, "the article's URL, as the record or front matter gave it"),
        ("external_id", pl.String, "the feed's own id for the article, when it gave one"),
        ("published_at", UTC_TIMESTAMP, "publication time in UTC (midnight when only the day, month or year is known)"),
        ("published_at_precision", pl.String, "second, day, month or year: how much of published_at is known"),
        ("published_at_source", pl.String, f"{METADATA_SOURCES}: where published_at comes from"),
        (
            "article_id",
            pl.String,
            "the article this is a version of: a hash of external_id, else the normalised URL, else source_path",
        ),
        ("version", pl.Int32, "1 for the first content the warehouse saw of the article, then 2, 3 …"),
        ("is_current", pl.Boolean, "true for the article's latest version; marts count these rows only"),
        ("superseded_by", pl.String, "doc_id of the next version, when a later one replaced this one"),
        ("present_in_source", pl.Boolean, "false when the document's file has since left the source folder"),
        ("prepare_fingerprint", pl.String, "hash of the cleaning rules and settings that prepared this row"),
    ),
    key=("doc_id",),
)
DOCUMENTS = Table(
    "core",
    "documents",
    "document (distinct content)",
    "cleaned `text`, `title`, `outlet`, `published_at`, `language`, versions (`article_id`, `is_current`), "
    "GDELT `tone`, `sentiment`, counts",
    (
        *PREP_CLEANED_DOCUMENTS.columns,
        *_columns(
            ("n_words", pl.Int64, "words in the cleaned text"),
            ("n_sentences", pl.Int64, "sentences in the cleaned text (null without an NLP pipeline)"),
            ("tone", pl.Float64, "GDELT tone: positive_pct minus negative_pct (-100…100)"),
            ("positive_pct", pl.Float64, "share of words the sentiment lexicon scores positive, in %"),
            ("negative_pct", pl.Float64, "share of words the sentiment lexicon scores negative, in %"),
            ("polarity_pct", pl.Float64, "positive_pct plus negative_pct: how emotionally charged the text is"),
            ("sentiment", pl.Float64, "mean sentence sentiment weighted by sentence length (-1…1)"),
            ("sentiment_backend", pl.String, "the sentiment scorer used for this language"),
            ("sentiment_missing_reason", pl.String, "why tone and sentiment are null, when they are"),
            ("nlp_pipeline", pl.String, "the spaCy pipeline that found sentences and entities"),
            ("entities_missing_reason", pl.String, "why the document has no entity extraction, when it has none"),
            (
                "analysis_fingerprint",
                pl.String,
                "hash of the models (and their installed versions), watchlist and scorers that analysed this row",
            ),
        ),
    ),
    key=("doc_id",),
)
REJECTED_DOCUMENTS = Table(
    "core",
    "rejected_documents",
    "input file that did not become a document",
    "`reason` and `detail`; files = documents + rejected, always",
    _columns(
        ("source_path", pl.String, SOURCE_PATH),
        ("record_number", pl.Int64, RECORD_NUMBER),
        (
            "reason",
            pl.String,
            "stable reason code: empty, binary, undecodable, unreadable, bad_record, no_text_field, bad_date, "
            "duplicate_content, no_text …",
        ),
        ("detail", pl.String, "a sentence for people saying what was wrong"),
    ),
    key=("source_path",),
)
CLEANING_LOG = Table(
    "core",
    "cleaning_log",
    "document and cleaning rule that changed it",
    "the audit trail of cleaning, with an example",
    _columns(
        ("doc_id", pl.String, "the document"),
        ("rule_id", pl.String, "the rule (config/cleaning_rules.toml) or generic repair (generic.*, layout.*)"),
        ("n_matches", pl.Int64, "how many times the rule matched in this document"),
        ("example", pl.String, "a short example of what the rule changed"),
    ),
    key=("doc_id", "rule_id"),
)
DOCUMENT_LINKS = Table(
    "core",
    "document_links",
    "URL in a document",
    "tweets and links moved out of the text",
    _columns(
        ("doc_id", pl.String, "the document"),
        ("url", pl.String, "the URL"),
        ("kind", pl.String, "tweet (t.co, twitter.com, x.com) or link"),
    ),
    key=("doc_id", "url"),
)
SENTENCES = Table(
    "core",
    "sentences",
    "sentence",
    "character offsets into `core.documents.text`, `sentiment` in −1…1",
    _columns(
        ("doc_id", pl.String, "the document"),
        ("sentence_index", pl.Int32, "position of the sentence in the document, from 0"),
        ("start_char", pl.Int32, "offset of the first character in core.documents.text (0-based)"),
        ("end_char", pl.Int32, "offset after the last character (text[start_char:end_char] is the sentence)"),
        ("sentiment", pl.Float64, "sentence sentiment in -1…1 (VADER compound); null when the language has no scorer"),
    ),
    key=("doc_id", "sentence_index"),
)
ENTITY_MENTIONS = Table(
    "core",
    "entity_mentions",
    "entity mention",
    "`field` (text, or credits / source_note that cleaning moved out) and offsets into it "
    "(`text[start_char:end_char] == mention_text`), `model_label`, `label`, `entity_id`",
    _columns(
        ("doc_id", pl.String, "the document"),
        ("field", pl.String, "the core.documents column the offsets point into: text, credits or source_note"),
        ("sentence_index", pl.Int32, "the sentence (core.sentences) holding the mention; null outside the text"),
        ("start_char", pl.Int32, "offset of the mention in that column (0-based)"),
        ("end_char", pl.Int32, "offset after the mention: text[start_char:end_char] == mention_text"),
        ("mention_text", pl.String, "the mention as written"),
        ("model_label", pl.String, "the label the spaCy pipeline or watchlist gave this mention"),
        (
            "label",
            pl.String,
            "the label of the mention's entity (core.entities.label): PERSON, ORG, LOC, PRODUCT, EVENT or MISC",
        ),
        ("watchlist_name", pl.String, "the watchlist name that matched, when the watchlist found it"),
        ("entity_id", pl.String, "the canonical entity (core.entities) this mention names"),
    ),
    key=("doc_id", "field", "start_char", "end_char"),
)
ENTITIES = Table(
    "core",
    "entities",
    "canonical entity",
    "`name`, `label`, `n_mentions`, `n_documents`, `aliases`",
    _columns(
        ("entity_id", pl.String, "stable id: a hash of the canonical name and label"),
        ("name", pl.String, "canonical name (the watchlist's, else the most frequent form)"),
        ("label", pl.String, "PERSON, ORG, LOC, PRODUCT, EVENT or MISC"),
        ("n_mentions", pl.Int64, "mentions of the entity in all documents"),
        ("n_documents", pl.Int64, "documents that mention the entity"),
        ("aliases", STRING_LIST, "distinct forms the entity is written as"),
        ("in_watchlist", pl.Boolean, "whether the entity comes from config/watchlist.csv"),
    ),
    key=("entity_id",),
)

STORY_FEATURES = Table(
    "prep",
    "story_features",
    "current document, as the story linker sees it",
    "MinHash signature of its shingles, its proper names, numbers and words; the index new documents are compared against",
    _columns(
        ("doc_id", pl.String, "the document"),
        ("language", pl.String, "the document's language"),
        ("published_at", UTC_TIMESTAMP, "the document's publication time (UTC), when known"),
        ("published_at_precision", pl.String, "second, day, month or year"),
        ("n_shingles", pl.Int32, "distinct word 4-grams of the text"),
        ("minhash", pl.List(pl.UInt32), "MinHash signature of the shingles (one value per hash function)"),
        ("names", STRING_LIST, "distinct proper names the document mentions, normalised (lower case, no accents)"),
        ("name_counts", pl.List(pl.Int32), "mentions of each of `names`, in its order"),
        ("numbers", STRING_LIST, "distinct numbers the text holds (decimals, whole numbers from 10, not years), normalised"),
        ("words", STRING_LIST, "distinct words of the text (lower case, letters only, three or more), sorted"),
        ("word_counts", pl.List(pl.Int32), "occurrences of each of `words`, in its order"),
        ("features_fingerprint", pl.String, "hash of the analysis and linking settings that made this row"),
    ),
    key=("doc_id",),
)
STORY_LINKS = Table(
    "core",
    "story_links",
    "pair of current documents that carry the same story",
    "`near_duplicate` (syndicated copy) or `same_story` (also across languages), with `score` and the evidence",
    _columns(
        ("doc_id_a", pl.String, "the first document (doc_id_a < doc_id_b)"),
        ("doc_id_b", pl.String, "the second document"),
        ("link_type", pl.String, "near_duplicate (nearly the same text) or same_story (same names and numbers)"),
        ("method", pl.String, "minhash_jaccard (shingles) or shared_names_numbers (proper names and numbers)"),
        ("score", pl.Float64, "near_duplicate: estimated shingle Jaccard; same_story: Jaccard of the names and numbers (0…1)"),
        ("shared_names", STRING_LIST, "proper names both documents mention"),
        ("shared_numbers", STRING_LIST, "numbers both texts hold"),
        ("shingle_share", pl.Float64, "estimated share of word 4-grams both texts have (MinHash Jaccard)"),
    ),
    key=("doc_id_a", "doc_id_b"),
)
STORIES = Table(
    "core",
    "stories",
    "current document",
    "the story (`story_id`) it belongs to; a document nothing links is a story of its own",
    _columns(
        ("story_id", pl.String, "stable id: a hash of the story's first document (earliest published, then doc_id)"),
        ("doc_id", pl.String, "the document"),
        ("n_documents", pl.Int64, "documents in the story"),
    ),
    key=("doc_id",),
)

_IN_TEXT = "offset into core.documents.text (0-based)"
_FINGERPRINT = ("extraction_fingerprint", pl.String, "hash of the extraction rules and code that made this row")
QUOTATIONS = Table(
    "core",
    "quotations",
    "quotation",
    "what someone said: the words, the cue, the speaker (and its entity), the tone",
    _columns(
        ("quote_id", pl.String, "stable id: a hash of the document, offsets and kind"),
        ("doc_id", pl.String, "the document"),
        ("sentence_index", pl.Int32, "the sentence (core.sentences) the quotation starts in"),
        ("start_char", pl.Int32, _IN_TEXT),
        ("end_char", pl.Int32, "offset after the last character: text[start_char:end_char] == quote_text"),
        ("quote_text", pl.String, "the quoted or reported words, without quote marks"),
        ("kind", pl.String, "direct (inside quote marks), indirect (after a speech verb) or according_to (selon X, according to X, an incise)"),
        ("cue_text", pl.String, "the speech verb or attribution phrase, as written"),
        ("speaker_text", pl.String, "the speaker as written in the cue: a name, a pronoun or a role"),
        ("speaker_start_char", pl.Int32, "offset of speaker_text in core.documents.text"),
        ("speaker_end_char", pl.Int32, "offset after speaker_text"),
        ("speaker_entity_id", pl.String, "the speaking entity (core.entities), when the speaker is or stands for one"),
        ("speaker_resolution", pl.String, "mention, pronoun, title_or_role, continuation or none"),
        ("speaker_name", pl.String, "the name the speaker stands for, as the document writes it where it names them (a pronoun's or role's antecedent; a name the NER missed, such as \"Telxon Corp\")"),
        ("sentiment", pl.Float64, "mean sentiment of the sentences the quotation covers, weighted by overlap (-1…1)"),
        _FINGERPRINT,
    ),
    key=("quote_id",),
)
AMOUNTS = Table(
    "core",
    "amounts",
    "amount mentioned",
    "money and percentages in the text, with their value in units and ISO currency",
    _columns(
        ("amount_id", pl.String, "stable id: a hash of the document, offsets and kind"),
        ("doc_id", pl.String, "the document"),
        ("sentence_index", pl.Int32, "the sentence (core.sentences) holding the amount"),
        ("start_char", pl.Int32, _IN_TEXT),
        ("end_char", pl.Int32, "offset after the last character: text[start_char:end_char] == mention_text"),
        ("mention_text", pl.String, "the amount as written"),
        ("kind", pl.String, "money or percent"),
        ("value", pl.Float64, "the value in units (14 milliards → 14000000000; 12,5 % → 12.5)"),
        ("currency", pl.String, "ISO 4217 code; null when the text does not say which (bare 'francs')"),
        ("is_approximate", pl.Boolean, "the text says the figure is not exact (environ, about, plusieurs milliards)"),
        _FINGERPRINT,
    ),
    key=("amount_id",),
)
DATE_MENTIONS = Table(
    "core",
    "date_mentions",
    "date mentioned",
    "days, weeks, months and years the text names, resolved against the publication date",
    _columns(
        ("date_mention_id", pl.String, "stable id: a hash of the document, offsets and kind"),
        ("doc_id", pl.String, "the document"),
        ("sentence_index", pl.Int32, "the sentence (core.sentences) holding the mention"),
        ("start_char", pl.Int32, _IN_TEXT),
        ("end_char", pl.Int32, "offset after the last character: text[start_char:end_char] == mention_text"),
        ("mention_text", pl.String, "the expression as written"),
        ("kind", pl.String, "absolute (the text names the period) or relative (needs the publication date)"),
        ("resolved_date", pl.Date, "first day of the period named; null unless status is resolved"),
        ("granularity", pl.String, "day, week, month or year"),
        ("anchor_date", pl.Date, "the publication date a relative expression was resolved against"),
        ("status", pl.String, "resolved, no_anchor (no publication date), anchor_too_coarse or unparsed"),
        _FINGERPRINT,
    ),
    key=("date_mention_id",),
)

# In the order of the flow (and of the README's table guide).
TABLES: tuple[Table, ...] = (
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
    STORY_FEATURES,
    STORY_LINKS,
    STORIES,
    QUOTATIONS,
    AMOUNTS,
    DATE_MENTIONS,
)


def table(qualified_name: str) -> Table:
    """The table called `schema.name`."""
    for candidate in TABLES:
        if candidate.qualified_name == qualified_name:
            return candidate
    raise KeyError(f"no table {qualified_name} in the schema")


def markdown_guide(tables: tuple[Table, ...] = TABLES) -> str:
    """The rows of the README's table guide (`| table | one row per | what for |`) for `tables`."""
    return "\n".join(f"| `{t.qualified_name}` | {t.grain} | {t.purpose} |" for t in tables)


# The core tables the dbt project reads (sql/models/staging/_sources.yml).
DBT_SOURCES: tuple[Table, ...] = (
    DOCUMENTS,
    SENTENCES,
    ENTITY_MENTIONS,
    ENTITIES,
    REJECTED_DOCUMENTS,
    STORY_LINKS,
    STORIES,
    QUOTATIONS,
    AMOUNTS,
    DATE_MENTIONS,
)


def dbt_sources_yaml(tables: tuple[Table, ...] = DBT_SOURCES) -> str:
    """The dbt sources file for `tables`, columns typed and described as declared here.

    `python -m transforms.schema > sql/models/staging/_sources.yml` writes it; a test fails when
    the file and the schema disagree."""

    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [
        "# Generated from transforms/schema.py: python -m transforms.schema > sql/models/staging/_sources.yml",
        "version: 2",
        "",
        "sources:",
        "  - name: core",
        "    description: Tables written by the Python assets (Dagster), one per asset key core.<table>.",
        "    schema: core",
        "    tables:",
    ]
    for table in tables:
        lines += [
            f"      - name: {table.name}",
            f"        description: {quoted(table.description)}",
            "        columns:",
        ]
        for column in table.columns:
            lines += [
                f"          - name: {column.name}",
                f"            data_type: {quoted(column.sql_type)}",
                f"            description: {quoted(column.comment)}",
            ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(dbt_sources_yaml(), end="")
