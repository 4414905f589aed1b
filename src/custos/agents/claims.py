"""Identity claims of a DRP request (schema.org Person, DRP 0.9.4 §3.04) and how many of them
match what the data map's stores hold.

- ``email`` and ``phone_number`` become the request's identities (normalized as every
  identity is).
- A claim counts as a data point only when the agent marks it verified
  (``email_verified``, ``phone_number_verified``, ``address_verified``) and it equals a
  value held for the subject; ``name`` has no verified flag, so a matching name adds a
  point only beside a verified one.
- ``power_of_attorney`` stands for the signed declaration the three-point level needs.

Every candidate value is compared in constant time, whatever matched before it.
"""

from __future__ import annotations

import hmac
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from custos.engine import Subject
from custos.errors import IdentityError, ProtocolError
from custos.service.core import Service

_SPACES = re.compile(r"\s+")
ADDRESS_PARTS = ("street_address", "locality", "region", "postal_code", "country")


class ClaimError(ProtocolError):
    """A claim of the wrong type or shape."""

    code = "drp_bad_claim"


@dataclass
class Claims:
    """The identity claims of one request."""

    name: str | None = None
    email: str | None = None
    email_verified: bool = False
    phone_number: str | None = None
    phone_number_verified: bool = False
    address: dict[str, str] = field(default_factory=dict)
    address_verified: bool = False
    power_of_attorney: str | None = None

    def identities(self) -> dict[str, str]:
        return {k: v for k, v in (("email", self.email), ("phone", self.phone_number)) if v}

    def subject(self) -> Subject:
        try:
            return Subject.of(**self.identities())
        except IdentityError as exc:
            raise ClaimError(exc.message) from None


def _text(message: dict[str, Any], key: str, limit: int = 320) -> str | None:
    value = message.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ClaimError(f"{key} is a string of at most {limit} characters")
    return value.strip() or None


def _flag(message: dict[str, Any], key: str) -> bool:
    value = message.get(key, False)
    if not isinstance(value, bool):
        raise ClaimError(f"{key} is true or false")
    return value


def parse(message: dict[str, Any]) -> Claims:
    """The claims of ``message``; ``ClaimError`` for a claim of the wrong type."""
    address: dict[str, str] = {}
    raw = message.get("address")
    if isinstance(raw, str):
        address = {"formatted": raw[:500]}
    elif isinstance(raw, dict):
        for key, value in raw.items():
            if not isinstance(value, str) or len(value) > 500:
                raise ClaimError(f"address.{key} is a string")
            address[str(key)] = value
    elif raw is not None:
        raise ClaimError("address is an object (OpenID Connect address claim) or a string")
    return Claims(
        name=_text(message, "name", 200), email=_text(message, "email"),
        email_verified=_flag(message, "email_verified"), phone_number=_text(message, "phone_number", 40),
        phone_number_verified=_flag(message, "phone_number_verified"), address=address,
        address_verified=_flag(message, "address_verified"),
        power_of_attorney=_text(message, "power_of_attorney", 2000),
    )


def comparable(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value)).strip().casefold()
    return _SPACES.sub(" ", text.replace(",", " ")).strip()


def _names(name: str) -> set[str]:
    """The name as given, and "Last, First" turned round (the reference agent sends that form)."""
    forms = {comparable(name)}
    if "," in name:
        last, _, first = name.partition(",")
        forms.add(comparable(f"{first} {last}"))
    return forms


def _addresses(address: dict[str, str]) -> set[str]:
    forms = set()
    for key in ("formatted", "street_address"):
        if address.get(key):
            forms.add(comparable(address[key]))
            forms.add(comparable(address[key].splitlines()[0]))
    return {f for f in forms if f}


def count_points(service: Service, claims: Claims) -> int:
    """How many of the claims count as matched data points for the subject they name."""
    subject = claims.subject()
    if not subject.identities:
        return 0
    with service.engine_lock:
        reach = service.engine.find(subject)
    held: dict[str, list[str]] = {"email": [], "phone": [], "name": [], "address": []}
    taxonomy_of = {"user.contact.email": "email", "user.contact.phone_number": "phone", "user.name": "name",
                   "user.contact.address": "address"}
    for info, data_field in service.datamap.personal_fields():
        kinds = {taxonomy_of[c] for c in data_field.categories if c in taxonomy_of}
        if data_field.identity in ("email", "phone"):
            kinds.add(data_field.identity)
        if not kinds:
            continue
        for row in reach.rows(info.qualified):
            value = row.get(data_field.name)
            if value is not None:
                for kind in kinds:
                    held[kind].append(comparable(value))
    wanted = {
        "email": {comparable(v) for v in subject.values("email")} if claims.email_verified else set(),
        "phone": {comparable(v) for v in subject.values("phone")} if claims.phone_number_verified else set(),
        "address": _addresses(claims.address) if claims.address_verified else set(),
        "name": _names(claims.name) if claims.name else set(),
    }
    matched = {kind: _any_equal(wanted[kind], held[kind]) for kind in wanted}
    points = sum(1 for kind in ("email", "phone", "address") if matched[kind])
    if points and matched["name"]:
        points += 1
    return points


def _any_equal(wanted: set[str], held: list[str]) -> bool:
    found = False
    for candidate in sorted(wanted):
        for value in held:
            found |= hmac.compare_digest(candidate.encode(), value.encode())
    return found
