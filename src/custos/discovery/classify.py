"""One column's category from a sample of its values, its name and its type.

Values decide first: when most sampled values are email addresses the column holds emails,
whatever it is called. Weak value evidence (bare digits, dates, capitalized words) counts
only where the name agrees. A name alone decides only for data no detector can read
(a city, a gender, a user name) and only when the values fit. Every decision carries the
counts it rests on, so a reader can check it.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from custos.discovery import detectors as d
from custos.discovery import names as n
from custos.stores.base import ColumnKind

STRONG = 0.6
#: kinds whose values are read by the detectors; numbers, flags and dates have their own rules
_TEXTUAL = frozenset({ColumnKind.STRING, ColumnKind.JSON, ColumnKind.OTHER, ColumnKind.UUID})
#: address-like and other name-only categories need a table that is about people
NEEDS_PEOPLE = frozenset({d.CITY, d.STATE, d.COUNTRY, d.POSTAL, n.GENDER, n.AGE, n.URL})
PEOPLE = frozenset({d.EMAIL, d.PHONE, d.NAME, d.STREET, d.ADDRESS, d.BIRTH, d.NATIONAL_ID, d.POSTAL, d.CITY})


@dataclass
class Verdict:
    """What a column holds: a category (or none) with a confidence and the evidence."""

    category: str | None
    confidence: float
    evidence: list[str] = field(default_factory=list)
    #: categories found inside free text
    contains: list[str] = field(default_factory=list)
    #: the detector whose values the masked example shows
    detector: str | None = None
    #: decided by the name alone: holds only where the table is about people
    by_name: bool = False


def _share(count: int, total: int) -> float:
    return count / total if total else 0.0


def _pct(count: int, total: int) -> str:
    return f"{count} of {total} sampled values ({100 * _share(count, total):.0f}%)"


def classify(column: str, kind: ColumnKind, values: Sequence[Any], *, region: str = "US",
             today: date | None = None) -> Verdict:
    """The verdict on one column from up to a few thousand of its non-empty values."""
    hint = n.suggested(column)
    named = f"the name {column!r} suggests {hint}" if hint else None
    if kind is ColumnKind.BINARY:
        if hint in (n.SELF_IMAGE, n.FINGERPRINT):
            return Verdict(hint, 0.6, ["binary values are not read", named or ""], by_name=False)
        return Verdict(None, 0.0, ["binary values are not read; the name suggests nothing personal"])
    texts = [t for t in (d.text_of(v) for v in values) if t]
    total = len(texts)
    if total == 0:
        note = ["no values in the sample (empty or all NULL)"]
        if hint:
            note.append(f"{named}: check it once it holds data")
        return Verdict(None, 0.0, note)
    verdict = None
    if kind in _TEXTUAL:
        verdict = _by_values(column, texts, values, kind, hint, region, today or date.today())
    elif kind in (ColumnKind.DATE, ColumnKind.DATETIME):
        verdict = _birth(column, values, kind, hint, today or date.today())
    elif kind is ColumnKind.INTEGER and hint in (d.PHONE, n.FAX):
        verdict = _by_values(column, texts, values, kind, hint, region, today or date.today())
    elif kind in (ColumnKind.INTEGER, ColumnKind.DECIMAL, ColumnKind.FLOAT) and hint == n.AGE:
        ages = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if ages and all(0 <= a <= 120 for a in ages):
            verdict = Verdict(n.AGE, 0.7, [f"{_pct(len(ages), len(values))} are numbers from 0 to 120",
                                           f"the name {column!r} suggests {hint}"], by_name=True)
    if verdict is None:
        verdict = _by_name(column, texts, values, kind, hint)
    if verdict is None:
        unmatched = ["no detector matched most sampled values"]
        if hint:
            unmatched.append(f"{named}, but the values do not look like it")
        return Verdict(None, 0.0, unmatched)
    if hint and verdict.category == hint and named and not verdict.by_name:
        verdict.evidence.append(named)
        verdict.confidence = min(0.99, verdict.confidence + 0.1)
    return verdict


def _by_values(column: str, texts: list[str], raw: Sequence[Any], kind: ColumnKind, hint: str | None, region: str,
               today: date) -> Verdict | None:
    total = len(texts)
    count: Counter[str] = Counter()
    for text in texts:
        count.update(_detected(text, region))

    def share(*keys: str) -> float:
        return _share(sum(count[k] for k in keys), total)

    def found(category: str, keys: tuple[str, ...], what: str, detector: str) -> Verdict:
        matched = sum(count[k] for k in keys)
        return Verdict(category, round(_share(matched, total), 2), [f"{_pct(matched, total)} are {what}"],
                       detector=detector)

    if share("email") >= STRONG:
        return found(d.EMAIL, ("email",), "email addresses", "email")
    if share("ip") >= STRONG:
        return found(d.IP, ("ip",), "IP addresses", "ip")
    if share("iban") >= STRONG:
        return found(d.BANK, ("iban",), "IBANs with a valid checksum", "iban")
    if share("card") >= STRONG and (hint == d.CARD or (hint is None and share("card") >= 0.75
                                                       and not n.about_things(column))):
        return found(d.CARD, ("card",), "card numbers of a known issuer that pass the Luhn check", "card")
    if share("ssn_dashed") >= STRONG:
        return found(d.NATIONAL_ID, ("ssn_dashed",), "US social security numbers (issued ranges only)", "ssn")
    if share("ssn_bare", "ssn_dashed") >= STRONG and hint == d.NATIONAL_ID:
        return found(d.NATIONAL_ID, ("ssn_bare", "ssn_dashed"), "nine-digit numbers in the issued SSN ranges",
                     "ssn")
    if share("national") >= STRONG:
        return found(d.NATIONAL_ID, ("national",), "national identifiers with a valid check character",
                     "national")
    if share("latlng") >= STRONG:
        return found(d.PRECISE, ("latlng",), "latitude/longitude pairs with three or more decimals", "latlng")
    phones = ("phone_formatted", "phone_bare", "phone_bare_elsewhere")
    if hint not in (d.POSTAL, d.NATIONAL_ID, d.BANK, d.CARD) and (
            share("phone_formatted") >= STRONG or (share(*phones) >= STRONG and hint in (d.PHONE, n.FAX))):
        category = n.FAX if hint == n.FAX else d.PHONE
        return found(category, phones, "phone numbers", "phone")
    if share("password") >= STRONG:
        return found(d.PASSWORD, ("password",), "password hashes (bcrypt, Argon2, crypt, PBKDF2)", "password")
    if share("social") >= STRONG:
        return found(d.SOCIAL, ("social",), "profiles on social networks", "social")
    if share("mac") >= STRONG:
        return found(d.DEVICE_ID, ("mac",), "hardware (MAC) addresses of devices", "mac")
    if share("agent") >= STRONG:
        return found(d.DEVICE, ("agent",), "browser user-agent strings", "agent")
    if share("address") >= STRONG or (share("street") >= STRONG and hint == d.ADDRESS):
        return found(d.ADDRESS, ("street",), "postal addresses", "address")
    if share("street") >= STRONG:
        return found(d.STREET, ("street",), "street lines (a number and a street)", "street")
    birth = _birth(column, raw, kind, hint, today)
    if birth is not None:
        return birth
    return _names_or_text(texts, hint, region)


#: detectors of whole values, in order; a value one of the ``final`` ones recognises is read no further
_FIRST: tuple[tuple[str, Any], ...] = (("email", d.is_email), ("ip", d.is_ip), ("iban", d.is_iban))
_FINAL: tuple[tuple[str, Any], ...] = (("password", d.is_password_hash), ("social", d.is_social_url),
                                       ("mac", d.is_mac))


def _detected(text: str, region: str) -> list[str]:
    """The detector keys one value matches (a card number may also be a bare phone number)."""
    for key, test in _FIRST:
        if test(text):
            return [key]
    keys = ["card"] if d.is_card(text) else []
    ssn = d.ssn_kind(text)
    if ssn:
        keys.append(f"ssn_{ssn}")
    if d.national_kind(text):
        keys.append("national")
    if d.is_lat_lng(text):
        return [*keys, "latlng"]
    phone = d.phone_kind(text, region)
    if phone:
        keys.append(f"phone_{phone}")
    for key, test in _FINAL:
        if test(text):
            return [*keys, key]
    if d.is_user_agent(text):
        keys.append("agent")
    elif d.is_full_address(text):
        keys += ["address", "street"]
    elif d.is_street(text):
        keys.append("street")
    return keys


def _birth(column: str, raw: Sequence[Any], kind: ColumnKind, hint: str | None, today: date) -> Verdict | None:
    if kind not in (ColumnKind.DATE, ColumnKind.DATETIME, ColumnKind.STRING, ColumnKind.OTHER):
        return None
    dates = [x for x in (d.as_date(v) for v in raw) if x is not None]
    total = len(raw)
    if _share(len(dates), total) < 0.8:
        return None
    ages = [(today - x).days / 365.25 for x in dates]
    plausible = [a for a in ages if 0 <= a <= 120]
    if _share(len(plausible), len(ages)) < 0.95:
        return None
    median = statistics.median(plausible)
    spread = max(plausible) - min(plausible)
    if hint == d.BIRTH and median >= 1:
        return Verdict(d.BIRTH, round(_share(len(plausible), total), 2),
                       [f"{_pct(len(plausible), total)} are dates 0 to 120 years ago"], detector="date")
    unlikely = hint is not None or n.names_an_event(column) or median < 16 or spread < 20
    return None if unlikely else Verdict(
        d.BIRTH, 0.55, [f"{_pct(len(plausible), total)} are dates without a time of day, a median "
                        f"{median:.0f} years ago and {spread:.0f} years apart, as birth dates are"],
        detector="date")


def _names_or_text(texts: list[str], hint: str | None, region: str) -> Verdict | None:
    total = len(texts)
    shaped = [t for t in texts if d.name_shape(t)]
    known = sum(1 for t in shaped if d.has_known_name(t))
    names_ok = hint in (None, d.NAME)
    if names_ok and _share(len(shaped), total) >= 0.8 and _share(known, total) >= 0.5:
        return Verdict(d.NAME, round(_share(known, total), 2),
                       [f"{_pct(known, total)} are words of letters holding a known given or family name"],
                       detector="name")
    if hint == d.NAME and _share(len(shaped), total) >= STRONG:
        return Verdict(d.NAME, round(0.9 * _share(len(shaped), total), 2),
                       [f"{_pct(len(shaped), total)} are words of letters, as names are"], detector="name")
    free = [t for t in texts if d.is_free_text(t)]
    if _share(len(free), total) >= 0.5:
        inside: Counter[str] = Counter()
        holding = 0
        for text in free:
            finds = d.find_inside(text, region)
            holding += bool(finds)
            inside.update(f.category for f in finds)
        if holding >= 2 and _share(holding, len(free)) >= 0.02:
            contains = [c for c, _ in inside.most_common()]
            detail = ", ".join(f"{k} in {v}" for k, v in inside.most_common())
            return Verdict(d.TEXT, round(min(0.95, 0.6 + _share(holding, len(free))), 2),
                           [f"{_pct(len(free), total)} are free text; {holding} of them hold personal data "
                            f"({detail})"], contains=contains, detector="text")
        if hint == d.TEXT:
            return Verdict(d.TEXT, 0.6, [f"{_pct(len(free), total)} are free text"], detector="text",
                           by_name=True)
    return None


def _by_name(column: str, texts: list[str], raw: Sequence[Any], kind: ColumnKind, hint: str | None) -> Verdict | None:
    """Categories no detector reads: the name decides where the values fit it."""
    if hint is None:
        return None
    total = len(texts)
    because = f"the name {column!r} suggests it"

    def fits(test: Any) -> float:
        return _share(sum(1 for t in texts if test(t)), total)

    def verdict(confidence: float, note: str) -> Verdict:
        return Verdict(hint, round(confidence, 2), [note, because], by_name=True)

    if hint == d.CARD and fits(lambda t: len(t) == 4 and t.isdigit()) >= 0.9:
        return verdict(0.7, f"{_pct(total, total)} are four digits: the last digits of a card")
    if hint == d.PRECISE:
        numbers = [float(v) for v in raw if isinstance(v, int | float) or _is_number(v)]
        if _share(len(numbers), total) >= 0.9 and all(-180 <= x <= 180 for x in numbers):
            decimals = statistics.median(_decimals(v) for v in raw)
            if decimals >= 3:
                return verdict(0.75, "coordinates with three or more decimals (a few metres)")
            return Verdict(n.IMPRECISE, 0.6, ["coordinates with fewer than three decimals", because], by_name=True)
        return None
    if hint == d.POSTAL:
        return verdict(0.65, "values shaped like postal codes") if fits(d.is_postal_code) >= 0.8 else None
    if hint in (d.CITY, d.STATE, d.COUNTRY):
        words = fits(lambda t: not any(c.isdigit() for c in t) and len(t) <= 60)
        return verdict(0.6, "short words without digits, as place names are") if words >= 0.9 else None
    if hint == n.GENDER:
        return verdict(0.65, "a handful of distinct values") if len(set(texts)) <= 12 else None
    if hint in (d.NATIONAL_ID, n.PASSPORT, n.LICENSE):
        shaped = fits(lambda t: 5 <= len(t) <= 20 and any(c.isdigit() for c in t) and " " not in t.strip())
        return verdict(0.6, "short codes with digits, as document numbers are") if shaped >= 0.8 else None
    if hint == d.BIRTH:
        return None  # dates were read above; no dates, no birth dates
    if hint == n.URL:
        links = fits(lambda t: t.lower().startswith(("http://", "https://", "www.")) and " " not in t)
        return verdict(0.6, "web addresses") if links >= 0.8 else None
    if hint in (n.USERNAME, n.PASSWORD, n.DEVICE_ID, n.COOKIE, n.DIAGNOSIS, n.MEDICATIONS, n.JOB_TITLE,
                n.WORKPLACE, d.DEVICE, d.TEXT):
        if hint == d.TEXT and kind is not ColumnKind.STRING and kind is not ColumnKind.JSON:
            return None
        return verdict(0.6, "values of the kind the name says")
    return None  # email, phone, IP, names, addresses: the values above would have shown them


def _is_number(value: Any) -> bool:
    try:
        float(str(value))
    except ValueError:
        return False
    return True


def _decimals(value: Any) -> int:
    text = str(value)
    return len(text.split(".", 1)[1].rstrip("0")) if "." in text else 0


def people_table(verdicts: Sequence[Verdict]) -> bool:
    """Whether a table's columns say it is about people (a name, an email, an address...)."""
    return any(v.category in PEOPLE and not v.by_name for v in verdicts)


def settle(verdicts: list[Verdict]) -> list[Verdict]:
    """Name-only place and gender categories stand only in a table about people: a product's
    ``country`` of origin or an order's ``state`` is not personal data."""
    about_people = people_table(verdicts)
    settled = []
    for verdict in verdicts:
        if verdict.by_name and verdict.category in NEEDS_PEOPLE and not about_people:
            settled.append(Verdict(None, 0.0, [*verdict.evidence, "the table holds nothing else about people"]))
        else:
            settled.append(verdict)
    return settled
