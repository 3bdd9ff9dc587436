"""The per-language extraction rules of config/extraction/<language>.toml, parsed (no file access here).

Each language file has three tables: `[quotations]` (speech verbs, complementisers, "according to"
cues, pronouns, role words and determiners), `[amounts]` (currencies, scales, percent words,
approximation words) and `[dates]` (month and weekday names, relative phrases, units). `parse_rules`
turns the text of one file into `LanguageRules`; a language without a file gets no extraction.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from typing import Any

EXTRACTION_VERSION = "extraction-1"


_BY_IDENTITY: dict[int, tuple[object, object]] = {}
_BY_CONTENT: dict[str, object] = {}


def compiled_for(rules: object, build):
    """`build(rules)` (compiled patterns), once per content of `rules`: worker processes receive an
    equal copy of the rules with every batch, which must not compile them again, nor pile up."""
    cached = _BY_IDENTITY.get(id(rules))
    if cached is not None and cached[0] is rules:
        return cached[1]
    key = f"{type(rules).__name__}:{rules!r}"
    value = _BY_CONTENT.get(key)
    if value is None:
        value = _BY_CONTENT[key] = build(rules)
    if len(_BY_IDENTITY) > 64:
        _BY_IDENTITY.clear()
    _BY_IDENTITY[id(rules)] = (rules, value)
    return value


def words_pattern(phrases: list[str] | tuple[str, ...]) -> str:
    """A regex alternative matching any of `phrases` as whole words, longest first, any spacing."""
    ordered = sorted({phrase.strip().lower() for phrase in phrases if phrase.strip()}, key=lambda p: (-len(p), p))
    parts = [r"\s+".join(re.escape(word) for word in phrase.split()) for phrase in ordered]
    return "(?:" + "|".join(parts) + ")" if parts else "(?!)"


@dataclass(frozen=True)
class QuotationRules:
    speech_verbs: tuple[str, ...]
    complementisers: tuple[str, ...]
    according_to: tuple[str, ...]
    pronouns: tuple[str, ...]
    roles: tuple[str, ...]
    determiners: tuple[str, ...]
    organisation_roles: tuple[str, ...] = ()
    organisation_pronouns: tuple[str, ...] = ()
    organisation_suffixes: tuple[str, ...] = ()  # "Corp", "Inc", "SA": a capitalised name ending so is an organisation
    plural_pronouns: tuple[str, ...] = ()  # "ils", "they": never one person
    infinitive_openers: tuple[str, ...] = ()  # "dit avoir …", "nie être …": reported speech as an infinitive
    person_or_organisation_pronouns: tuple[str, ...] = ()  # French "il", "elle": a person or an organisation
    masculine_pronouns: tuple[str, ...] = ()
    feminine_pronouns: tuple[str, ...] = ()
    masculine_titles: tuple[str, ...] = ()  # "M.", "Mr": the person named after it is a man
    feminine_titles: tuple[str, ...] = ()
    other_titles: tuple[str, ...] = ()  # "Dr", "Pr": a title, not a name, when the NER takes it alone


@dataclass(frozen=True)
class AmountRules:
    currencies: dict[str, tuple[str | None, float]]  # word or symbol → (ISO code or None, multiplier)
    dollar_context: dict[str, str]
    cfa_central: tuple[str, ...]
    cfa_west: tuple[str, ...]
    scales: dict[str, float]
    percent: tuple[str, ...]
    approximate: tuple[str, ...]
    vague_quantities: tuple[str, ...]
    range_words: tuple[str, ...]
    decimal_separator: str


@dataclass(frozen=True)
class DateRules:
    months: dict[str, int]
    weekdays: dict[str, int]
    relative: dict[str, tuple[str, int]]
    weekday_before: dict[str, int]
    weekday_after: dict[str, int]
    units: dict[str, str]
    ago_after: tuple[str, ...]
    ago_before: tuple[str, ...]
    numbers: dict[str, int]
    year_after: tuple[str, ...]


@dataclass(frozen=True)
class LanguageRules:
    language: str
    quotations: QuotationRules
    amounts: AmountRules
    dates: DateRules
    source: str = field(repr=False, default="")


# word lists of [quotations] matched as written ("Corp", "SA"); every other list is lower-cased
_CASE_AS_WRITTEN = ("organisation_suffixes",)


def _strings(table: dict[str, Any], key: str) -> tuple[str, ...]:
    return tuple(str(value).lower() for value in table.get(key, []))


def _currency(value: str) -> tuple[str | None, float]:
    code, _, multiplier = value.partition(":")
    return (code or None, float(multiplier) if multiplier else 1.0)


def parse_rules(language: str, text: str) -> LanguageRules:
    """The rules of one language from the text of its TOML file; ValueError when a table is missing."""
    data = tomllib.loads(text)
    missing = [name for name in ("quotations", "amounts", "dates") if name not in data]
    if missing:
        raise ValueError(f"extraction rules for {language!r} lack the table(s) {missing}")
    q, a, d = data["quotations"], data["amounts"], data["dates"]
    return LanguageRules(
        language=language,
        quotations=QuotationRules(
            **{
                rule.name: _strings(q, rule.name)
                for rule in fields(QuotationRules)
                if rule.name not in _CASE_AS_WRITTEN
            },
            **{name: tuple(str(value) for value in q.get(name, [])) for name in _CASE_AS_WRITTEN},
        ),
        amounts=AmountRules(
            currencies={key.lower(): _currency(str(value)) for key, value in a.get("currencies", {}).items()},
            dollar_context={key.lower(): str(value) for key, value in a.get("dollar_context", {}).items()},
            cfa_central=_strings(a, "cfa_central"),
            cfa_west=_strings(a, "cfa_west"),
            scales={key.lower(): float(value) for key, value in a.get("scales", {}).items()},
            percent=_strings(a, "percent"),
            approximate=_strings(a, "approximate"),
            vague_quantities=_strings(a, "vague_quantities"),
            range_words=_strings(a, "range_words"),
            decimal_separator=str(a.get("decimal_separator", ".")),
        ),
        dates=DateRules(
            months={key.lower(): int(value) for key, value in d.get("months", {}).items()},
            weekdays={key.lower(): int(value) for key, value in d.get("weekdays", {}).items()},
            relative={key.lower(): (str(value[0]), int(value[1])) for key, value in d.get("relative", {}).items()},
            weekday_before={key.lower(): int(value) for key, value in d.get("weekday_before", {}).items()},
            weekday_after={key.lower(): int(value) for key, value in d.get("weekday_after", {}).items()},
            units={key.lower(): str(value) for key, value in d.get("units", {}).items()},
            ago_after=_strings(d, "ago_after"),
            ago_before=_strings(d, "ago_before"),
            numbers={key.lower(): int(value) for key, value in d.get("numbers", {}).items()},
            year_after=_strings(d, "year_after"),
        ),
        source=text,
    )
