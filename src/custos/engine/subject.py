"""The person a request is about, as normalized identity values."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import phonenumbers

from custos.errors import IdentityError

MAX_EMAIL = 320
MAX_IDENTITY = 65536


def normalize_email(value: str) -> str:
    """Trimmed and lower-cased (NFC), the form an email rule compares (docs/datamap.md, matching)."""
    email = unicodedata.normalize("NFC", value).strip().lower()
    if not email:
        raise IdentityError("the email is empty")
    if len(email) > MAX_EMAIL:
        raise IdentityError(f"the email is {len(email)} characters long; an address has at most {MAX_EMAIL}")
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in email):
        raise IdentityError("the email is not an address of the form name@domain")
    return email


def normalize_phone(value: str, region: str | None = None) -> str:
    """E.164 (``+14155550123``); a number without country code uses ``CUSTOS_DEFAULT_REGION``."""
    text = value.strip()
    if not text:
        raise IdentityError("the phone number is empty")
    if len(text) > 64:
        raise IdentityError("the phone number is too long to be one")
    try:
        number = phonenumbers.parse(text, region or os.environ.get("CUSTOS_DEFAULT_REGION", "US"))
    except phonenumbers.NumberParseException as exc:
        raise IdentityError(f"the phone number cannot be read: {exc}") from None
    if not phonenumbers.is_possible_number(number):
        raise IdentityError("the phone number is not a possible number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize(identity: str, value: str) -> str:
    if not isinstance(value, str):
        raise IdentityError(f"the {identity} must be text")
    if identity == "email":
        return normalize_email(value)
    if identity == "phone":
        return normalize_phone(value)
    text = value.strip()
    if not text:
        raise IdentityError(f"the {identity} is empty")
    if len(text) > MAX_IDENTITY:
        raise IdentityError(f"the {identity} is longer than {MAX_IDENTITY} characters")
    return text


def stored_form(identity: str, value: str, region: str | None = None) -> str:
    """How a new identity value is written: the normalized form every match rule finds."""
    if identity == "email":
        return normalize_email(value)
    if identity == "phone":
        return normalize_phone(value, region)
    return normalize(identity, value)


@dataclass(frozen=True)
class Subject:
    """Identity type → normalized values. Several types may be given at once."""

    identities: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, **values: str | Iterable[str] | None) -> Subject:
        """``Subject.of(email="a@b.c", phone="+1...")``; empty values are ignored."""
        identities: dict[str, set[str]] = {}
        for identity, given in values.items():
            if given is None:
                continue
            items = [given] if isinstance(given, str) else list(given)
            for item in items:
                identities.setdefault(identity, set()).add(normalize(identity, item))
        if not identities:
            raise IdentityError("no identity given: name the person by email, phone or another identity of the data map",
                                option="identity")
        return cls({k: frozenset(v) for k, v in identities.items()})

    def values(self, identity: str) -> frozenset[str]:
        return self.identities.get(identity, frozenset())

    def merged(self, other: Subject) -> Subject:
        keys = set(self.identities) | set(other.identities)
        return Subject({k: self.values(k) | other.values(k) for k in keys})

    def as_dict(self) -> dict[str, str | list[str]]:
        return {k: (sorted(v)[0] if len(v) == 1 else sorted(v)) for k, v in sorted(self.identities.items())}


def merge_subjects(subjects: Iterable[Subject]) -> Subject:
    """One subject holding every identity of many: a batch runs as one set-based pass."""
    result = Subject()
    for subject in subjects:
        result = result.merged(subject)
    return result
