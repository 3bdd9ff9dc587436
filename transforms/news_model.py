"""What a document is in the news: its outlet, URL, publication time, and which article it is a version of.

`describe_documents` fills the columns from what the record or front matter declared, then from
the text (the date line cleaning found, the source note) and the URL; `assign_versions` numbers the
contents an article has had, so that marts count each article's latest version once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import polars as pl

from transforms.schema import PREP_CLEANED_DOCUMENTS, UTC_TIMESTAMP

# A source note names the outlet that published the article: "… une publication sœur de
# Direction informatique." The first pattern that matches wins; `outlet` is the name.
SOURCE_NOTE_OUTLET_PATTERNS: tuple[str, ...] = (
    r"publication s(?:œ|oe)ur de (?P<outlet>[^.,;]+)",
    r"sister publication of (?P<outlet>[^.,;]+)",
    r"(?:initialement |originellement )?(?:paru|publié)e? (?:dans|sur|par) (?P<outlet>[^.,;]+)",
    r"(?:originally )?(?:published|appeared) (?:in|on|by) (?P<outlet>[^.,;]+)",
    r"(?:disponible|available) (?:sur|on|at) (?P<outlet>[^.,;]+)",
)
_URL_DAY = re.compile(r"/((?:19|20)\d\d)[/-](0[1-9]|1[0-2])[/-](0[1-9]|[12]\d|3[01])(?:/|$|[^0-9])")
_URL_MONTH = re.compile(r"/((?:19|20)\d\d)/(0[1-9]|1[0-2])/")
_TRACKING_PARAMETERS = re.compile(r"^(utm_|fbclid$|gclid$|mc_|at_medium$|at_campaign$|cmp$|ref$)")
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")

# The columns `describe_documents` adds, and those it may override (title, language).
NEWS_MODEL_COLUMNS = (
    "language_source",
    "outlet",
    "outlet_source",
    "url",
    "external_id",
    "published_at",
    "published_at_precision",
    "published_at_source",
    "article_id",
)
DESCRIBED_COLUMNS = PREP_CLEANED_DOCUMENTS.subset(
    "title", "language", "language_confidence", "language_reason", *NEWS_MODEL_COLUMNS
)


def normalise_url(url: str | None) -> str | None:
    """The URL an article is known by: lower-case scheme and host without `www.`, no fragment, no
    tracking parameters, no trailing slash. None for anything that is not an http(s) URL."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().removeprefix("www.")
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if not _TRACKING_PARAMETERS.match(k.lower())))
    path = parts.path.rstrip("/") or ""
    return urlunsplit(("https", host, path, query, ""))


def url_domain(url: str | None) -> str | None:
    normalised = normalise_url(url)
    return urlsplit(normalised).hostname if normalised else None


def url_date(url: str | None) -> tuple[dt.datetime, str] | None:
    """A date in the URL's path (`/2018/11/17/`, `/2018-11-17-…`, `/2018/11/`), with its precision."""
    if not url:
        return None
    path = urlsplit(url).path
    if match := _URL_DAY.search(path):
        year, month, day = (int(group) for group in match.groups())
        try:
            return dt.datetime(year, month, day), "day"
        except ValueError:
            return None
    if match := _URL_MONTH.search(path):
        return dt.datetime(int(match.group(1)), int(match.group(2)), 1), "month"
    return None


def outlet_from_note(note: str | None) -> str | None:
    if not note:
        return None
    for pattern in SOURCE_NOTE_OUTLET_PATTERNS:
        if match := re.search(pattern, note, flags=re.IGNORECASE):
            outlet = match.group("outlet").strip(" «»\"'’")
            if outlet:
                return outlet
    return None


def article_id(external_id: str | None, url: str | None, source_path: str) -> str:
    """The article a document is a version of: its feed id, else its normalised URL, else its path."""
    if external_id:
        key = f"id\0{external_id}"
    elif normalised := normalise_url(url):
        key = f"url\0{normalised}"
    else:
        key = f"path\0{source_path}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _language(declared: str | None) -> str | None:
    if not declared:
        return None
    code = declared.strip().lower().replace("_", "-").split("-")[0]
    return code if _LANGUAGE_CODE.match(code) else None


def describe_document(row: dict) -> dict:
    """The news-model columns of one document from its cleaned row and its declared metadata."""
    declared_from = row.get("metadata_source")
    url = row.get("declared_url")
    outlet, outlet_source = row.get("declared_outlet"), declared_from
    if not outlet and (domain := url_domain(url)):
        outlet, outlet_source = domain, "url"
    if not outlet and (named := outlet_from_note(row.get("source_note"))):
        outlet, outlet_source = named, "source_note"
    if not outlet:
        outlet_source = None

    published = None
    if row.get("declared_published_at") is not None:
        published = (row["declared_published_at"], row.get("declared_published_at_precision") or "second", declared_from)
    elif row.get("published_date") is not None:
        published_date = row["published_date"]
        published = (
            dt.datetime(published_date.year, published_date.month, published_date.day),
            row.get("published_date_precision") or "day",
            "text",
        )
    elif found := url_date(url):
        published = (*found, "url")

    language, confidence, language_source = row["language"], row["language_confidence"], "detected"
    reason = row.get("language_reason")
    if declared_language := _language(row.get("declared_language")):
        language, confidence, language_source, reason = declared_language, 1.0, "declared", None
    return {
        "title": row.get("declared_title") or row.get("title"),
        "language": language,
        "language_confidence": confidence,
        "language_reason": reason,
        "language_source": language_source,
        "outlet": outlet,
        "outlet_source": outlet_source,
        "url": url,
        "external_id": row.get("declared_id"),
        "published_at": published[0] if published else None,
        "published_at_precision": published[1] if published else None,
        "published_at_source": published[2] if published else None,
        "article_id": article_id(row.get("declared_id"), url, row["source_path"]),
    }


def describe_documents(documents: pl.DataFrame) -> pl.DataFrame:
    """`documents` (cleaned rows joined with the raw document's declared_* columns) with the news-model
    columns filled in (title and language overridden by what the record declared)."""
    described = pl.DataFrame(
        [describe_document(row) for row in documents.iter_rows(named=True)], schema=DESCRIBED_COLUMNS
    )
    return documents.drop([name for name in DESCRIBED_COLUMNS if name in documents.columns]).hstack(described)


def assign_versions(documents: pl.DataFrame, previous_versions: pl.DataFrame | None) -> pl.DataFrame:
    """Number the versions of each article and link each to the next.

    `documents` holds every document the warehouse keeps (current contents and earlier ones) with
    `article_id`; `previous_versions` (doc_id, version) what the last run numbered. A content seen
    before keeps its place; new contents of an article come after, in order of publication time,
    then path and doc_id. The highest version is current; every other names its successor.
    """
    earlier = (
        previous_versions.select("doc_id", pl.col("version").alias("_earlier"))
        if previous_versions is not None and previous_versions.height
        else pl.DataFrame(schema={"doc_id": pl.String, "_earlier": pl.Int32})
    )
    numbered = (
        documents.drop("version", "is_current", "superseded_by", strict=False)
        .join(earlier, on="doc_id", how="left")
        .sort(
            ["article_id", "_earlier", "published_at", "source_path", "doc_id"],
            nulls_last=True,
        )
        .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int32).over("article_id").alias("version"))
        .with_columns(
            (pl.col("version") == pl.col("version").max().over("article_id")).alias("is_current"),
            pl.col("doc_id").shift(-1).over("article_id").alias("superseded_by"),
        )
        .drop("_earlier")
    )
    return numbered.with_columns(pl.col("published_at").cast(UTC_TIMESTAMP))
