"""Quotations and who said them, by rules over the sentences and entity mentions (no parser).

Three kinds (`core.quotations.kind`):

- `direct`: words inside quote marks of any style (« », “ ”, „ “, " ", ‘ ’, and mixed pairs); a
  quotation whose paragraphs each reopen the marks is one quotation; marks inside a quotation
  belong to it. Quoted words of one or two words, and titles ("intitulé « … »", "called "…""),
  count only with a speech cue beside them (scare quotes and titles are not speech).
- `indirect`: reported speech after a speech verb and a complementiser ("a déclaré que …", "said
  that …"), and in English a clause right after "said" ("the company said it would …").
- `according_to`: a statement with "selon X", "d'après X", "according to X" before or after it,
  or a speech verb as an incise after it without marks ("…, the minister said.").

Speakers (`speaker_resolution`): `mention` — a person or organisation the NER found in the cue
("a déclaré Rowan Curran", "Smith said"); `pronoun` — "il", "he", "a-t-elle dit", resolved to the
last person named before the quotation; `title_or_role` — "le porte-parole", "a spokesman";
`continuation` — a direct quotation without a cue, after another one of the same paragraph,
keeps its speaker; `none`. Verb lists and role words are the language's `[quotations]` rules.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, replace

from transforms.extraction_rules import LanguageRules, QuotationRules, compiled_for, words_pattern

OPENERS = {"«": "»”\"", "“": "”\"»", "„": "“”\"", '"': "\"”»", "‘": "’'"}
SPEAKER_LABELS = ("PERSON", "ORG")
OTHER_SPEAKER_LABELS = ("LOC", "GPE", "MISC")  # speakers only right beside the cue: "L'Allemagne a annoncé"
# before a name that follows its cue: a determiner and up to three lower-case words ("le clinicien-chercheur Dr X")
LEADING = re.compile(r"[\s,:]*(?:(?:le|la|les|l'|l’|the|du|de la|des)\s*)?(?:[a-zà-öø-ÿ][\w'’-]*\s+){0,3}")
TITLE_CUES = re.compile(
    r"(?:intitulée?s?|baptisée?s?|surnommée?s?|appelée?s?|nommée?s?|titled|entitled|called|dubbed|nicknamed|"
    r"known as|so-called)\s*[:,]?\s*$",
    re.IGNORECASE,
)
MIN_WORDS_WITHOUT_CUE = 3
READ_ALSO = re.compile(r"\s*(?:lire aussi|à lire aussi|read more|also read|related|voir aussi)\b", re.IGNORECASE)
ADDRESSEE = re.compile(r"(?:\b(?:à|au|aux|(?<!according )to|told|tells|with|avec)\s+(?:la\s+|le\s+|l'|les\s+|the\s+)?)$", re.IGNORECASE)
CONTINUATION_PARAGRAPHS = 2  # a quotation without a cue continues a speaker of the last two paragraphs
SPEAKER_MEMORY_PARAGRAPHS = 3  # "il a ajouté", "the company said": a speaker named in the last three paragraphs
APPOSITION = re.compile(r",[^,;:]{1,80},\s*$")  # "Leah Lipsich, de Regeneron, a déclaré": the subject is before it


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    label: str
    text: str
    entity_id: str | None
    name: str | None = None  # the fullest form the document writes it in, when `text` is a short one


@dataclass(frozen=True)
class Quotation:
    start: int
    end: int
    kind: str
    cue_start: int | None = None
    cue_end: int | None = None
    speaker_start: int | None = None
    speaker_end: int | None = None
    speaker_text: str | None = None
    speaker_entity_id: str | None = None
    speaker_resolution: str = "none"
    speaker_name: str | None = None  # the name the speaker stands for, as written where it is named




def _patterns(rules: QuotationRules) -> dict[str, re.Pattern]:
    return compiled_for(rules, _compile)


def _compile(rules: QuotationRules) -> dict[str, re.Pattern]:
    auxiliary = r"(?:(?:a|ont|avait|avaient|aurait|has|had|have|was|were|is)\s+(?:(?:également|aussi|encore|ensuite|déjà|alors|also|further|later|then|earlier)\s+)?)?"
    verb = rf"(?<![\w-])(?<!\bse )(?<!\bs')(?P<verb>{auxiliary}{words_pattern(rules.speech_verbs)})(?![\w-])"
    complementiser = words_pattern(rules.complementisers)
    according = words_pattern(rules.according_to)
    pronoun = words_pattern(rules.pronouns)
    role = rf"(?:{words_pattern(rules.determiners)})\s*(?:[\w'-]+\s+){{0,3}}?(?:{words_pattern(rules.roles)})\b(?:\s+(?:de|du|des|of|for)\s+[\w'-]+(?:\s+[\w'-]+){{0,3}})?"
    compiled = {
        # right after a closing mark: ", a déclaré X" / "said Smith" / ", dit-il"
        "verb_first": re.compile(rf"^[\s,.;:!?…—–-]*{verb}\b", re.IGNORECASE),
        # right after a closing mark: ", X a déclaré" / "Smith said" / "the minister said"
        "subject_first": re.compile(rf"^[\s,.;:!?…—–-]*(?P<subject>[^.;:!?«»“”\"]{{1,80}}?)\s+{verb}\b", re.IGNORECASE),
        # before an opening mark: "X a déclaré : «" / "he said: "" / "X a déclaré que «"
        "cue_before": re.compile(rf"{verb}\b[^.;!?«»“”\"]{{0,60}}?(?:\s+(?:{complementiser})\s*)?[\s:,—–-]*$", re.IGNORECASE),
        "according_before": re.compile(rf"\b(?P<cue>{according})\s+(?P<who>[^,.;:«»“”\"]{{1,80}}?)\s*[,:]\s*$", re.IGNORECASE),
        "according_after": re.compile(rf"^[\s,;—–-]*(?P<cue>{according})\s+(?P<who>[^,.;:«»“”\"]{{1,80}})", re.IGNORECASE),
        "according_start": re.compile(rf"^\W*(?P<cue>{according})\s+(?P<who>[^,.;:]{{1,100}}?)\s*,\s*(?P<content>\S.*?)\s*[.!?…]*\s*$", re.IGNORECASE | re.DOTALL),
        # "L'un d'entre eux, selon les partisans de M. Raddad, est le meurtrier.": the whole sentence
        "according_mid": re.compile(rf"^\W*(?P<content>\S[^,]*?,\s*(?P<cue>{according})\s+(?P<who>[^,;:]{{1,100}}?)\s*,\s*\S.*?)\s*[.!?…]*\s*$", re.IGNORECASE | re.DOTALL),
        "according_end": re.compile(rf"^\W*(?P<content>\S.*?)\s*,\s*(?P<cue>{according})\s+(?P<who>[^,;:]{{1,100}}?)\s*[.!?…]*\s*$", re.IGNORECASE | re.DOTALL),
        "incise_end": re.compile(
            rf"^\W*(?P<content>\S.*?)\s*,\s*(?:(?P<who1>[^,;:]{{1,80}}?)\s+{verb}|(?P<verb2>{auxiliary}{words_pattern(rules.speech_verbs)})(?![\w-])\s+(?P<who2>[^,;:]{{1,80}}?))(?:\s*,[^,]{{0,60}}|\s+(?:on|in|at|to|lors|mardi|mercredi|jeudi|vendredi|lundi|samedi|dimanche|today|yesterday|tuesday|wednesday|thursday|friday|monday|saturday|sunday)\b[^,.]{{0,60}})?\s*[.!?…]*\s*$",
            re.IGNORECASE | re.DOTALL,
        ),
        # "…, dit-il, …" / "L'économie réelle, poursuit The Economist, reflète …": an incise inside the sentence
        "incise_mid": re.compile(
            rf"^\W*(?P<content>\S[^,]*?,\s*(?<![\w-])(?P<verb>{auxiliary}{words_pattern(rules.speech_verbs)})(?![\w-])(?:\s+(?P<who>[^,;:]{{1,60}}?))?\s*,\s*\S.*?)\s*[.!?…]*\s*$",
            re.IGNORECASE | re.DOTALL,
        ),
        # "Bout dit avoir envoyé des armes", "il nie être": a speech verb and an infinitive clause
        "infinitive": re.compile(
            rf"{verb}\s+(?P<content>(?:{words_pattern(rules.infinitive_openers)})(?![\w-])\s*\S.*?)\s*[.!?…]*\s*$",
            re.IGNORECASE | re.DOTALL,
        )
        if rules.infinitive_openers
        else None,
        "indirect": re.compile(rf"{verb}\b(?P<between>[^.;:!?«»“”\"]{{0,50}}?)\s+(?P<comp>{complementiser})\s*(?P<content>\S.*?)\s*[.!?…]*\s*$", re.IGNORECASE | re.DOTALL),
        "said_clause": re.compile(
            r"\b(?P<verb>said|says|told\s+(?:reporters|journalists|\w+)|added|stated|reported|estimated|predicted|warned|denied|claimed|argued|insisted|noted|explained|acknowledged|admitted|confirmed)\s+"
            r"(?:(?:in|at|on|during|after|before|to)\s+(?:a|an|the|its|his|her|their)?\s*[\w-]+(?:\s+(?:conference|statement|interview|meeting|release|briefing|report|speech))?\s+|today\s+|yesterday\s+|late\s+\w+\s+|earlier\s+)*"
            # any clause ("Lo said income doubled", "GM said almost 125,000 …") but one opening with a
            # preposition or a conjunction ("said in …", "said to be", "said and did")
            r"(?P<content>(?!(?:that|in|on|at|to|for|with|by|from|after|before|during|of|as|and|but|or|so|nothing|no|yes|goodbye|hello|sorry|thanks)\b)[\w$\"“(][\w.,'’$-]*\s+\S.*?)\s*[.!?…]*\s*$",
            re.DOTALL,
        ),
        "pronoun": re.compile(rf"(?<!\w)(?P<pronoun>{pronoun})\b", re.IGNORECASE),
        "speech_verb": re.compile(verb, re.IGNORECASE),
        "according_cue": re.compile(rf"(?<![\w-])(?:{according})(?![\w-])", re.IGNORECASE),
        # "X a déclaré à la BBC que cela montrait que … : «": a cue further back, when a colon opens the quotation
        "cue_before_colon": re.compile(rf"{verb}\b[^.;!?«»“”\"]{{0,160}}?:\s*$", re.IGNORECASE),
        # "Telxon Corp", "Esselte Business Systems Inc": capitalised words ending with a company suffix (case as written)
        "suffixed": re.compile(
            rf"(?<![\w.&'-])(?:[A-Z][\w&.'-]*\s+(?:(?:and|&|of|de|du|des)\s+)?){{1,5}}"
            rf"(?:{'|'.join(re.escape(suffix) for suffix in sorted(rules.organisation_suffixes, key=len, reverse=True))})(?![\w&-])\.?"
        )
        if rules.organisation_suffixes
        else None,

        "role": re.compile(rf"\b(?P<role>{role})", re.IGNORECASE),
    }
    compiled["gates"] = _make_gates(rules)  # type: ignore[assignment]
    return compiled


def _opens(text: str, index: int) -> bool:
    """A straight quote mark that opens: after a space, a bracket or the start, before a non-space
    that is not a punctuation mark (`prolongée ".` closes)."""
    before = text[index - 1] if index > 0 else " "
    after = text[index + 1] if index + 1 < len(text) else " "
    return (before.isspace() or before in "([{—–-:") and not after.isspace() and after not in ".,;:!?)"


def _closes(text: str, index: int) -> bool:
    """A straight quote mark that closes: after a non-space, or before a punctuation mark."""
    after = text[index + 1] if index + 1 < len(text) else " "
    return index > 0 and (not text[index - 1].isspace() or after in ".,;:!?)")


def _is_paragraph_break(text: str, index: int) -> bool:
    """Whether the line break at `index` ends a paragraph rather than wrapping a line (wire copy is
    wrapped at a fixed width, its paragraphs indented): a blank line or an indented next line, or a
    line that ends like a sentence."""
    following = text[index + 1 : index + 2]
    if following in ("\n", " ", "\t", ""):
        return True
    previous = text[:index].rstrip(" \t")[-1:]
    return previous in ".!?…»”\":"


def _closing(text: str, opener: int, closers: str) -> tuple[int | None, int | None, int]:
    """Scan a quotation opened at `opener` for the first of `closers`: (closing mark, a straight
    quote that opens a new quotation first, where the scan stopped)."""
    mark, length = text[opener], len(text)
    cursor = opener + 1
    while cursor < length:
        char = text[cursor]
        if char == '"' and mark == '"' and _opens(text, cursor) and not _closes(text, cursor):
            return None, cursor, cursor
        if char in closers and not (mark == "‘" and _is_apostrophe(text, cursor)) and (
            char != '"' or _closes(text, cursor)
        ):
            return cursor, None, cursor
        if char == "\n" and _is_paragraph_break(text, cursor):
            following = cursor
            while following < length and text[following].isspace():
                following += 1
            if following < length and text[following] in OPENERS:
                cursor = following + 1  # the next paragraph reopens the quotation
                continue
            return None, None, cursor  # the paragraph ends without closing: the quotation ends with it
        cursor += 1
    return None, None, cursor


def _direct_spans(text: str) -> list[tuple[int, int, int, int]]:
    """(open mark, content start, content end, after the closing mark) of each direct quotation.

    The mark's own closer is looked for first (» for «), so that quote marks of another style
    inside the quotation belong to it; another closer (a mixed pair) only when it has none."""
    spans = []
    position = 0
    while position < len(text):
        opener = _next_opener(text, position)
        if opener is None:
            break
        closers = OPENERS[text[opener]]
        close, reopened, stop = _closing(text, opener, closers[0])
        if close is None and reopened is None and len(closers) > 1:
            close, reopened, stop = _closing(text, opener, closers)
        end_content = close if close is not None else (reopened if reopened is not None else stop)
        after = close + 1 if close is not None else end_content
        start, end = opener + 1, end_content
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((opener, start, end, after))
        position = max(after, opener + 1)
    return spans


def _headline_end(text: str, title: str | None = None) -> int:
    """The end of the text's first line when it is a headline: the document's title, or a short
    line followed by a line break that does not end like a sentence (Reuters' "BAHIA COCOA
    REVIEW", a BBC title); else 0."""
    end = text.find("\n")
    if end == -1 or end > 250:
        return 0
    if title and " ".join(text[:end].split()) == " ".join(title.split()):
        return end
    line = text[:end].rstrip().rstrip("»”\"’ ")
    return end if line and line[-1] not in ".:;" else 0


def _is_apostrophe(text: str, index: int) -> bool:
    return 0 < index < len(text) - 1 and text[index - 1].isalpha() and text[index + 1].isalpha()


def _next_opener(text: str, position: int) -> int | None:
    best = None
    for mark in OPENERS:
        index = text.find(mark, position)
        while index != -1 and mark == "‘" and index > 0 and not (text[index - 1].isspace() or text[index - 1] in "(["):
            index = text.find(mark, index + 1)
        if index != -1 and (best is None or index < best):
            best = index
    return best


def _overlaps(mentions: list[Mention], starts: list[int], start: int, end: int) -> bool:
    """Whether [start, end) overlaps one of `mentions` (sorted by start; `starts` their starts)."""
    index = bisect_right(starts, end - 1)
    return any(m.end > start for m in mentions[max(0, index - 8) : index])


def _suffixed_organisations(text: str, mentions: list[Mention], patterns: dict) -> list[Mention]:
    """Organisations the NER missed whose name ends with a company suffix ("Telxon Corp said …"),
    where no mention is; linked to an organisation of the document written the same way, case aside
    (the headline's "TELXON")."""
    pattern = patterns.get("suffixed")
    if pattern is None:
        return []
    starts = [m.start for m in mentions]
    known = {m.text.casefold(): m.entity_id for m in mentions if m.label == "ORG" and m.entity_id}
    found = []
    for match in pattern.finditer(text):
        start, end = match.start(), match.end()
        name = match.group().rstrip(".")
        end = start + len(name)
        if name.split()[0] in ("The", "A", "An", "Le", "La", "Les"):
            start += len(name.split()[0]) + 1
            name = text[start:end]
        if len(name.split()) < 2 or _overlaps(mentions, starts, start, end):
            continue
        head = " ".join(name.split()[:-1]).casefold()
        found.append(Mention(start, end, "ORG", name, known.get(name.casefold()) or known.get(head)))
    return found


ACRONYM = re.compile(r"[A-Z]{2,6}")
_MINOR_WORDS = frozenset({"de", "du", "des", "la", "le", "les", "l", "d", "et", "pour", "of", "the", "and", "for", "in", "on"})


def _initials(name: str) -> str:
    return "".join(word[0] for word in re.findall(r"[\w]+", name) if word.casefold() not in _MINOR_WORDS).upper()


def _expand_acronyms(mentions: list[Mention]) -> list[Mention]:
    """An acronym ("UE", "OMS") stands for the organisation of the document whose initials it is
    ("Union européenne", "Organisation mondiale de la santé"): its `name` is that long form."""
    long_forms: dict[str, set[str]] = {}
    for mention in mentions:
        if mention.label == "ORG" and len(mention.text.split()) > 1:
            long_forms.setdefault(_initials(mention.text), set()).add(mention.text)
    if not long_forms:
        return mentions
    expanded = []
    for mention in mentions:
        forms = long_forms.get(mention.text) if ACRONYM.fullmatch(mention.text) else None
        if forms and len(forms) == 1 and mention.name is None:
            mention = replace(mention, name=next(iter(forms)))
        expanded.append(mention)
    return expanded


def _repeated_names(text: str, mentions: list[Mention], named: list[Mention]) -> list[Mention]:
    """A person or organisation the NER found once, named again where it found nothing ("Sousa
    souligne que" after "Monica Sousa"): its full name, or a person's last name, written alike
    elsewhere in the document. A form two entities share is left out."""
    written: dict[str, set[tuple[str, str | None]]] = {}  # forms the NER found as they are
    last_names: dict[str, set[tuple[str, str | None]]] = {}  # a person's last word
    for mention in named:
        if not _antecedent(mention):
            continue
        key = (mention.label, mention.entity_id or mention.text)
        written.setdefault(mention.text, set()).add(key)
        words = mention.text.split()
        if mention.label == "PERSON" and len(words) > 1 and len(words[-1]) > 2 and words[-1][0].isupper():
            last_names.setdefault(words[-1], set()).add(key)
    by_key = {(m.label, m.entity_id or m.text): m for m in named}
    # "Bout" found alone stands for the entity the NER gave it, though "Viktor Bout" and "Alla Bout" share it
    forms = {**last_names, **written}
    unique = {form: next(iter(keys)) for form, keys in forms.items() if len(keys) == 1}
    if not unique:
        return []
    pattern = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(f) for f in sorted(unique, key=len, reverse=True)) + r")(?![\w-])")
    starts = [m.start for m in mentions]
    found = []
    for match in pattern.finditer(text):
        if _overlaps(mentions, starts, match.start(), match.end()):
            continue
        label, _ = unique[match.group()]
        source = by_key[unique[match.group()]]
        found.append(Mention(match.start(), match.end(), label, match.group(), source.entity_id, source.name or source.text))
    return found


def _genders(text: str, mentions: list[Mention], rules: QuotationRules) -> dict[str, str]:
    """Person (entity id, else text) → "m" or "f", from a gendered title written before or in the
    name ("M. Wa Kaleta", "Mme Hawkins", "Mrs Thatcher"); a person given both is left out."""
    titles = {**dict.fromkeys(rules.masculine_titles, "m"), **dict.fromkeys(rules.feminine_titles, "f")}
    if not titles:
        return {}
    found: dict[str, set[str]] = {}
    for mention in mentions:
        if mention.label != "PERSON":
            continue
        words = mention.text.split()
        before = text[max(0, mention.start - 14) : mention.start].split()
        for word in (words[0] if len(words) > 1 else "", before[-1] if before else ""):
            gender = titles.get(word.casefold()) or titles.get(word.casefold().rstrip("."))
            if gender:
                found.setdefault(mention.entity_id or mention.text, set()).add(gender)
    return {key: next(iter(genders)) for key, genders in found.items() if len(genders) == 1}


def _antecedent(mention: Mention) -> bool:
    """A mention a pronoun or a role may stand for: a name written in mixed case (not a headline's
    capitals, "UNOCAL", nor a lower-case misfire of the NER, "cts")."""
    letters = [ch for ch in mention.text if ch.isalpha()]
    return any(ch.isupper() for ch in letters) and any(ch.islower() for ch in letters)


def _after_title(text: str, position: int, titles: frozenset[str]) -> bool:
    """Whether a person's title stands right before `position`, apart by one space ("le Dr |Tedros",
    "M. |Spahn"): capitalised as written, or a title of more than two letters ("le général |X"), so
    that the pronoun "me" is none."""
    before = text[max(0, position - 16) : position]
    if not before.endswith(" ") or before.endswith("  "):
        return False
    words = before.split()
    if not words:
        return False
    word = words[-1]
    return (word.casefold() in titles or word.casefold().rstrip(".") in titles) and (word[0].isupper() or len(word.rstrip(".")) > 2)


class _Speakers:
    """Speaker resolution over one document's person and organisation mentions."""

    def __init__(self, mentions: list[Mention], patterns: dict[str, re.Pattern], text: str, rules: QuotationRules):
        titles = frozenset((*rules.other_titles, *rules.masculine_titles, *rules.feminine_titles))
        self.titles = titles
        mentions = [m for m in mentions if m.text.casefold().strip() not in titles]  # "Pr" alone is a title
        # a name the NER labelled a place or a work but that opens with a person's title is a person ("Dr Tedros …"),
        # and so is a name of any label written right after a title the NER left out ("le Dr [Tedros Adhanom Ghebreyesus]")
        mentions = [
            replace(m, label="PERSON")
            if m.label != "PERSON"
            and (
                (m.label not in SPEAKER_LABELS and len(m.text.split()) > 1 and m.text.split()[0].casefold() in titles)
                or _after_title(text, m.start, titles)
            )
            else m
            for m in mentions
        ]
        named = _expand_acronyms([m for m in mentions if m.label in SPEAKER_LABELS])
        found = sorted(mentions, key=lambda m: m.start)
        named += _suffixed_organisations(text, found, patterns)
        named += _repeated_names(text, sorted([*found, *named], key=lambda m: m.start), named)
        self.mentions = sorted(named, key=lambda m: (m.start, m.end))
        self.starts = [m.start for m in self.mentions]
        self.others = [m for m in found if m.label in OTHER_SPEAKER_LABELS]
        self.other_starts = [m.start for m in self.others]
        self.by_span = {(m.start, m.end): m for m in self.mentions}
        self.others_by_span = {(m.start, m.end): m for m in self.others}
        self.times_named = Counter(m.entity_id or m.text for m in self.mentions)
        self.patterns = patterns
        self.text = text
        self.organisation_roles = frozenset(rules.organisation_roles)
        self.organisation_pronouns = frozenset(rules.organisation_pronouns)
        self.plural_pronouns = frozenset(rules.plural_pronouns)
        self.either_pronouns = frozenset(rules.person_or_organisation_pronouns)
        self.pronoun_gender = {**dict.fromkeys(rules.masculine_pronouns, "m"), **dict.fromkeys(rules.feminine_pronouns, "f")}
        self.gender = _genders(text, self.mentions, rules)
        # words of the people the document names in full: "Bout" after "Viktor Bout" is a person, a lone
        # "Iliouchine" or "Kigali" the NER called a person, without a first name anywhere, may not be
        self.person_words = {
            word for m in self.mentions if m.label == "PERSON" and len(m.text.split()) > 1 for word in m.text.split()
        }

    def ends_with_title(self, text: str, position: int) -> bool:
        """Whether text[:position] ends with a title and its full stop ("le Pr.", "Dr.")."""
        before = text[max(0, position - 16) : position].rstrip()
        if not before.endswith("."):
            return False
        words = before.split()
        return bool(words) and (words[-1].casefold() in self.titles or words[-1].casefold().rstrip(".") in self.titles)

    def compatible(self, mention: Mention, pronoun: str) -> bool:
        """Whether `pronoun` may stand for `mention`: not a plural, not the other gender than the
        one a title gives the person ("il" is not "Mme Hawkins")."""
        wanted = self.pronoun_gender.get(pronoun.lower())
        known = self.gender.get(mention.entity_id or mention.text)
        return wanted is None or known is None or wanted == known

    def in_window(self, start: int, end: int, nearest_to: int) -> Mention | None:
        inside = [
            m
            for m in self.mentions[bisect_right(self.starts, start - 1) : bisect_right(self.starts, end)]
            if m.end <= end and not ADDRESSEE.search(self.text[max(0, m.start - 24) : m.start])
        ]
        if not inside:
            return self._place_or_work(start, end, nearest_to)
        people = [m for m in inside if m.label == "PERSON"] or inside
        if nearest_to >= end and len(people) > 1:  # the subject before the verb, not a name in its apposition ("X, de Y, a dit")
            apposition = APPOSITION.search(self.text, start, end)
            if apposition is not None:
                people = [m for m in people if m.end <= apposition.start()] or people
        return min(people, key=lambda m: (abs(m.start - nearest_to), m.start))

    def _place_or_work(self, start: int, end: int, nearest_to: int) -> Mention | None:
        """With no person or organisation in the window, a country, place or title right beside the
        cue speaks ("L'Allemagne a annoncé que", "selon The Economist"): directly before the verb,
        or first in the window after it."""
        for mention in self.others[bisect_right(self.other_starts, start - 1) : bisect_right(self.other_starts, end)]:
            if mention.end > end:
                break
            if nearest_to >= end and not self.text[mention.end : end].strip():
                return mention
            if nearest_to <= start and LEADING.fullmatch(self.text[start : mention.start]):
                return mention
        return None

    def last_person_before(self, position: int, label: str = "PERSON", pronoun: str = "") -> Mention | None:
        index = bisect_right(self.starts, position)
        for mention in reversed(self.mentions[:index]):
            if (
                mention.label == label
                and mention.end <= position
                and _antecedent(mention)
                and self.compatible(mention, pronoun)
                and (label != "PERSON" or self.solid(mention))
            ):
                return mention
        return None

    def solid(self, mention: Mention) -> bool:
        """A person a pronoun may stand for: named in several words, by one of the words of a
        person the document names in full, or after a title ("Mme Hawkins")."""
        words = mention.text.split()
        return len(words) > 1 or mention.text in self.person_words or (mention.entity_id or mention.text) in self.gender

    def most_named_between(self, start: int, end: int) -> Mention | None:
        """Of the people named in [start, end), the one the document names most (ties: the last)."""
        people = [
            m
            for m in self.mentions[bisect_right(self.starts, start - 1) : bisect_right(self.starts, end)]
            if m.label == "PERSON" and m.end <= end and _antecedent(m) and self.solid(m)
        ]
        if not people:
            return None
        return max(reversed(people), key=lambda m: self.times_named[m.entity_id or m.text])

    def salient_before(self, position: int, label: str) -> Mention | None:
        """The `label` entity mentioned most often before `position` (ties: the first mentioned)."""
        counts: dict[str, int] = {}
        first: dict[str, Mention] = {}
        for mention in self.mentions[: bisect_right(self.starts, position)]:
            if mention.label != label or mention.end > position or not _antecedent(mention):
                continue
            key = mention.entity_id or mention.text
            counts[key] = counts.get(key, 0) + 1
            first.setdefault(key, mention)
        if not counts:
            return None
        best = min(counts, key=lambda key: (-counts[key], first[key].start))
        return first[best]

    def resolve(self, start: int, end: int, nearest_to: int, before: int) -> dict:
        """The speaker named in text[start:end] (the cue's subject or object), else a pronoun or role there."""
        mention = self.in_window(start, end, nearest_to)
        if mention is not None:
            return _named(mention, "mention")
        window = self.text[start:end]
        pronoun = self.patterns["pronoun"].search(window)
        role = self.patterns["role"].search(window)
        if role is not None and (pronoun is None or role.start() <= pronoun.start()):
            stands_for = None
            if set(role["role"].lower().replace("'", " ").split()) & self.organisation_roles:
                stands_for = self.salient_before(start + role.start("role"), "ORG")
            return {
                "speaker_start": start + role.start("role"),
                "speaker_end": start + role.end("role"),
                "speaker_text": role["role"],
                "speaker_entity_id": stands_for.entity_id if stands_for else None,
                "speaker_resolution": "title_or_role",
                "speaker_name": _name(stands_for) if stands_for else None,
            }
        if pronoun is not None:
            said = pronoun["pronoun"].lower()
            if said in self.organisation_pronouns:
                antecedent = self.salient_before(before, "ORG")
            elif said in self.plural_pronouns:
                antecedent = None  # "ils ont déclaré", "they said": people the text does not name as one
            else:
                antecedent = self.last_person_before(before, pronoun=said)
                if antecedent is None and said in self.either_pronouns:
                    antecedent = self.salient_before(before, "ORG")  # "L'OMS critique … Elle affirme que"
            return {
                "speaker_start": start + pronoun.start("pronoun"),
                "speaker_end": start + pronoun.end("pronoun"),
                "speaker_text": pronoun["pronoun"],
                "speaker_entity_id": antecedent.entity_id if antecedent else None,
                "speaker_resolution": "pronoun",
                "speaker_name": _name(antecedent) if antecedent else None,
            }
        return {}


def find_quotations(
    text: str,
    sentences: list[tuple[int, int]],
    mentions: list[Mention],
    language_rules: LanguageRules,
    title: str | None = None,
) -> list[Quotation]:
    """The quotations of one document (whose title, when known, may open its text as a headline):
    `sentences` are (start, end) offsets into `text`, `mentions`
    its entity mentions in the text."""
    patterns = _patterns(language_rules.quotations)
    speakers = _Speakers(mentions, patterns, text, language_rules.quotations)
    sentence_starts = [start for start, _ in sentences]

    def sentence_of(position: int) -> tuple[int, int]:
        index = max(0, bisect_right(sentence_starts, position) - 1)
        return sentences[index] if sentences else (0, len(text))

    def paragraph_start(position: int) -> int:
        return _paragraph_start(text, position)

    headline_end = _headline_end(text, title)
    quotations: list[Quotation] = []
    previous: Quotation | None = None
    for opener, start, end, after in _direct_spans(text):
        line_start = paragraph_start(opener)
        line = text[line_start : text.find("\n", opener) if text.find("\n", opener) != -1 else len(text)]
        if (opener < headline_end) or READ_ALSO.match(line):
            continue  # a headline, or a link to another article
        _, sentence_end = sentence_of(max(start, end - 1))
        sentence_start, _ = sentence_of(opener)
        after_window_end = min(len(text), max(sentence_end, after) + 1, after + 160)
        after_window_end = min(after_window_end, _paragraph_end(text, after))
        if speakers.ends_with_title(text, after_window_end):  # "déclare le Pr. Jules Wembi": the sentence did not end there
            after_window_end = min(after + 160, _paragraph_end(text, after), sentence_of(after_window_end + 1)[1] + 1)
        after_text = text[after:after_window_end]
        before_start = max(paragraph_start(opener), sentence_start, opener - 200)
        before_text = text[before_start:opener]
        found: dict = {}
        cue: tuple[int, int] | None = None
        verb_first = patterns["verb_first"].match(after_text)
        subject_first = patterns["subject_first"].match(after_text)
        according_after = patterns["according_after"].match(after_text)
        cue_before = patterns["cue_before"].search(before_text) or patterns["cue_before_colon"].search(before_text)
        according_before = patterns["according_before"].search(before_text)
        if verb_first:
            cue = (after + verb_first.start("verb"), after + verb_first.end("verb"))
            verb_text = verb_first["verb"].lower()
            window_end = after + min(len(after_text), verb_first.end() + 60)
            found = speakers.resolve(cue[1], window_end, cue[1], opener) if "-t-" not in verb_text and not verb_text.endswith(("-il", "-elle")) else {}
            if not found and (verb_text.endswith(("-il", "-elle")) or "-t-" in verb_text):
                found = speakers.resolve(cue[0], cue[1], cue[1], opener)
            if not found:
                found = speakers.resolve(cue[1], window_end, cue[1], opener)
        elif according_after:
            cue = (after + according_after.start("cue"), after + according_after.end("cue"))
            found = speakers.resolve(after + according_after.start("who"), after + according_after.end("who"), cue[1], opener)
        elif subject_first:
            cue = (after + subject_first.start("verb"), after + subject_first.end("verb"))
            found = speakers.resolve(after + subject_first.start("subject"), after + subject_first.end("subject"), cue[0], opener)
        elif according_before:
            cue = (before_start + according_before.start("cue"), before_start + according_before.end("cue"))
            found = speakers.resolve(before_start + according_before.start("who"), before_start + according_before.end("who"), cue[1], opener)
        elif cue_before:
            cue = (before_start + cue_before.start("verb"), before_start + cue_before.end("verb"))
            found = speakers.resolve(sentence_start if sentence_start < cue[0] else before_start, cue[0], cue[0], opener)
            if not found:
                found = speakers.resolve(cue[1], opener, cue[1], opener)
        words = len(text[start:end].split())
        if TITLE_CUES.search(before_text) or (cue is None and words < MIN_WORDS_WITHOUT_CUE):
            continue
        if not found:  # no cue, or a cue whose speaker the NER did not find
            found = _continuation(text, opener, previous, speakers)
        quotation = Quotation(
            start, end, "direct", cue_start=cue[0] if cue else None, cue_end=cue[1] if cue else None, **found
        )
        quotations.append(quotation)
        previous = quotation

    covered = [(q.start, q.end) for q in quotations]
    for sentence_start, sentence_end in sentences:
        if any(start < sentence_end and end > sentence_start for start, end in covered):
            continue
        sentence = text[sentence_start:sentence_end]
        quotation = _reported(sentence, sentence_start, patterns, speakers)
        if quotation is not None:
            quotation = _trimmed(text, quotation)
        if quotation is not None:
            quotations.append(quotation)
    return _last_speakers(sorted(quotations, key=lambda q: (q.start, q.end)), speakers, text, language_rules.quotations)


QUOTE_MARKS = "«»“”„\"‘’"


def _trimmed(text: str, quotation: Quotation) -> Quotation | None:
    """A reported quotation without stray quote marks at its ends ("c'est un problème masculin\""),
    or None when fewer than three words are left ("il avait déclaré : «")."""
    start, end = quotation.start, quotation.end
    while end > start and (text[end - 1] in QUOTE_MARKS or text[end - 1].isspace()):
        end -= 1
    while start < end and (text[start] in QUOTE_MARKS or text[start].isspace()):
        start += 1
    if any(mark in text[start:end] for mark in "«»") and text[start:end].count("«") != text[start:end].count("»"):
        return None  # a sentence cut inside a quotation: the direct one covers it
    if len(text[start:end].split()) < 3:
        return None
    if text[start:end].rstrip().endswith(":") and text[end : end + 3].lstrip()[:1] in QUOTE_MARKS:
        return None  # "il avait déclaré : « …": the cue of a direct quotation, not what was said
    return replace(quotation, start=start, end=end) if (start, end) != (quotation.start, quotation.end) else quotation


def _last_speakers(quotations: list[Quotation], speakers: _Speakers, text: str, rules: QuotationRules) -> list[Quotation]:
    """A pronoun ("a-t-il ajouté", "he said") or an organisation's role ("the company said", "it
    said") stands for the last speaker of its kind a quotation named in the last three paragraphs,
    rather than for whoever was mentioned last ("… a déclaré que le retour de Pochettino …" does not
    make Pochettino the next "il"); without one, the first resolution stays."""
    named = {
        (q.speaker_start, mention)
        for q in quotations
        if q.speaker_resolution == "mention"
        and (mention := speakers.by_span.get((q.speaker_start, q.speaker_end)) or _speaking_other(speakers, q)) is not None
        and _antecedent(mention)
    }
    # "… d'après M. Wa Kaleta." with no quotation found in it still names who speaks next
    for cue in speakers.patterns["according_cue"].finditer(text):
        index = bisect_right(speakers.starts, cue.end() - 1)
        if index < len(speakers.mentions):
            mention = speakers.mentions[index]
            if _antecedent(mention) and LEADING.fullmatch(text[cue.end() : mention.start]):
                named.add((mention.start, mention))
    # "Lo said income …", "Sousa souligne" with no quotation found in it: the subject right before a speech verb
    for verb in speakers.patterns["speech_verb"].finditer(text):
        index = bisect_right(speakers.starts, verb.start()) - 1
        if index >= 0:
            mention = speakers.mentions[index]
            if mention.end <= verb.start() and not text[mention.end : verb.start()].strip() and _antecedent(mention):
                named.add((mention.start, mention))
    sites = sorted(named, key=lambda site: (site[0], site[1].end))
    if not sites:
        return quotations
    organisation_pronouns = frozenset(rules.organisation_pronouns)
    organisation_roles = frozenset(rules.organisation_roles)
    resolved = []
    for quotation in quotations:
        kind = None
        said = (quotation.speaker_text or "").lower()
        if quotation.speaker_resolution == "pronoun" and said not in speakers.plural_pronouns:
            kind = "ORG" if said in organisation_pronouns else "EITHER" if said in speakers.either_pronouns else "PERSON"
        elif quotation.speaker_resolution == "title_or_role" and set(said.replace("'", " ").split()) & organisation_roles:
            kind = "ORG"
        if kind is not None:
            position = min(quotation.start, quotation.speaker_start)
            since = _paragraphs_back(text, position, SPEAKER_MEMORY_PARAGRAPHS)
            near = [(m, m.label == "ORG" or speakers.compatible(m, said)) for at, m in sites if since <= at < position]
            if kind == "EITHER":  # "il", "elle": a person (or a MISC name) who spoke, else (when no person came before) an organisation that did
                earlier = [m for m, fits in near if fits and m.label in ("PERSON", "MISC")]
                if not earlier and quotation.speaker_entity_id is None and quotation.speaker_name is None:
                    earlier = [m for m, _ in near if m.label == "ORG"]
            else:
                earlier = [m for m, fits in near if fits and m.label == kind]
            if earlier:
                quotation = replace(quotation, speaker_entity_id=earlier[-1].entity_id, speaker_name=_name(earlier[-1]))
        resolved.append(quotation)
    return resolved


def _speaking_other(speakers: "_Speakers", quotation: Quotation) -> Mention | None:
    """The name the NER labelled MISC that a quotation's cue names as its speaker ("Mariga Thoithi
    pensait que …", a name the French model files under its catch-all label): a speaker a pronoun
    of a person or an organisation ("il", "elle") may stand for. A place is not one."""
    other = speakers.others_by_span.get((quotation.speaker_start, quotation.speaker_end))
    return other if other is not None and other.label == "MISC" else None


def _paragraph_start(text: str, position: int) -> int:
    """The start of the paragraph holding `position` (line wraps of wire copy do not end one)."""
    start = text.rfind("\n", 0, position)
    while start > 0 and not _is_paragraph_break(text, start):
        start = text.rfind("\n", 0, start)
    return start + 1


def _paragraph_end(text: str, position: int) -> int:
    """Where the paragraph holding `position` ends (its last line break, or the end of the text)."""
    end = text.find("\n", position)
    while end != -1 and not _is_paragraph_break(text, end):
        end = text.find("\n", end + 1)
    return len(text) if end == -1 else end


def _paragraphs_back(text: str, position: int, n: int) -> int:
    """The start of the paragraph `n` paragraphs before the one holding `position` (0: its own)."""
    start = _paragraph_start(text, position)
    for _ in range(n):
        if start <= 0:
            return 0
        start = _paragraph_start(text, start - 1)
    return start


def _continuation(text: str, opener: int, previous: Quotation | None, speakers: _Speakers) -> dict:
    """A direct quotation without a cue (or whose cue names nobody the NER found): within this
    paragraph and the two before, the person named after the previous quotation (a new speaker
    introduced), else the previous quotation's speaker, else the last person named there; beyond
    them, the previous quotation's speaker, else the person the document named most before it."""
    window_start = _paragraphs_back(text, opener, CONTINUATION_PARAGRAPHS)
    person = speakers.last_person_before(opener)
    previous_known = previous is not None and previous.speaker_resolution != "none"
    person_near = person is not None and person.start >= window_start
    previous_near = previous_known and previous.start >= window_start
    if person_near and (not previous_near or person.start >= previous.end):
        # a new speaker introduced since: of the people named there, the one the document names most
        since = max(window_start, previous.end) if previous_near else window_start
        chosen = speakers.most_named_between(since, opener) or person
    elif previous_known:
        return {
            "speaker_start": previous.speaker_start,
            "speaker_end": previous.speaker_end,
            "speaker_text": previous.speaker_text,
            "speaker_entity_id": previous.speaker_entity_id,
            "speaker_resolution": "continuation",
            "speaker_name": previous.speaker_name,
        }
    else:
        chosen = person if person_near else speakers.salient_before(opener, "PERSON")
    return _named(chosen, "continuation") if chosen is not None else {}


def _named(mention: Mention, resolution: str) -> dict:
    """The speaker fields of a quotation whose speaker is `mention`."""
    return {
        "speaker_start": mention.start,
        "speaker_end": mention.end,
        "speaker_text": mention.text,
        "speaker_entity_id": mention.entity_id,
        "speaker_resolution": resolution,
        "speaker_name": _name(mention),
    }


def _name(mention: Mention) -> str:
    return mention.name or mention.text


_TOKEN = re.compile(r"[\w'’-]+")


@dataclass(frozen=True)
class _Gates:
    verb_words: frozenset[str]
    verb_phrases: tuple[str, ...]
    according_words: frozenset[str]
    according_phrases: tuple[str, ...]


def _gates(patterns: dict) -> _Gates:
    """Single-word and several-word speech verbs and cues of the rules `patterns` were made from."""
    return patterns["gates"]


def _make_gates(rules: QuotationRules) -> _Gates:
    verbs = [*rules.speech_verbs, "said", "says", "told", "added", "stated", "reported", "estimated", "predicted", "warned"]
    return _Gates(
        verb_words=frozenset(v for v in verbs if " " not in v),
        verb_phrases=tuple(v for v in verbs if " " in v),
        according_words=frozenset(a for a in rules.according_to if " " not in a),
        according_phrases=tuple(a for a in rules.according_to if " " in a),
    )


def _reported(sentence: str, offset: int, patterns: dict[str, re.Pattern], speakers: _Speakers) -> Quotation | None:
    """The indirect or according-to quotation of a sentence without quote marks, if any."""
    lowered = sentence.lower()
    tokens = set(_TOKEN.findall(lowered))
    gates = _gates(patterns)
    has_according = bool(tokens & gates.according_words) or any(phrase in lowered for phrase in gates.according_phrases)
    if not has_according and not (tokens & gates.verb_words) and not any(
        phrase in lowered for phrase in gates.verb_phrases
    ):
        return None  # no speech verb, no cue: no reported speech (a cheap test before the patterns)

    def quotation(kind: str, match: re.Match, content: str, cue: str, who: tuple[int, int] | None) -> Quotation:
        start, end = offset + match.start(content), offset + match.end(content)
        cue_span = (offset + match.start(cue), offset + match.end(cue))
        found = speakers.resolve(offset + who[0], offset + who[1], cue_span[0], start) if who else {}
        return Quotation(start, end, kind, cue_start=cue_span[0], cue_end=cue_span[1], **found)

    if has_according:
        match = patterns["according_start"].match(sentence)
        if match:
            return quotation("according_to", match, "content", "cue", (match.start("who"), match.end("who")))
        match = patterns["according_end"].match(sentence)
        if match:
            return quotation("according_to", match, "content", "cue", (match.start("who"), match.end("who")))
        match = patterns["according_mid"].match(sentence)
        if match and not re.search(r"\b(?:lequel|laquelle|lesquels|lesquelles)\b", match["who"], re.IGNORECASE):
            return quotation("according_to", match, "content", "cue", (match.start("who"), match.end("who")))
    match = patterns["indirect"].search(sentence)
    if match and len(match["content"].split()) >= 3:
        subject = (max(0, match.start("verb") - 120), match.start("verb"))
        found = quotation("indirect", match, "content", "verb", subject)
        if found.speaker_resolution == "none":
            found = replace(found, **_after_verb(speakers, offset, match))
        return found
    match = patterns["incise_end"].match(sentence)
    if match and len(match["content"].split()) >= 4:
        if match["who1"] is not None:
            return quotation("according_to", match, "content", "verb", (match.start("who1"), match.end("who1")))
        return quotation("according_to", match, "content", "verb2", (match.start("who2"), match.end("who2")))
    match = patterns["incise_mid"].match(sentence)
    if match and len(match["content"].split()) >= 6:
        verb_text = match["verb"].lower()
        if match["who"] is None and ("-t-" in verb_text or verb_text.endswith(("-il", "-elle", "-ils", "-elles"))):
            return quotation("according_to", match, "content", "verb", (match.start("verb"), match.end("verb")))
        if match["who"] is not None:
            found = quotation("according_to", match, "content", "verb", (match.start("who"), match.end("who")))
            if found.speaker_resolution == "mention":
                return found
    match = patterns["infinitive"].search(sentence) if patterns["infinitive"] is not None else None
    if match and len(match["content"].split()) >= 3:
        return quotation("indirect", match, "content", "verb", (max(0, match.start("verb") - 120), match.start("verb")))
    match = patterns["said_clause"].search(sentence)
    if match and len(match["content"].split()) >= 4:
        subject = (max(0, match.start("verb") - 120), match.start("verb"))
        return quotation("indirect", match, "content", "verb", subject)
    return None


def _after_verb(speakers: _Speakers, offset: int, match: re.Match) -> dict:
    """'a déclaré X que …': the speaker between the verb and the complementiser."""
    found = speakers.resolve(offset + match.end("verb"), offset + match.start("comp"), offset + match.end("verb"), offset + match.start())
    return found or {"speaker_resolution": "none"}
