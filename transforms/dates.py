"""Dates mentioned in a text, absolute ("3 mars 2020", "in 2019") or relative ("mardi dernier",
"last week", "l'an dernier", "Feb 26"), resolved to the first day of their period.

A relative expression is resolved against the document's publication date (the anchor), never
the day of the run: `no_anchor` when the document has none, `anchor_too_coarse` when the anchor is
known to the month or year only and the expression needs more ("mardi dernier" in a text dated
`2023-09`). Ages and durations ("77 ans", "for three years") are not dates; a year alone counts
only after a word of `year_after` ("depuis 2019", "in 1987"). Words come from the language's
`[dates]` rules (config/extraction/<language>.toml).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from transforms.extraction_rules import DateRules, LanguageRules, compiled_for, words_pattern

GRANULARITY_NEEDS = {"day": ("second", "day"), "week": ("second", "day"), "month": ("second", "day", "month"), "year": ("second", "day", "month", "year")}


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    kind: str  # absolute | relative
    granularity: str  # day | week | month | year
    resolved_date: dt.date | None
    status: str  # resolved | no_anchor | anchor_too_coarse | unparsed




def _patterns(rules: DateRules) -> dict[str, re.Pattern]:
    return compiled_for(rules, _compile)


def _compile(rules: DateRules) -> dict[str, re.Pattern]:
    month = rf"(?P<month>{words_pattern(list(rules.months))})\.?"
    day = r"(?P<day>[0-3]?\d)(?:er|st|nd|rd|th)?"
    year = r"(?P<year>(?:19|20)\d{2})"
    weekday = rf"(?P<weekday>{words_pattern(list(rules.weekdays))})"
    count = rf"(?P<count>\d+|{words_pattern(list(rules.numbers))})"
    unit = rf"(?P<unit>{words_pattern(list(rules.units))})"
    patterns = {
        # 3 mars 2020 / March 3, 1987 / 3 March 1987 / mars 2020 / March 1987
        "day_month_year": rf"\b{day}\s+{month}\s+{year}\b",
        "month_day_year": rf"\b{month}\s+{day},?\s+{year}\b",
        "month_year": rf"\b{month}\s+(?:de\s+|of\s+)?{year}\b",
        # 3 mars / March 3 / Feb 26 (the year is the anchor's)
        "day_month": rf"\b{day}\s+{month}\b",
        "month_day": rf"\b{month}\s+{day}\b(?!\s*(?:%|pct|ans|years|mln|bln|billion|million|milliards?))",
        "relative": rf"\b(?P<phrase>{words_pattern(list(rules.relative))})\b",
        # avril dernier / juin prochain / last April / next June
        "month_after": rf"\b{month}\s+(?P<modifier>{words_pattern(list(rules.weekday_after))})s?\b",
        "month_before": rf"\b(?P<modifier>{words_pattern(list(rules.weekday_before))})\s+{month}\b",
        # en novembre / fin mars / in March (a month of the anchor's year)
        "month_alone": rf"\b(?:{words_pattern(list(rules.year_after))})[\s-]+(?:(?:le\s+)?mois\s+(?:de\s+|d')?)?{month}(?!\s+(?:de\s+|of\s+)?(?:19|20)\d{{2}})(?![\w-])",
        # les années 1990 / the 1990s: the decade's first year
        "decade": r"\b(?:années|the)\s+(?P<decade>(?:19|20)\d0)s?\b|\b(?P<decade2>(?:19|20)\d0)s\b",
        "weekday_before": rf"\b(?P<modifier>{words_pattern(list(rules.weekday_before))})\s+{weekday}\b",
        "weekday_after": rf"\b{weekday}\s+(?P<modifier>{words_pattern(list(rules.weekday_after))})\b",
        "weekday": rf"\b{weekday}\b",
        "ago_after": rf"\b{count}\s+{unit}\s+(?:{words_pattern(list(rules.ago_after))})\b",
        "ago_before": rf"\b(?:{words_pattern(list(rules.ago_before))})\s+{count}\s+{unit}\b",
        "year": rf"(?:\b(?:{words_pattern(list(rules.year_after))})|\b[dl]')\s*(?:the\s+|l'an(?:née)?\s+)?{year}\b(?![.,]\d|\s*(?:%|pct|dlrs|dollars|euros|tonnes|tons|people|personnes))",
    }
    # cheap gates: most texts name no month, no weekday, no year; their patterns need not run
    patterns["any_month"] = rf"\b{words_pattern(list(rules.months))}\b"
    patterns["any_weekday"] = rf"\b{words_pattern(list(rules.weekdays))}\b"
    patterns["any_year"] = r"(?:19|20)\d{2}"
    patterns["any_ago"] = rf"\b(?:{words_pattern(list(rules.ago_after) + list(rules.ago_before))})\b"
    return {name: re.compile(pattern, re.IGNORECASE) for name, pattern in patterns.items()}


def _shift_month(date: dt.date, months: int) -> dt.date:
    index = date.year * 12 + date.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _resolve_relative(granularity: str, offset: int, anchor: dt.date) -> dt.date:
    if granularity == "day":
        return anchor + dt.timedelta(days=offset)
    if granularity == "week":
        monday = anchor - dt.timedelta(days=anchor.weekday())
        return monday + dt.timedelta(weeks=offset)
    if granularity == "month":
        return _shift_month(anchor.replace(day=1), offset)
    return dt.date(anchor.year + offset, 1, 1)


def _weekday_date(anchor: dt.date, weekday: int, direction: int) -> dt.date:
    """The weekday before the anchor (direction -1, strictly), after it (1, strictly), or the most
    recent one on or before it (0)."""
    if direction > 0:
        return anchor + dt.timedelta(days=(weekday - anchor.weekday() - 1) % 7 + 1)
    if direction < 0:
        return anchor - dt.timedelta(days=(anchor.weekday() - weekday - 1) % 7 + 1)
    return anchor - dt.timedelta(days=(anchor.weekday() - weekday) % 7)


def _month_date(anchor: dt.date, month: int, direction: int) -> dt.date:
    """The first day of `month` before the anchor's month (direction -1) or after it (1)."""
    if direction < 0:
        return dt.date(anchor.year if month < anchor.month else anchor.year - 1, month, 1)
    return dt.date(anchor.year if month > anchor.month else anchor.year + 1, month, 1)


def _number(token: str, rules: DateRules) -> int:
    return int(token) if token.isdigit() else rules.numbers[token.lower()]


def find_dates(
    text: str, language_rules: LanguageRules, anchor: dt.datetime | dt.date | None, anchor_precision: str | None
) -> list[DateMention]:
    """Every date mention of `text` with its resolution against `anchor` (the publication time,
    known to `anchor_precision`: second, day, month or year)."""
    rules = language_rules.dates
    patterns = _patterns(rules)
    anchor_date = anchor.date() if isinstance(anchor, dt.datetime) else anchor
    candidates: list[tuple[int, int, str, str, object]] = []  # start, end, kind, granularity, resolver
    has_month = patterns["any_month"].search(text) is not None
    has_weekday = patterns["any_weekday"].search(text) is not None
    has_year = patterns["any_year"].search(text) is not None
    has_ago = patterns["any_ago"].search(text) is not None
    gates = {
        "day_month_year": has_month and has_year,
        "month_day_year": has_month and has_year,
        "month_year": has_month and has_year,
        "day_month": has_month,
        "month_day": has_month,
        "month_after": has_month,
        "month_before": has_month,
        "month_alone": has_month,
        "decade": has_year,
        "weekday_before": has_weekday,
        "weekday_after": has_weekday,
        "weekday": has_weekday,
        "ago_after": has_ago,
        "ago_before": has_ago,
        "year": has_year,
    }

    def finditer(name: str):
        return patterns[name].finditer(text) if gates.get(name, True) else iter(())

    def relative(granularity: str, resolve) -> tuple[str, str, object]:
        return ("relative", granularity, resolve)

    for name in ("day_month_year", "month_day_year"):
        for m in finditer(name):
            month, day, year = rules.months[m["month"].lower()], int(m["day"]), int(m["year"])
            if 1 <= day <= calendar.monthrange(year, month)[1]:
                candidates.append((m.start(), m.end(), "absolute", "day", dt.date(year, month, day)))
    for m in finditer("month_year"):
        candidates.append((m.start(), m.end(), "absolute", "month", dt.date(int(m["year"]), rules.months[m["month"].lower()], 1)))
    for name in ("day_month", "month_day"):
        for m in finditer(name):
            month, day = rules.months[m["month"].lower()], int(m["day"])
            if 1 <= day <= 31:
                candidates.append(
                    (m.start(), m.end(), *relative("day", lambda a, month=month, day=day: _day_in_year(a, month, day)))
                )
    for name, table in (("month_after", rules.weekday_after), ("month_before", rules.weekday_before)):
        for m in finditer(name):
            month, direction = rules.months[m["month"].lower()], table[" ".join(m["modifier"].lower().split())]
            candidates.append(
                (m.start(), m.end(), *relative("month", lambda a, mo=month, d=direction: _month_date(a, mo, d)))
            )
    for m in finditer("month_alone"):
        month = rules.months[m["month"].lower()]
        candidates.append((m.start("month"), m.end("month"), *relative("month", lambda a, mo=month: dt.date(a.year, mo, 1))))
    for m in finditer("decade"):
        year = int(m["decade"] or m["decade2"])
        candidates.append((m.start(), m.end(), "absolute", "year", dt.date(year, 1, 1)))
    for m in finditer("relative"):
        granularity, offset = rules.relative[" ".join(m["phrase"].lower().split())]
        candidates.append(
            (m.start(), m.end(), *relative(granularity, lambda a, g=granularity, o=offset: _resolve_relative(g, o, a)))
        )
    for name in ("weekday_before", "weekday_after"):
        table = rules.weekday_before if name == "weekday_before" else rules.weekday_after
        for m in finditer(name):
            weekday, direction = rules.weekdays[m["weekday"].lower()], table[" ".join(m["modifier"].lower().split())]
            candidates.append(
                (m.start(), m.end(), *relative("day", lambda a, w=weekday, d=direction: _weekday_date(a, w, d)))
            )
    for m in finditer("weekday"):
        weekday = rules.weekdays[m["weekday"].lower()]
        candidates.append((m.start(), m.end(), *relative("day", lambda a, w=weekday: _weekday_date(a, w, 0))))
    for name in ("ago_after", "ago_before"):
        for m in finditer(name):
            granularity, n = rules.units[m["unit"].lower()], _number(m["count"], rules)
            candidates.append(
                (m.start(), m.end(), *relative(granularity, lambda a, g=granularity, n=n: _resolve_relative(g, -n, a)))
            )
    for m in finditer("year"):
        candidates.append((m.start("year"), m.end("year"), "absolute", "year", dt.date(int(m["year"]), 1, 1)))

    kept: list[tuple[int, int, str, str, object]] = []
    for candidate in sorted(candidates, key=lambda c: (-(c[1] - c[0]), c[0])):
        if all(candidate[1] <= other[0] or candidate[0] >= other[1] for other in kept):
            kept.append(candidate)
    mentions = []
    for start, end, kind, granularity, resolver in sorted(kept, key=lambda c: (c[0], c[1])):
        if kind == "absolute":
            mentions.append(DateMention(start, end, kind, granularity, resolver, "resolved"))  # type: ignore[arg-type]
        elif anchor_date is None:
            mentions.append(DateMention(start, end, kind, granularity, None, "no_anchor"))
        elif anchor_precision not in GRANULARITY_NEEDS[granularity]:
            mentions.append(DateMention(start, end, kind, granularity, None, "anchor_too_coarse"))
        else:
            try:
                resolved = resolver(anchor_date)  # type: ignore[operator]
            except ValueError:  # 31 February
                mentions.append(DateMention(start, end, kind, granularity, None, "unparsed"))
                continue
            mentions.append(DateMention(start, end, kind, granularity, resolved, "resolved"))
    return mentions


def _day_in_year(anchor: dt.date, month: int, day: int) -> dt.date:
    """A day and month without a year: in the anchor's year (news speaks of the near past and future)."""
    return dt.date(anchor.year, month, day)
