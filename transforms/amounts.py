"""Money and percentages mentioned in a text, with their value in units and their currency.

"14 milliards de dollars" → 14000000000 USD; "1,5 million d'euros" → 1500000 EUR; "$10B" →
10000000000 USD; "25 mln dlrs" → 25000000 USD; "12,5 %" → 12.5 (percent); "plusieurs milliards de
dollars" → 1000000000 USD, approximate (no figure: the order of magnitude). The words come from the
language's `[amounts]` rules (config/extraction/<language>.toml).

Currencies: a symbol or word the rules map to an ISO 4217 code; a bare "dollars" or "$" is USD
unless the document names another dollar (`dollar_context`: "Canadian dollar" makes it CAD); CFA
francs are XOF unless the document names the Central African zone's countries and cities more
often than the West African zone's (XAF); words the rules map to no code ("francs" alone) give
money with a NULL currency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from transforms.extraction_rules import AmountRules, LanguageRules, compiled_for, words_pattern

# Digits with thousands groups (space, no-break or thin space, comma or dot) and a decimal part.
_NUMBER = (
    r"\d+-\d{1,2}/\d{1,2}(?!\d)|(?<![\d/])\d{1,2}/\d{1,2}(?![\d/])"  # Reuters' fractions: 5-3/4, 7/8
    r"|\d{1,3}(?:(?:[ \u00a0\u202f]|,|\.)\d{3})+(?:[.,]\d+)?(?!\d)|\d+(?:[.,]\d+)?"
)


@dataclass(frozen=True)
class Amount:
    start: int
    end: int
    kind: str  # money | percent
    value: float
    currency: str | None
    is_approximate: bool


def parse_number(token: str, decimal_separator: str) -> float | None:
    """`1 500 000`, `1,500,000` (en), `1.500.000` (fr) → 1500000; `1,5` (fr) and `1.5` (en) → 1.5."""
    token = token.replace("\u00a0", " ").replace("\u202f", " ")
    if "/" in token:  # 5-3/4 → 5.75; 7/8 → 0.875
        whole, _, fraction = token.rpartition("-")
        numerator, denominator = fraction.split("/")
        return (float(whole) if whole else 0.0) + int(numerator) / int(denominator) if int(denominator) else None
    thousands = "," if decimal_separator == "." else "."
    groups = re.split(r"[ ,.]", token)
    separators = re.findall(r"[ ,.]", token)
    if not separators:
        return float(token)
    # every separator but a final decimal one separates groups of three
    if len(separators) == 1 and separators[0] == decimal_separator and len(groups[1]) != 3:
        return float(token.replace(decimal_separator, "."))
    if len(separators) == 1 and separators[0] == decimal_separator and len(groups[1]) == 3:
        # "1,500" in English is 1500, "1,500" in French is 1.5: the language's separator decides
        return float(token.replace(decimal_separator, ".")) if decimal_separator == "," else float(groups[0] + groups[1])
    *grouping, last = separators
    if last == decimal_separator and all(s in (" ", thousands) for s in grouping) and len(groups[-1]) != 3:
        return float("".join(groups[:-1]) + "." + groups[-1])
    if all(s in (" ", thousands) for s in separators) and all(len(g) == 3 for g in groups[1:]):
        return float("".join(groups))
    if all(s == " " or s == thousands for s in grouping) and last == decimal_separator:
        return float("".join(groups[:-1]) + "." + groups[-1])
    return None




def _patterns(rules: AmountRules) -> dict[str, re.Pattern]:
    """The compiled patterns of `rules` (compiled once per content of the rules)."""
    return compiled_for(rules, _compile)


def _compile(rules: AmountRules) -> dict[str, re.Pattern]:
    symbols = [key for key in rules.currencies if not key[0].isalpha()]
    words = [key for key in rules.currencies if key[0].isalpha()]
    currency_word = words_pattern(words)
    symbol = "(?:" + "|".join(re.escape(s) for s in sorted(symbols, key=lambda s: (-len(s), s))) + ")" if symbols else "(?!)"
    letter_symbol = [key for key in words if len(key) <= 4 and key.endswith("$")]
    scale = words_pattern(list(rules.scales))
    percent = words_pattern([p for p in rules.percent if p[0].isalpha()])
    percent_symbols = "|".join(re.escape(p) for p in rules.percent if not p[0].isalpha()) or "(?!)"
    connector = r"(?:\s+(?:de|d'|of)\s*|\s*)"
    number = rf"(?P<number>{_NUMBER})"
    tail = rf"(?:[\s\u00a0\u202f]*(?P<scale>{scale})\b\.?)?"
    money_after = (
        rf"{number}{tail}(?:{connector}(?P<currency_after>{currency_word})\b|[\s\u00a0\u202f]*(?P<symbol_after>{symbol}))"
    )
    money_before = rf"(?P<symbol_before>{symbol}|{words_pattern(letter_symbol)})[\s\u00a0\u202f]*{number}(?:[\s\u00a0\u202f]*(?P<scale_b>{scale})\b\.?)?"
    vague = (
        rf"\b(?P<vague>{words_pattern(rules.vague_quantities)})[\s-]+(?P<vague_scale>{scale})"
        rf"(?:{connector}(?P<vague_currency>{currency_word})\b|[\s-]+(?P<vague_currency2>{currency_word})\b)"
    )
    return {
        "money_before": re.compile(money_before, re.IGNORECASE),
        "money_after": re.compile(money_after, re.IGNORECASE),
        "percent": re.compile(rf"{number}[\s\u00a0\u202f]*(?:(?P<percent_symbol>{percent_symbols})|(?P<percent_word>{percent})\b)", re.IGNORECASE),
        "vague": re.compile(vague, re.IGNORECASE),
        "approximate": re.compile(rf"\b(?:{words_pattern(rules.approximate)})[\s-]*$", re.IGNORECASE),
        "range": re.compile(rf"{number}[\s\u00a0\u202f]*(?:{words_pattern(rules.range_words)})[\s\u00a0\u202f]*$", re.IGNORECASE),
    }


def _currency(rules: AmountRules, key: str, document: str) -> tuple[str | None, float]:
    code, multiplier = rules.currencies.get(key.lower(), (None, 1.0))
    if code == "USD" and multiplier == 1.0:
        for phrase, other in rules.dollar_context.items():
            if phrase in document:
                return other, 1.0
    if code == "XOF":
        central = sum(document.count(place) for place in rules.cfa_central)
        west = sum(document.count(place) for place in rules.cfa_west)
        return ("XAF" if central > west else "XOF"), multiplier
    return code, multiplier


def find_amounts(text: str, language_rules: LanguageRules) -> list[Amount]:
    """Every amount in `text`, in order of position; overlapping candidates keep the longest."""
    rules = language_rules.amounts
    patterns = _patterns(rules)
    lowered = text.lower()
    found: list[Amount] = []

    def approximate_before(start: int) -> bool:
        return bool(patterns["approximate"].search(text[max(0, start - 25) : start]))

    for match in patterns["money_before"].finditer(text):
        value = parse_number(match["number"], rules.decimal_separator)
        if value is None:
            continue
        code, multiplier = _currency(rules, match["symbol_before"], lowered)
        if match["scale_b"]:
            value *= rules.scales[match["scale_b"].lower()]
        found.append(Amount(match.start(), match.end(), "money", value * multiplier, code, approximate_before(match.start())))
    for match in patterns["money_after"].finditer(text):
        value = parse_number(match["number"], rules.decimal_separator)
        if value is None:
            continue
        key = match["currency_after"] or match["symbol_after"]
        code, multiplier = _currency(rules, key, lowered)
        scale = rules.scales[match["scale"].lower()] if match["scale"] else 1.0
        found.append(
            Amount(match.start(), match.end(), "money", value * scale * multiplier, code, approximate_before(match.start()))
        )
        # a range: "10 to 12 billion dollars" is two amounts with the same scale and currency
        before = patterns["range"].search(text[max(0, match.start() - 30) : match.start()])
        if before:
            first = parse_number(before["number"], rules.decimal_separator)
            offset = max(0, match.start() - 30) + before.start("number")
            if first is not None:
                end = offset + len(before["number"])
                found.append(Amount(offset, end, "money", first * scale * multiplier, code, approximate_before(offset)))
    for match in patterns["percent"].finditer(text):
        value = parse_number(match["number"], rules.decimal_separator)
        if value is not None:
            found.append(Amount(match.start(), match.end(), "percent", value, None, approximate_before(match.start())))
    for match in patterns["vague"].finditer(text):
        key = match["vague_currency"] or match["vague_currency2"]
        code, multiplier = _currency(rules, key, lowered)
        value = rules.scales[match["vague_scale"].lower()] * multiplier
        found.append(Amount(match.start("vague"), match.end(), "money", value, code, True))
    return _longest_first(found)


def _longest_first(candidates: list[Amount]) -> list[Amount]:
    kept: list[Amount] = []
    for amount in sorted(candidates, key=lambda a: (-(a.end - a.start), a.start)):
        if all(amount.end <= other.start or amount.start >= other.end for other in kept):
            kept.append(amount)
    return sorted(kept, key=lambda a: (a.start, a.end))
