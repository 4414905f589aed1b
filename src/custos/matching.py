"""How a stored identity value is compared with the value a request gives.

A rule has two sides that always agree:

- the **column side**, steps a store applies to the column in the database (trim the
  spaces at both ends, remove separator characters, lower-case), so a lookup stays one
  set-based statement and never reads a table into Python;
- the **value side**, the values that column expression is compared with: the request's
  value put through the same steps in Python, plus, for phones, every digit string the
  same number is commonly stored as.

Lower-casing differs between databases (SQLite's ``lower()`` folds ASCII letters only,
PostgreSQL's follows the database's locale, MariaDB's the column's collation), so the value
side also carries each spelling of the value's non-ASCII letters in either case: whatever
the database folds or leaves, the value is among the candidates. Characters are never
folded into other characters (a Cyrillic ``а`` is not a Latin ``a``, ``é`` is not ``e``).

Built-in rules: ``exact``, ``trim``, ``casefold``, ``trim_casefold``, ``digits`` and
``phone``. A data map may add its own under ``match_rules`` from the same steps.
"""

from __future__ import annotations

import itertools
import os
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import phonenumbers

#: characters a ``remove`` step may name: separators, never letters, digits, quotes or backslashes
REMOVABLE = frozenset(" -().+/#_:,;*~|")
PHONE_SEPARATORS = " -().+/"
#: at most this many spellings of a value's non-ASCII letters are asked for (2**6)
MAX_CASE_LETTERS = 6


@dataclass(frozen=True)
class MatchRule:
    """Steps applied to both sides before comparing: trim, then remove, then lower-case."""

    name: str
    trim: bool = False
    casefold: bool = False
    remove: str = ""
    phone: bool = False

    @property
    def exact(self) -> bool:
        return not (self.trim or self.casefold or self.remove)

    def column(self, stored: str) -> str:
        """What the database makes of a stored value (with a full Unicode lower-case)."""
        text = stored
        if self.trim:
            text = text.strip(" ")
        for ch in self.remove:
            text = text.replace(ch, "")
        if self.casefold:
            text = text.lower()
        return text

    def candidates(self, value: str, region: str | None = None) -> frozenset[str]:
        """Every value the column expression may equal for a stored form of ``value``."""
        if self.phone:
            return phone_candidates(value, region)
        text = unicodedata.normalize("NFC", value)
        text = self.column(text)
        if not self.casefold:
            return frozenset({text})
        return frozenset(case_spellings(text))

    def matches(self, stored: object, given: str, region: str | None = None) -> bool:
        """Whether a stored value and a given one are the same identity under this rule (the
        comparison the database makes, done in Python on values already read)."""
        if stored is None:
            return False
        text = unicodedata.normalize("NFC", str(stored))
        if self.phone:
            return self.column(text) in phone_candidates(given, region)
        return self.column(text) == self.column(unicodedata.normalize("NFC", given))


BUILTIN: dict[str, MatchRule] = {
    "exact": MatchRule("exact"),
    "trim": MatchRule("trim", trim=True),
    "casefold": MatchRule("casefold", casefold=True),
    "trim_casefold": MatchRule("trim_casefold", trim=True, casefold=True),
    "digits": MatchRule("digits", remove=PHONE_SEPARATORS),
    "phone": MatchRule("phone", remove=PHONE_SEPARATORS, phone=True),
}

#: the rule an identity type gets when its field names none
DEFAULTS = {"email": "trim_casefold", "phone": "phone"}

#: where a rule finds nobody, a cheap second look with this rule says whether anyone is there
LOOSER = {"exact": "trim_casefold", "trim": "trim_casefold", "casefold": "trim_casefold"}


def default_rule(identity: str) -> str:
    return DEFAULTS.get(identity, "exact")


def case_spellings(lowered: str) -> list[str]:
    """``lowered`` with each non-ASCII letter in lower and upper case (bounded)."""
    slots: list[tuple[str, ...]] = []
    varied = 0
    for ch in lowered:
        upper = ch.upper()
        if ord(ch) > 127 and upper != ch and len(upper) == 1 and upper.lower() == ch and varied < MAX_CASE_LETTERS:
            slots.append((ch, upper))
            varied += 1
        else:
            slots.append((ch,))
    if not varied:
        return [lowered]
    return ["".join(p) for p in itertools.product(*slots)]


def region_of(region: str | None = None) -> str:
    return (region or os.environ.get("CUSTOS_DEFAULT_REGION") or "US").upper()


def phone_candidates(value: str, region: str | None = None) -> frozenset[str]:
    """The digit strings a phone number is stored as: with country code, without it, with the
    international or the national prefix. A value that is no phone number matches its digits."""
    digits = "".join(ch for ch in value if ch.isdigit())
    try:
        number = phonenumbers.parse(value, region_of(region))
    except phonenumbers.NumberParseException:
        return frozenset({digits} if digits else set())
    national = phonenumbers.national_significant_number(number)
    code = str(number.country_code)
    found = {national, code + national, "00" + code + national, "011" + code + national}
    trunk = "".join(ch for ch in phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
                    if ch.isdigit())
    if trunk:
        found.add(trunk)
    return frozenset(found)


class Rules:
    """The rules a data map can name: the built-in ones and its own."""

    def __init__(self, own: Mapping[str, MatchRule] | None = None, region: str | None = None) -> None:
        self.rules = {**BUILTIN, **(own or {})}
        self.region = region

    def get(self, name: str) -> MatchRule:
        return self.rules[name]


def stored_problems(rule: MatchRule, values: Iterable[object], region: str | None = None) -> dict[str, int]:
    """How many sampled stored values do not fit ``rule``, by kind of problem."""
    problems: dict[str, int] = {}

    def count(kind: str) -> None:
        problems[kind] = problems.get(kind, 0) + 1

    for raw in values:
        if not isinstance(raw, str):
            continue
        if raw.strip(" ") != raw.strip(" \t\r\n\u00a0"):
            count("surrounding tabs, line breaks or no-break spaces (trimming removes spaces only)")
        elif raw != raw.strip(" ") and not rule.trim:
            count("surrounding spaces")
        if rule.exact and raw != raw.lower() and raw.strip() and "@" in raw:
            count("capital letters under an exact rule")
        elif rule.exact and raw != raw.lower() and not rule.phone:
            count("mixed case under an exact rule")
        if any(sep in raw.strip() for sep in (",", ";", "\n")) or raw.count("@") > 1:
            count("several values in one cell")
        if rule.phone:
            try:
                number = phonenumbers.parse(raw, region_of(region))
                if not phonenumbers.is_possible_number(number):
                    count(f"not a possible phone number in region {region_of(region)}")
            except phonenumbers.NumberParseException:
                count(f"does not read as a phone number in region {region_of(region)}")
    return problems
