"""Response periods a policy promises ("within forty-five (45) days", "within one month"),
and how long they and the legal periods can last in calendar days.

A promise is longer than the law when the longest it can last exceeds the shortest the
legal period can last: "30 days" breaks a one-month rule, since a month from February 1
ends after 28 days (Reg. 1182/71 counts months, not days).
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal

from custos.notice.labels import labels
from custos.rules import Deadline, RequestRule, RequestType
from custos.rules.calendar import shift_months

if TYPE_CHECKING:
    from custos.notice.policy.lexicon import Lexicon

Unit = Literal["calendar_days", "business_days", "weeks", "months", "hours"]

_PERIOD = re.compile(
    r"\b(?:within|in|up\s+to|no\s+later\s+than|not\s+later\s+than|no\s+more\s+than|at\s+most|"
    r"(?:a\s+)?maximum\s+of)\s+(?:a\s+(?:period|maximum)\s+of\s+)?"
    r"(?P<number>\d{1,3}|[a-z]+(?:[- ][a-z]+)?)\s*(?:\((?P<digits>\d{1,3})\)\s*)?"
    r"(?P<kind>business\s+|calendar\s+|working\s+)?(?P<unit>days?|weeks?|months?|hours?)\b",
    re.IGNORECASE,
)
_UNITS = {
    "one": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_UNIT_OF: dict[str, Unit] = {"day": "calendar_days", "week": "weeks", "month": "months", "hour": "hours"}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}


@dataclass(frozen=True)
class PromisedPeriod:
    """A period a policy promises to answer within."""

    text: str
    amount: int
    unit: Unit
    extension: bool
    request_type: RequestType

    def words(self) -> str:
        """``45 days``, ``1 month``."""
        name = {"calendar_days": "day", "business_days": "business day", "weeks": "week",
                "months": "month", "hours": "hour"}[self.unit]
        return f"{self.amount} {name}{'s' if self.amount != 1 else ''}"


def number(text: str) -> int | None:
    """``45``, ``forty-five`` or ``one`` as an integer; None when it is not a number."""
    text = text.strip().lower()
    if text.isdigit():
        return int(text)
    if text in _UNITS:
        return _UNITS[text]
    if text in _TENS:
        return _TENS[text]
    tens, _, units = text.replace(" ", "-").partition("-")
    if tens in _TENS and units in _UNITS and _UNITS[units] < 10:
        return _TENS[tens] + _UNITS[units]
    return None


def promised_periods(text: str, lexicon: Lexicon) -> list[PromisedPeriod]:
    """The response periods ``text`` promises, with the request type they are about."""
    rules = lexicon.deadlines
    if _matches(rules["ignore_context"], text):
        return []
    extension = _matches(rules["extension_context"], text)
    if not extension and not _matches(rules["request_context"], text):
        return []
    kind = RequestType.ACCESS
    for request_type, patterns in lexicon.deadline_request_types.items():
        if _matches(patterns, text):
            kind = RequestType(request_type)
            break
    found = []
    for match in _PERIOD.finditer(text):
        amount = int(match.group("digits")) if match.group("digits") else number(match.group("number"))
        if amount is None or amount == 0:
            continue
        unit_word = match.group("unit").lower().rstrip("s")
        qualifier = (match.group("kind") or "").strip().lower()
        unit: Unit = _UNIT_OF[unit_word]
        if unit == "calendar_days" and qualifier in ("business", "working"):
            unit = "business_days"
        found.append(PromisedPeriod(match.group(0), amount, unit, extension, kind))
    return found


def _matches(patterns: tuple[re.Pattern[str], ...], text: str) -> bool:
    return any(p.search(text) for p in patterns)


@functools.cache
def span_in_days(amount: int, unit: str) -> tuple[int, int]:
    """The shortest and longest a period can last, in calendar days (weekends, no holidays)."""
    if unit == "calendar_days":
        return amount, amount
    if unit == "weeks":
        return 7 * amount, 7 * amount
    if unit == "hours":
        days = math.ceil(amount / 24)
        return days, days
    if unit == "months":
        start = date(2024, 1, 1)
        lengths = [
            (shift_months(day, amount) - day).days
            for day in (start + timedelta(days=offset) for offset in range(4 * 366))
        ]
        return min(lengths), max(lengths)
    if unit == "business_days":
        lengths = []
        for weekday in range(7):
            day, counted = date(2024, 1, 1) + timedelta(days=weekday), 0
            start = day
            while counted < amount:
                day += timedelta(days=1)
                counted += day.weekday() < 5
            lengths.append((day - start).days)
        return min(lengths), max(lengths)
    raise ValueError(f"unknown unit {unit!r}")


def allowed(rule: RequestRule, *, extension: bool) -> tuple[int, str]:
    """The shortest the legal period can last in days, and its words, with the extension
    added when the promise is about one."""
    respond: Deadline = rule.respond
    shortest, _ = span_in_days(respond.amount, respond.unit)
    words = labels().amount(respond.amount, respond.unit)
    if extension and rule.extension is not None:
        extra, _ = span_in_days(rule.extension.amount, rule.extension.unit)
        shortest += extra
        words += f" plus an extension of {labels().amount(rule.extension.amount, rule.extension.unit)}"
    return shortest, words


def exceeds(promise: PromisedPeriod, rule: RequestRule) -> tuple[bool, str]:
    """Whether ``promise`` can outlast what ``rule`` allows, and the legal period in words."""
    legal, words = allowed(rule, extension=promise.extension)
    respond, extension = rule.respond, rule.extension
    if promise.unit == respond.unit:
        if not promise.extension:
            return promise.amount > respond.amount, words
        if extension is not None and extension.unit == respond.unit:
            return promise.amount > respond.amount + extension.amount, words
    _, longest = span_in_days(promise.amount, promise.unit)
    return longest > legal, words
