"""Articles that arrive as records (JSON Lines, CSV, Parquet) or as text files with front matter.

Pure functions, bytes in and rows out: no Dagster, no DuckDB, no file system. Scrapers and news
APIs name their fields differently; a `FieldMap` says which names hold the text, the title, the
publication time, the outlet, the URL, the feed's id and the language (`NEWS_SOURCE_FIELDS` adds
the user's names before the defaults). `read_records` turns one record file into raw-document rows
(the columns of `raw.documents`) and rejections (`source_path#n`, `record_number`, `reason`,
`detail`): a bad record is rejected on its own, the file's other records go on.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import json
import math
import re
import unicodedata
import warnings
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

# ---------------------------------------------------------------------------------------------
# Field names
# ---------------------------------------------------------------------------------------------

FIELD_NAMES: tuple[str, ...] = ("text", "title", "published_at", "outlet", "url", "id", "language")
DEFAULT_ALIASES: dict[str, tuple[str, ...]] = {
    "text": ("text", "body", "content", "maintext"),
    "title": ("title", "headline"),
    "published_at": ("published_at", "date", "date_publish", "pubDate"),
    "outlet": ("source", "outlet", "source_domain"),
    "url": ("url",),
    "id": ("id",),
    "language": ("language",),
}
# The raw.documents column each declared field fills.
DECLARED_COLUMN = {
    "title": "declared_title",
    "outlet": "declared_outlet",
    "url": "declared_url",
    "id": "declared_id",
    "language": "declared_language",
}
METADATA_COLUMNS = (
    "declared_title",
    "declared_outlet",
    "declared_url",
    "declared_id",
    "declared_published_at",
    "declared_published_at_precision",
    "declared_language",
    "metadata_source",
)


@dataclass(frozen=True)
class FieldMap:
    """Which record keys (or front matter keys) hold each field, in the order they are tried.

    Keys match case-insensitively (and ignoring surrounding spaces); the first name present with a
    non-empty value wins. `FieldMap()` is the defaults; `FieldMap.parse("text=story_body,title=hed")`
    tries the user's names first, then the defaults."""

    extra: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (field, the user's names), from NEWS_SOURCE_FIELDS
    _lookup: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        added = dict(self.extra)
        unknown = sorted(set(added) - set(FIELD_NAMES))
        if unknown:
            raise ValueError(_unknown_fields_message(unknown))
        lookup = {}
        for name in FIELD_NAMES:
            names: list[str] = []
            for alias in (*added.get(name, ()), *DEFAULT_ALIASES[name]):
                key = alias.strip().lower()
                if key and key not in names:
                    names.append(key)
            lookup[name] = tuple(names)
        object.__setattr__(self, "_lookup", lookup)

    @classmethod
    def parse(cls, value: str | None) -> FieldMap:
        """A NEWS_SOURCE_FIELDS value: `field=name` pairs separated by commas, for example
        `text=story_body,title=hed,published_at=firstpub`. A field may be named several times
        (`text=body_html,text=story`): its names are tried in that order. Empty: the defaults."""
        added: dict[str, list[str]] = {}
        for item in filter(None, (part.strip() for part in (value or "").split(","))):
            name, separator, alias = item.partition("=")
            name, alias = name.strip().lower(), alias.strip()
            if not separator or not name or not alias:
                raise ValueError(f"NEWS_SOURCE_FIELDS: expected field=name pairs separated by commas, got {item!r}")
            if name not in FIELD_NAMES:
                raise ValueError(_unknown_fields_message([name]))
            added.setdefault(name, []).append(alias)
        return cls(tuple((name, tuple(aliases)) for name, aliases in added.items()))

    def names(self, name: str) -> tuple[str, ...]:
        """The (lower-case) keys tried for field `name`, in order."""
        return self._lookup[name]

    def pick(self, values: Mapping[str, object]) -> dict[str, tuple[str, object]]:
        """`{field: (key, value)}` for each field some key of `values` holds a non-empty value for."""
        lowered: dict[str, tuple[str, object]] = {}
        for key, value in values.items():
            lowered.setdefault(str(key).strip().lower(), (str(key), value))
        picked = {}
        for name, aliases in self._lookup.items():
            for alias in aliases:
                found = lowered.get(alias)
                if found is not None and not _is_blank(found[1]):
                    picked[name] = found
                    break
        return picked

    def __str__(self) -> str:
        return ", ".join(f"{name}: {'/'.join(self._lookup[name])}" for name in FIELD_NAMES)


DEFAULT_FIELDS = FieldMap()


def parse_fields(value: str | None) -> FieldMap:
    """The FieldMap of a NEWS_SOURCE_FIELDS value (see `FieldMap.parse`)."""
    return FieldMap.parse(value)


def _unknown_fields_message(unknown: list[str]) -> str:
    return (
        f"NEWS_SOURCE_FIELDS: unknown field {', '.join(repr(name) for name in unknown)}; "
        f"the fields are {', '.join(FIELD_NAMES)}"
    )


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, list | tuple | dict):
        return not value
    return False


# ---------------------------------------------------------------------------------------------
# Publication times
# ---------------------------------------------------------------------------------------------

_YEAR_ONLY = re.compile(r"\d{4}")
_YEAR_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_EPOCH = re.compile(r"-?\d{9,}(?:\.\d+)?")
_ISO_HAS_TIME = re.compile(r"\d[T ]\d|:")
_NUMERIC_DATE = re.compile(r"(\d{1,2})([./-])(\d{1,2})\2(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_RFC_2822 = re.compile(r"(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}")
# The months in order, one line per language (English, French, Spanish, German), accents dropped;
# other spellings and abbreviations after a slash.
_MONTH_NAMES = (
    "january/jan february/feb march/mar april/apr may june/jun july/jul august/aug september/sep/sept "
    "october/oct november/nov december/dec",
    "janvier/janv fevrier/fevr mars avril/avr mai juin juillet/juil aout septembre octobre novembre decembre",
    "enero/ene febrero marzo abril/abr mayo junio julio agosto/ago septiembre/setiembre octubre noviembre "
    "diciembre/dic",
    "januar/janner/jaenner februar marz/maerz april mai juni juli august september oktober/okt november dezember/dez",
)
_MONTHS = {
    name: number
    for line in _MONTH_NAMES
    for number, names in enumerate(line.split(), start=1)
    for name in names.split("/")
}
_WORD = r"[^\W\d_]+"
_TIME = r"(?:[,\s]+(?:at\s+|à\s+|a\s+las\s+|um\s+)?(\d{1,2})[:h](\d{2})(?::(\d{2}))?)?"
# "17 novembre 2018", "samedi 17 novembre 2018 à 10h30", "17 de noviembre de 2018", "17. November 2018"
_DAY_MONTH_YEAR = re.compile(
    rf"(?:{_WORD},?\s+)?(\d{{1,2}})(?:er|º|\.)?\s+(?:de\s+)?({_WORD})\.?,?\s+(?:de\s+)?(\d{{4}}){_TIME}"
)
# "November 17, 2018", "Nov. 17 2018 10:00"
_MONTH_DAY_YEAR = re.compile(rf"(?:{_WORD},?\s+)?({_WORD})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}}){_TIME}")
# "novembre 2018", "November 2018"
_MONTH_YEAR = re.compile(rf"({_WORD})\.?\s+(?:de\s+)?(\d{{4}})")
# Zone abbreviations and their offsets in hours (US ones as in US feeds: CST is US Central time).
_ZONE_HOURS = (
    "UTC=0 UT=0 GMT=0 Z=0 WET=0 BST=1 CET=1 CEST=2 MEZ=1 MESZ=2 EET=2 EEST=3 "
    "AST=-4 ADT=-3 EST=-5 EDT=-4 CST=-6 CDT=-5 MST=-7 MDT=-6 PST=-8 PDT=-7"
)
_ZONES = {name: int(hours) * 3600 for name, hours in (item.split("=") for item in _ZONE_HOURS.split())}
PRECISIONS = ("second", "day", "month", "year")


def parse_published_at(value: object) -> tuple[dt.datetime, str]:
    """A publication time as `(naive UTC datetime, precision)`; raises ValueError when it does not parse.

    Precision is `second` when a time of day is given, else `day`, `month` or `year`; times with an
    offset (`Z`, `+02:00`, `+0100`, `GMT`) are converted to UTC, times without one are taken as UTC.
    In order:

    - `datetime` / `date` objects (Parquet columns): a datetime is `second`, a date `day`;
    - a number (int or float, not bool): seconds since 1970-01-01 UTC; 100,000,000,000 and over
      (beyond the year 5138 in seconds) are milliseconds. A string of 9 digits or more is the same;
    - `YYYY` (year), `YYYY-MM` (month);
    - ISO 8601 as Python reads it: `2018-11-17` (day), `20181117`, `2018-W46-6`,
      `2018-11-17T15:01:01`, `2018-11-17 15:01`, with `Z` or `±HH:MM` / `±HHMM` (second);
    - numeric day-month-year `17/11/2018`, `17.11.2018`, `17-11-2018` with an optional `HH:MM[:SS]`:
      with dots, always day first (the German style); with `/` or `-`, day first when the first
      number is over 12, month first (US) when the second is, and refused as ambiguous when both
      are 12 or less and differ (`05/11/2018`);
    - RFC 2822 (RSS `pubDate`, e-mail): `Sat, 17 Nov 2018 10:00:00 +0100`;
    - a month written out in English, French, Spanish or German: `17 novembre 2018`,
      `17 de noviembre de 2018`, `17. November 2018`, `November 17, 2018` (day, or second with a
      time), `novembre 2018` (month);
    - anything else holding a word and a 4-digit year: python-dateutil (English names, zone
      abbreviations such as EST or CEST).

    An unknown zone name is refused rather than taken as UTC; so is a date without a year.
    """
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not a date: {value!r}")
    if isinstance(value, dt.datetime):
        return _utc(value), "second"
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day), "day"
    if isinstance(value, int | float):
        return _from_epoch(value), "second"
    if not isinstance(value, str):
        raise ValueError(f"not a date: a {type(value).__name__}")
    text = " ".join(value.split())
    if not text:
        raise ValueError("empty date")
    if _YEAR_ONLY.fullmatch(text):
        return _checked(int(text), 1, 1), "year"
    if match := _YEAR_MONTH.fullmatch(text):
        return _checked(int(match[1]), int(match[2]), 1), "month"
    if _EPOCH.fullmatch(text):
        return _from_epoch(float(text) if "." in text else int(text)), "second"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    else:
        return _utc(parsed), ("second" if _ISO_HAS_TIME.search(text) else "day")
    if match := _NUMERIC_DATE.fullmatch(text):
        return _numeric_date(match)
    if _RFC_2822.match(text):
        from email.utils import parsedate_tz

        parts = parsedate_tz(text)
        if parts is not None:
            zone = re.search(r"\d:\d{2}(?::\d{2})?\s+([A-Za-z]+)$", text)
            if zone and zone[1].upper() not in _ZONES:  # parsedate_tz takes an unknown name for UTC
                raise ValueError(f"unknown time zone {zone[1]!r} in {value!r}")
            offset = parts[9] or 0
            moment = _checked(*parts[:6]) - dt.timedelta(seconds=offset)
            return moment, "second"
    if (found := _written_month(text)) is not None:
        return found
    if re.search(r"[^\W\d_]{3}", text) and re.search(r"\d{4}", text):
        return _dateutil(text)
    raise ValueError(f"not a date this pipeline reads: {value!r}")


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is not None and moment.utcoffset() is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.replace(tzinfo=None)


def _from_epoch(number: int | float) -> dt.datetime:
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError(f"not a date: {number!r}")
    seconds = number / 1000 if abs(number) >= 100_000_000_000 else number
    try:
        return dt.datetime(1970, 1, 1) + dt.timedelta(seconds=seconds)
    except OverflowError as error:
        raise ValueError(f"timestamp {number!r} is out of range") from error


def _checked(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    try:
        return dt.datetime(year, month, day, hour, minute, second)
    except ValueError as error:
        raise ValueError(f"not a date: {error}") from None


def _numeric_date(match: re.Match) -> tuple[dt.datetime, str]:
    first, separator, second, year = int(match[1]), match[2], int(match[3]), int(match[4])
    if separator == "." or first > 12 or first == second:
        day, month = first, second
    elif second > 12:
        day, month = second, first
    else:
        raise ValueError(f"ambiguous date {match[0]!r}: day/month or month/day (write it as YYYY-MM-DD)")
    if match[5] is None:
        return _checked(year, month, day), "day"
    return _checked(year, month, day, int(match[5]), int(match[6]), int(match[7] or 0)), "second"


def _month_number(word: str) -> int | None:
    folded = unicodedata.normalize("NFKD", word.lower())
    return _MONTHS.get("".join(c for c in folded if not unicodedata.combining(c)))


def _written_month(text: str) -> tuple[dt.datetime, str] | None:
    text = text.lower()
    for pattern, order in ((_DAY_MONTH_YEAR, "dmy"), (_MONTH_DAY_YEAR, "mdy")):
        match = pattern.fullmatch(text)
        if match is None:
            continue
        day_text, month_text = (match[1], match[2]) if order == "dmy" else (match[2], match[1])
        month = _month_number(month_text)
        if month is None:
            continue
        year, day = int(match[3]), int(day_text)
        if match[4] is None:
            return _checked(year, month, day), "day"
        return _checked(year, month, day, int(match[4]), int(match[5]), int(match[6] or 0)), "second"
    if (match := _MONTH_YEAR.fullmatch(text)) and (month := _month_number(match[1])):
        return _checked(int(match[2]), month, 1), "month"
    return None


def _dateutil(text: str) -> tuple[dt.datetime, str]:
    from dateutil import parser
    from dateutil.parser import UnknownTimezoneWarning

    def parse(default: dt.datetime) -> dt.datetime:
        with warnings.catch_warnings():
            warnings.simplefilter("error", UnknownTimezoneWarning)
            try:
                return parser.parse(text, default=default, tzinfos=_ZONES)
            except UnknownTimezoneWarning as warning:
                raise ValueError(f"unknown time zone in {text!r}: {warning}") from None
            except (parser.ParserError, OverflowError, ValueError) as error:
                raise ValueError(f"not a date this pipeline reads: {text!r}") from error

    # Parsed twice with different defaults: what changes with the default was not in the text.
    a, b = parse(dt.datetime(2000, 1, 1, 0, 0, 0)), parse(dt.datetime(2001, 2, 2, 1, 1, 1))
    if a.year != b.year:
        raise ValueError(f"no year in {text!r}")
    if a.hour == b.hour:
        return _utc(a), "second"
    if a.day == b.day:
        return _utc(a.replace(hour=0, minute=0, second=0)), "day"
    if a.month == b.month:
        return dt.datetime(a.year, a.month, 1), "month"
    return dt.datetime(a.year, 1, 1), "year"


# ---------------------------------------------------------------------------------------------
# Declared values
# ---------------------------------------------------------------------------------------------

_LANGUAGE = re.compile(r"([a-z]{2,3})(?:[-_][a-z0-9]{1,8})*")
_NOT_A_LANGUAGE = {"und", "mul", "zxx", "mis"}  # codes that say nothing about the text's language


def normalise_language(value: object) -> str | None:
    """`en-US`, `EN`, `en_us` → `en`; `fra` stays `fra`; anything that is not a 2–3 letter code
    (with optional subtags), and `und`/`mul`/`zxx`/`mis`, → None."""
    if not isinstance(value, str):
        return None
    match = _LANGUAGE.fullmatch(value.strip().lower())
    if match is None or match[1] in _NOT_A_LANGUAGE:
        return None
    return match[1]


@dataclass(frozen=True)
class RecordRejection(Exception):
    """A record (or front matter) that cannot become a document: `reason` is a stable code."""

    reason: str
    detail: str


def _as_string(value: object) -> str | None:
    """A declared value as a stripped string; None for empty or structured values."""
    if value is None or isinstance(value, list | tuple):
        return None
    if isinstance(value, dict):  # NewsAPI's "source": {"id": ..., "name": "BBC News"}
        named = {str(k).lower(): v for k, v in value.items()}.get("name")
        return _as_string(named) if isinstance(named, str) else None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if value.is_integer():
            value = int(value)
    if isinstance(value, dt.date):
        value = value.isoformat()
    text = str(value).strip()
    return text or None


def declared_values(values: Mapping[str, object], fields: FieldMap = DEFAULT_FIELDS) -> dict[str, object]:
    """The declared_* columns of a record or front matter (metadata_source not included).

    Raises `RecordRejection('bad_date', …)` when the publication time does not parse."""
    return _declared(fields.pick(values))


def _declared(picked: dict[str, tuple[str, object]]) -> dict[str, object]:
    row: dict[str, object] = {column: None for column in METADATA_COLUMNS}
    for name, column in DECLARED_COLUMN.items():
        if name in picked:
            row[column] = _as_string(picked[name][1])
    row["declared_language"] = normalise_language(row["declared_language"])
    if "published_at" in picked:
        key, value = picked["published_at"]
        try:
            moment, precision = parse_published_at(value.strip() if isinstance(value, str) else value)
        except ValueError as error:
            raise RecordRejection("bad_date", f"field {key!r} = {_shown(value)}: {error}") from None
        row["declared_published_at"], row["declared_published_at_precision"] = moment, precision
    return row


def _shown(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------------------------
# Front matter
# ---------------------------------------------------------------------------------------------

FRONT_MATTER_MAX_LINES = 50
_FRONT_MATTER_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_.\-]*)[ \t]*:(?:[ \t]+(.*))?")


def split_front_matter(text: str) -> tuple[dict[str, str] | None, str]:
    """`(metadata, body)` of a text starting with a front-matter block, else `(None, text)`.

    The block is a first line `---`, then `key: value` lines, then a line `---` no later than line
    50. Blank lines, `#` comments and indented or `- ` lines (YAML lists under a key) may come
    between; they are not read. Any other line means the `---` was not front matter (a rule, say),
    and the whole text is the body. Quoted values lose their quotes; the body is what follows the
    closing line, leading blank lines removed."""
    if not text.startswith("---"):
        return None, text
    lines = text.split("\n", FRONT_MATTER_MAX_LINES)
    if lines[0].rstrip() != "---":
        return None, text
    metadata: dict[str, str] = {}
    keyed = False
    for number, line in enumerate(lines[1:FRONT_MATTER_MAX_LINES], start=1):
        stripped = line.rstrip()
        if stripped == "---":
            body = "\n".join(lines[number + 1 :]) if number + 1 < len(lines) else ""
            return metadata, body.lstrip("\r\n")
        if not stripped.strip() or stripped.lstrip().startswith("#"):
            continue
        if keyed and (line[:1] in (" ", "\t") or stripped.startswith("- ") or stripped == "-"):
            continue
        match = _FRONT_MATTER_KEY.fullmatch(stripped)
        if match is None:
            return None, text
        metadata[match[1]] = _unquoted((match[2] or "").strip())
        keyed = True
    return None, text


def _unquoted(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        if value[0] == '"':
            try:
                loaded = json.loads(value)
            except ValueError:
                return value[1:-1]
            return loaded if isinstance(loaded, str) else value[1:-1]
        return value[1:-1].replace("''", "'")
    return value


# ---------------------------------------------------------------------------------------------
# Record files
# ---------------------------------------------------------------------------------------------

RECORD_SUFFIXES = (".jsonl", ".jsonl.gz", ".csv", ".parquet")


def is_record_file(path: str) -> bool:
    """Whether the file holds one article per record (JSON Lines, CSV, Parquet), by its name."""
    return path.lower().endswith(RECORD_SUFFIXES)


def record_id(record: Mapping[str, object]) -> tuple[str, bytes]:
    """`(doc_id, serialisation)`: sha256 hex of the record's fields serialised canonically (keys
    sorted, UTF-8), so the same fields always give the same id and any change gives a new one."""
    serialised = json.dumps(record, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    return hashlib.sha256(serialised).hexdigest(), serialised


def read_records(
    path: str, raw: bytes, fields: FieldMap = DEFAULT_FIELDS, max_text_bytes: int | None = None
) -> tuple[list[dict], list[dict]]:
    """The raw documents and rejections of one record file (`path` relative to the source folder).

    Each record becomes a row of raw.documents (`source_path` = `path#n`, `record_number` = n, the
    n-th record, blank lines not counted) or a rejection: `no_text_field` (no usable text),
    `bad_date` (a publication time that does not parse), `too_large` (text over `max_text_bytes`
    bytes in UTF-8), `bad_record` (a line that is not a JSON object, a row with the wrong number
    of fields). A file that cannot be read as a whole (corrupt gzip or Parquet, not text) is one
    rejection with `record_number` null; so is a CSV or Parquet file with no text column, and a
    file with no records (`empty`)."""
    reader = _JsonLines if path.lower().endswith((".jsonl", ".jsonl.gz")) else None
    if path.lower().endswith(".csv"):
        reader = _Csv
    elif path.lower().endswith(".parquet"):
        reader = _Parquet
    if reader is None:
        raise ValueError(f"{path} is not a record file ({', '.join(RECORD_SUFFIXES)})")
    builder = _Builder(path, fields, max_text_bytes)
    try:
        reader(builder, raw)
    except RecordRejection as rejection:
        builder.reject_file(rejection.reason, rejection.detail)
    if not builder.documents and not builder.rejections:
        builder.reject_file("empty", "the file holds no records" if raw else "the file has no bytes")
    return builder.documents, builder.rejections


class _Builder:
    """Collects one file's documents and rejections."""

    def __init__(self, path: str, fields: FieldMap, max_text_bytes: int | None):
        self.path, self.fields, self.max_text_bytes = path, fields, max_text_bytes
        self.documents: list[dict] = []
        self.rejections: list[dict] = []
        self.count = 0

    def next_number(self) -> int:
        self.count += 1
        return self.count

    def reject(self, number: int, reason: str, detail: str) -> None:
        self.rejections.append(
            {"source_path": f"{self.path}#{number}", "record_number": number, "reason": reason, "detail": detail}
        )

    def reject_file(self, reason: str, detail: str) -> None:
        self.rejections.append({"source_path": self.path, "record_number": None, "reason": reason, "detail": detail})

    def add(self, number: int, record: Mapping[str, object], encoding: str, where: str) -> None:
        picked = self.fields.pick(record)
        if "text" not in picked:
            self.reject(
                number,
                "no_text_field",
                f"{where} has no text in any of {', '.join(self.fields.names('text'))} (NEWS_SOURCE_FIELDS maps others)",
            )
            return
        key, text = picked["text"]
        if not isinstance(text, str):
            self.reject(number, "no_text_field", f"{where}: field {key!r} holds a {type(text).__name__}, not text")
            return
        if self.max_text_bytes is not None and len(text) * 4 > self.max_text_bytes:
            size = len(text.encode("utf-8"))
            if size > self.max_text_bytes:
                self.reject(
                    number,
                    "too_large",
                    f"{where}: text of {size} bytes, over the limit of {self.max_text_bytes} (NEWS_MAX_FILE_BYTES)",
                )
                return
        try:
            declared = _declared(picked)
        except RecordRejection as rejection:
            self.reject(number, rejection.reason, f"{where}: {rejection.detail}")
            return
        doc_id, serialised = record_id(record)
        declared["metadata_source"] = "record"
        self.documents.append(
            {
                "doc_id": doc_id,
                "source_path": f"{self.path}#{number}",
                "record_number": number,
                "n_bytes": len(serialised),
                "encoding": encoding,
                "raw_text": text,
                **declared,
            }
        )


def _JsonLines(builder: _Builder, raw: bytes) -> None:
    if builder.path.lower().endswith(".gz"):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            raise RecordRejection("bad_record", f"not a readable gzip file: {error}") from None
    encoding = "utf-8"
    if raw.startswith(b"\xef\xbb\xbf"):
        raw, encoding = raw[3:], "utf-8-sig"
    try:
        lines: Iterator[tuple[int, str | None]] = enumerate(raw.decode("utf-8").split("\n"), start=1)
    except UnicodeDecodeError:
        lines = enumerate((_utf8_or_none(line) for line in raw.split(b"\n")), start=1)
    for line_number, line in lines:
        if line is None:
            builder.reject(builder.next_number(), "bad_record", f"line {line_number} is not UTF-8")
            continue
        if not line.strip():
            continue
        number = builder.next_number()
        try:
            record = json.loads(line)
        except ValueError as error:
            builder.reject(number, "bad_record", f"line {line_number} is not JSON: {error}")
            continue
        if not isinstance(record, dict):
            builder.reject(number, "bad_record", f"line {line_number} is a JSON {_json_kind(record)}, not an object")
            continue
        builder.add(number, record, encoding, f"line {line_number}")


def _utf8_or_none(line: bytes) -> str | None:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _json_kind(value: object) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(type(value), "number")


def _Csv(builder: _Builder, raw: bytes) -> None:
    from transforms.ingest import Rejection, decode_document  # ingest imports this module

    try:
        text, encoding = decode_document(raw)
    except Rejection as rejection:
        raise RecordRejection(rejection.reason, rejection.detail) from None
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t", "|"), key=first_line.count)
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, 1 << 30))  # article texts are longer than csv's 128 KiB default
    try:
        rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            header = next(rows)
        except StopIteration:
            return
        except csv.Error as error:
            raise RecordRejection("bad_record", f"not a CSV file: {error}") from None
        header = [name.strip() for name in header]
        _require_text_column(builder, header)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                break
            except csv.Error as error:
                builder.reject(builder.next_number(), "bad_record", f"row ending on line {rows.line_num}: {error}")
                continue
            if not row or not any(cell.strip() for cell in row):
                continue
            number = builder.next_number()
            if len(row) > len(header) and not any(cell.strip() for cell in row[len(header) :]):
                row = row[: len(header)]
            if len(row) != len(header):
                builder.reject(
                    number,
                    "bad_record",
                    f"row ending on line {rows.line_num} has {len(row)} fields, the header has {len(header)}",
                )
                continue
            builder.add(number, dict(zip(header, row, strict=True)), encoding, f"row {number}")
    finally:
        csv.field_size_limit(limit)


def _require_text_column(builder: _Builder, columns: list[str]) -> None:
    present = {name.strip().lower() for name in columns}
    if not present & set(builder.fields.names("text")):
        raise RecordRejection(
            "no_text_field",
            f"no column named {', '.join(builder.fields.names('text'))} (NEWS_SOURCE_FIELDS maps others); "
            f"the columns are {', '.join(columns)}",
        )


def _Parquet(builder: _Builder, raw: bytes) -> None:
    import polars as pl

    try:
        frame = pl.read_parquet(io.BytesIO(raw))
    except Exception as error:  # noqa: BLE001 — polars raises several kinds for a corrupt file
        raise RecordRejection("bad_record", f"not a readable Parquet file: {type(error).__name__}: {error}") from None
    if frame.height == 0:
        return
    _require_text_column(builder, frame.columns)
    for record in frame.iter_rows(named=True):
        number = builder.next_number()
        builder.add(number, record, "utf-8", f"row {number}")
