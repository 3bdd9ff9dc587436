"""Cleaning of raw news text: generic repairs, user rules, layout metadata and an audit trail.

The order is fixed and documented in the README:

1. generic repairs every feed needs (line endings, mojibake, HTML entities, invisible characters,
   Unicode NFC, apostrophes between letters, mismatched guillemets);
2. the user's rules from `config/cleaning_rules.toml`, in file order (replace, drop_line,
   extract, drop_trailing_block); text they remove can be kept in a metadata field;
3. layout: a leading section label is moved to `section`, a leading heading line is read as
   `title` (it stays in the text, so entities in titles are found);
4. whitespace: trailing blanks, runs of spaces and of blank lines.

Cleaning is idempotent: `clean_text(clean_text(x).text).text == clean_text(x).text`.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import ftfy
import polars as pl

from transforms.schema import CLEANING_LOG, DOCUMENT_LINKS, PREP_CLEANED_DOCUMENTS

RULE_KINDS = ("replace", "drop_line", "extract", "drop_trailing_block")
METADATA_FIELDS = ("published_date", "source_note", "credits", "embeds", "related")
EXAMPLE_CHARS = 80
MAX_PASSES = 5

_URL = re.compile(r"https?://[^\s<>\"«»]+[^\s<>\"«».,;:!?)\]]")
_TWEET_HOSTS = re.compile(r"^https?://(?:t\.co|(?:www\.|mobile\.)?(?:twitter|x)\.com)/", re.IGNORECASE)
_INVISIBLE = re.compile(
    "[\u00ad\u200b\u200c\u200d\u2060\ufeff\u180e]"  # soft hyphen, zero-width, BOM, Mongolian vowel separator
    "|[\x00-\x08\x0e-\x1f\x7f-\x9f]"  # C0/C1 control characters other than tab and line breaks
)
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_TYPOGRAPHIC_APOSTROPHE = re.compile(r"(?<=\w)[\u2019\u2018\u02bc\u00b4](?=\w)")
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_MISMATCHED_GUILLEMET = re.compile(r"«([ \u00a0\u202f]?)([^«»\n]{1,200}?\S)([ \u00a0\u202f]?)«(?=[\s.,;:!?)]|$)")
_HORIZONTAL_SPACE = re.compile(r"[ \t\u00a0\u202f\u2000-\u200a\u3000]+")
_BLANK_RUN = re.compile(r"\n{3,}")
_HEADING_END = re.compile(r"[.;,:]$")
_SENTENCE_END = re.compile(r"[.!?:;»\"”)]$")


@dataclass(frozen=True)
class CleaningRule:
    """One user rule, as read from the rules file."""

    id: str
    kind: str
    pattern: re.Pattern[str]
    description: str
    replacement: str = ""
    field: str | None = None
    scope: str = "body"
    block_line: re.Pattern[str] | None = None


@dataclass
class CleanedText:
    """The result of cleaning one text: the text, metadata pulled out of it and what changed."""

    text: str
    title: str | None = None
    section: str | None = None
    published_date: dt.date | None = None
    published_date_precision: str | None = None
    source_note: str | None = None
    credits: str | None = None
    embeds: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    log: list[tuple[str, int, str]] = field(default_factory=list)


def parse_rules(toml_text: str) -> tuple[CleaningRule, ...]:
    """Parse and validate the rules file; raises `ValueError` naming the faulty rule."""
    document = tomllib.loads(toml_text)
    rules: list[CleaningRule] = []
    seen: set[str] = set()
    for position, entry in enumerate(document.get("rule", []), start=1):
        rule_id = entry.get("id") or f"#{position}"
        try:
            kind = entry["kind"]
            if kind not in RULE_KINDS:
                raise ValueError(f"kind must be one of {RULE_KINDS}, not {kind!r}")
            if rule_id in seen:
                raise ValueError("duplicate id")
            if not entry.get("description"):
                raise ValueError("a description is required")
            target = entry.get("field")
            if target is not None and target not in METADATA_FIELDS:
                raise ValueError(f"field must be one of {METADATA_FIELDS}, not {target!r}")
            if kind == "extract" and target is None:
                raise ValueError("an extract rule needs a field")
            scope = entry.get("scope", "body")
            if scope not in ("body", "first_line"):
                raise ValueError("scope must be 'body' or 'first_line'")
            block_line = entry.get("block_line")
            rules.append(
                CleaningRule(
                    id=entry["id"],
                    kind=kind,
                    pattern=re.compile(entry["pattern"]),
                    description=entry["description"],
                    replacement=entry.get("replacement", ""),
                    field=target,
                    scope=scope,
                    block_line=re.compile(block_line) if block_line else None,
                )
            )
        except (KeyError, ValueError, re.error) as error:
            raise ValueError(f"cleaning rule {rule_id}: {error}") from error
        seen.add(rule_id)
    return tuple(rules)


def _example(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXAMPLE_CHARS else text[: EXAMPLE_CHARS - 1] + "…"


def _fix_html_entities(text: str) -> tuple[str, int]:
    count = 0
    for _ in range(5):  # nested escapes (&amp;amp;) unwind to a fixed point
        found = len(_ENTITY.findall(text))
        if not found:
            break
        count += found
        text = _ENTITY.sub(lambda match: html.unescape(match.group(0)), text)
    return text, count


def _fix_guillemets(text: str) -> tuple[str, int]:
    return _MISMATCHED_GUILLEMET.subn(lambda m: f"«{m.group(1)}{m.group(2)}{m.group(3)}»", text)


def repair_text(text: str) -> tuple[str, list[tuple[str, int, str]]]:
    """Apply the generic repairs; return the text and one log row per repair that changed it."""
    log: list[tuple[str, int, str]] = []

    def step(
        rule_id: str, before: str, after: str, n: int | Callable[[], int], example: str | Callable[[], str]
    ) -> str:
        # n and example may be functions: they are worked out only when the repair changed something
        if after != before:
            count = n() if callable(n) else n
            log.append((rule_id, max(count, 1), _example(example() if callable(example) else example)))
        return after

    text = step("generic.line_endings", text, *_LINE_BREAKS.subn("\n", text), "CR/CRLF → LF")
    fixed, n = unwrap_hard_wraps(text)
    text = step("generic.hard_wraps", text, fixed, n, "lines wrapped at a fixed width joined into paragraphs")
    mojibake_fixed = text
    for _ in range(3):
        candidate = ftfy.fix_encoding(mojibake_fixed)
        if candidate == mojibake_fixed:
            break
        mojibake_fixed = candidate
    text = step(
        "generic.mojibake",
        text,
        mojibake_fixed,
        lambda: _n_changed_words(text, mojibake_fixed),
        lambda: _first_change(text, mojibake_fixed),
    )
    fixed, n = _fix_html_entities(text)
    text = step("generic.html_entities", text, fixed, n, lambda: _first_change(text, fixed))
    fixed, n = _INVISIBLE.subn("", text)
    text = step("generic.invisible_characters", text, fixed, n, "zero-width/control characters removed")
    fixed = unicodedata.normalize("NFC", text)
    text = step("generic.unicode_nfc", text, fixed, lambda: _n_changed_words(text, fixed), "Unicode NFC")
    fixed, n = _TYPOGRAPHIC_APOSTROPHE.subn("'", text)
    text = step("generic.apostrophes", text, fixed, n, "’ → ' between letters")
    fixed, n = _fix_guillemets(text)
    text = step("generic.guillemets", text, fixed, n, lambda: _first_change(text, fixed))
    return text, log


def unwrap_hard_wraps(text: str) -> tuple[str, int]:
    """Join lines of a text hard-wrapped at a fixed width (wire copy) back into paragraphs.

    A text counts as hard-wrapped when most of its lines are 30–90 characters long and end
    mid-sentence. Then a line break is kept only before a blank line, before an indented line
    (wire copy indents paragraphs), or after a line that ends a sentence and is short.
    Returns the text and the number of line breaks removed.
    """
    lines = text.split("\n")
    body = [line for line in lines[:-1] if line.strip()]
    if len(body) < 4:
        return text, 0
    wrapped = [line for line in body if 30 <= len(line.rstrip()) <= 90 and not _SENTENCE_END.search(line.rstrip())]
    if len(wrapped) < 0.5 * len(body):
        return text, 0
    width = max(len(line.rstrip()) for line in body)
    out = [lines[0]]
    joined = 0
    for line in lines[1:]:
        previous = out[-1]
        breaks_paragraph = (
            not line.strip()
            or not previous.strip()
            or line[:1].isspace()
            or (_SENTENCE_END.search(previous.rstrip()) and len(previous.rstrip()) < width - 15)
        )
        if breaks_paragraph:
            out.append(line)
        else:
            out[-1] = previous.rstrip() + " " + line.strip()
            joined += 1
    return "\n".join(out), joined


def _n_changed_words(before: str, after: str) -> int:
    if before == after:
        return 0
    return sum(1 for a, b in zip(before.split(), after.split(), strict=False) if a != b) or 1


def _first_change(before: str, after: str) -> str:
    for a, b in zip(before.split(), after.split(), strict=False):
        if a != b:
            return f"{a} → {b}"
    return "changed"


def _first_line_span(text: str) -> tuple[int, int]:
    match = re.search(r"^[^\S\n]*\S[^\n]*$", text, re.MULTILINE)
    return (match.start(), match.end()) if match else (0, 0)


def _apply_rule(rule: CleaningRule, text: str, result: CleanedText) -> str:
    if rule.kind == "extract":
        # an anchored marker can uncover another one (two date lines): extract until none is left
        for _ in range(50):
            extracted = _apply_pattern_rule(rule, text, result)
            if extracted == text:
                break
            text = extracted
        return text
    if rule.kind == "replace":
        return _apply_pattern_rule(rule, text, result)
    return _apply_line_rule(rule, text, result)


def _apply_pattern_rule(rule: CleaningRule, text: str, result: CleanedText) -> str:
    start, end = (0, len(text)) if rule.scope == "body" else _first_line_span(text)
    segment = text[start:end]
    matches = list(rule.pattern.finditer(segment))
    if not matches:
        return text
    if rule.kind == "extract":
        # only what was really stored leaves the text (an invalid date stays where it is)
        matches = [match for match in matches if _store_extracted(rule.field, match, result)]
        if not matches:
            return text
        pieces, position = [], 0
        for match in matches:
            pieces.append(segment[position : match.start()])
            position = match.end()
        new_segment = "".join(pieces) + segment[position:]
        example = matches[0].group(0)
    else:
        new_segment = rule.pattern.sub(rule.replacement, segment)
        example = f"{matches[0].group(0).strip()} → {matches[0].expand(rule.replacement).strip()}"
    result.log.append((rule.id, len(matches), _example(example)))
    return text[:start] + new_segment + text[end:]


def _apply_line_rule(rule: CleaningRule, text: str, result: CleanedText) -> str:
    removed: list[str] = []
    lines = text.split("\n")
    if rule.kind == "drop_line":
        kept = []
        for line in lines:
            if line.strip() and rule.pattern.fullmatch(line.strip()):
                removed.append(line.strip())
            else:
                kept.append(line)
        new_lines = kept
    else:  # drop_trailing_block
        new_lines = lines
        for index in range(len(lines) - 1, -1, -1):
            if lines[index].strip() and rule.pattern.fullmatch(lines[index].strip()):
                tail = [line.strip() for line in lines[index + 1 :] if line.strip()]
                if rule.block_line is None or all(rule.block_line.fullmatch(line) for line in tail):
                    removed = [lines[index].strip(), *tail]
                    new_lines = lines[:index]
                break
    if not removed:
        return text
    if rule.field:
        for line in removed if rule.kind == "drop_line" else removed[1:] or removed:
            _store_value(rule.field, line, result)
    result.log.append((rule.id, len(removed), _example(removed[0])))
    return "\n".join(new_lines)


def _store_extracted(target: str | None, match: re.Match[str], result: CleanedText) -> bool:
    """Keep an extracted value in `result`; False when it is not kept (and must stay in the text)."""
    groups = match.groupdict()
    if target == "published_date":
        if not groups.get("year"):
            return False
        year, month, day = int(groups["year"]), int(groups.get("month") or 1), groups.get("day")
        try:
            date = dt.date(year, month, int(day) if day else 1)
        except ValueError:
            return False
        if result.published_date is None:  # the first date marker wins; later ones are dropped
            result.published_date = date
            result.published_date_precision = "day" if day else ("month" if groups.get("month") else "year")
        return True
    _store_value(target, (groups.get("value") or match.group(0)).strip(), result)
    return True


def _store_value(target: str | None, value: str, result: CleanedText) -> None:
    if target in ("embeds", "related"):
        getattr(result, target).append(value)
    elif target in ("source_note", "credits"):
        current = getattr(result, target)
        setattr(result, target, value if current is None else f"{current}\n{value}")


def _is_heading(line: str) -> bool:
    words = line.split()
    return 0 < len(words) <= 25 and len(line) <= 200 and not _HEADING_END.search(line) and not _URL.search(line)


def _is_section_label(line: str) -> bool:
    words = line.split()
    return (
        0 < len(words) <= 3
        and not line.isupper()  # an all-capitals line is a wire headline, not a section label
        and all(word[:1].isupper() or len(word) <= 3 for word in words)
        and _is_heading(line)
    )


def _read_layout(text: str, result: CleanedText) -> str:
    lines = [line for line in text.split("\n") if line.strip()]
    if (
        result.section is None
        and len(lines) >= 3
        and _is_section_label(lines[0])
        and _is_heading(lines[1])
        and not _is_heading(lines[2])
    ):
        result.section = lines[0].strip()
        result.log.append(("layout.section", 1, _example(result.section)))
        start, end = _first_line_span(text)
        text = text[:start] + text[end:]
        lines = lines[1:]
    if len(lines) >= 2 and _is_heading(lines[0]):
        result.title = lines[0].strip()
    return text


def normalise_whitespace(text: str) -> str:
    """Single spaces inside lines, no trailing blanks, at most one blank line between paragraphs."""
    lines = [_HORIZONTAL_SPACE.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip()


def find_links(texts: list[str], embeds: list[str]) -> list[tuple[str, str]]:
    """URLs in the body and in embeds, each once, with a kind (`tweet` or `link`)."""
    links: dict[str, str] = {}
    for text in [*embeds, *texts]:
        for url in _URL.findall(text):
            links.setdefault(url, "tweet" if _TWEET_HOSTS.match(url) else "link")
    return sorted(links.items())


def _merge_log(log: list[tuple[str, int, str]]) -> list[tuple[str, int, str]]:
    """One row per rule: counts of all passes added up, the first example kept."""
    merged: dict[str, tuple[int, str]] = {}
    for rule_id, n, example in log:
        count, first = merged.get(rule_id, (0, example))
        merged[rule_id] = (count + n, first)
    return [(rule_id, n, example) for rule_id, (n, example) in merged.items()]


def clean_text(text: str, rules: tuple[CleaningRule, ...]) -> CleanedText:
    """Clean one text with the generic repairs and the given rules (see the module docstring)."""
    result = CleanedText(text="")
    current = text
    for _ in range(MAX_PASSES):  # until nothing changes, so that cleaning is idempotent
        previous = current
        current, log = repair_text(current)
        result.log.extend(log)
        for rule in rules:
            current = _apply_rule(rule, current, result)
        current = normalise_whitespace(_read_layout(normalise_whitespace(current), result))
        if current == previous:
            break
    result.text = current
    result.log = _merge_log(result.log)
    if result.title:
        result.title = normalise_whitespace(result.title)
    result.links = find_links(
        [result.text, result.source_note or "", result.credits or ""], result.embeds + result.related
    )
    return result


CLEAN_DOCUMENT_SCHEMA = PREP_CLEANED_DOCUMENTS.subset(
    "doc_id",
    "text",
    "title",
    "section",
    "published_date",
    "published_date_precision",
    "source_note",
    "credits",
    "embeds",
    "related",
)
CLEANING_LOG_SCHEMA = CLEANING_LOG.polars_schema
LINK_SCHEMA = DOCUMENT_LINKS.polars_schema


def clean_documents(
    documents: pl.DataFrame, rules: tuple[CleaningRule, ...]
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Clean `raw_text` of each document (keyed by `doc_id`).

    Returns `(cleaned, cleaning_log, links)`: `cleaned` has one row per input document with the
    text and metadata columns of `CLEAN_DOCUMENT_SCHEMA`; the log has one row per rule that
    changed a document; links one row per distinct URL per document.
    """
    cleaned, log_rows, link_rows = [], [], []
    for doc_id, raw_text in documents.select("doc_id", "raw_text").iter_rows():
        result = clean_text(raw_text, rules)
        cleaned.append(
            {
                "doc_id": doc_id,
                "text": result.text,
                "title": result.title,
                "section": result.section,
                "published_date": result.published_date,
                "published_date_precision": result.published_date_precision,
                "source_note": result.source_note,
                "credits": result.credits,
                "embeds": result.embeds,
                "related": result.related,
            }
        )
        log_rows.extend({"doc_id": doc_id, "rule_id": r, "n_matches": n, "example": e} for r, n, e in result.log)
        link_rows.extend({"doc_id": doc_id, "url": url, "kind": kind} for url, kind in result.links)
    return (
        pl.DataFrame(cleaned, schema=CLEAN_DOCUMENT_SCHEMA),
        pl.DataFrame(log_rows, schema=CLEANING_LOG_SCHEMA).sort("doc_id", "rule_id"),
        pl.DataFrame(link_rows, schema=LINK_SCHEMA).sort("doc_id", "url"),
    )
