"""People under 16: selling or sharing their data needs opt-in, confirmed in two steps.

CCPA 1798.120(c) forbids selling or sharing the personal information of a consumer under
16 unless the consumer (13 to 15) or a parent (under 13) has affirmatively authorized it.
A subject carries a declared age band (``under_13``, ``13_15``, ``16_plus``; the newest
declaration across linked devices holds). While it is under 16, a grant of an opt-out
purpose (sale, sharing, targeted advertising, and the map's purposes under them) is not
recorded from one call: the answer asks for confirmation and carries a signed token that
names the purposes, the band and who must confirm (the person for 13 to 15, a parent
under 13). A second call with that token and ``confirmed_by`` records the grant, with both
steps in the evidence. Denials never need a confirmation.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.consent.models import SubjectAge
from custos.service.core import Service
from custos.service.errors import GoneError, InvalidRequestError

CONFIRMATION_MINUTES = 30
_PREFIX = "consent-minor:"


@dataclass(frozen=True)
class Confirmation:
    """The first step of a minor's opt-in, as its token carries it."""

    subject: str
    purposes: tuple[str, ...]
    age_band: str
    confirmer: str  # self | parent
    requested_at: datetime
    expires: datetime


def confirmer_for(age_band: str | None) -> str | None:
    """Who must confirm a sale or sharing opt-in: ``parent`` under 13, ``self`` at 13 to 15, else nobody."""
    return {"under_13": "parent", "13_15": "self"}.get(age_band or "")


def declared_band(session: Session, subjects: Iterable[str]) -> str | None:
    """The newest age band declared for any of ``subjects``."""
    return session.scalars(
        sa.select(SubjectAge.age_band).where(SubjectAge.subject.in_(sorted(set(subjects))))
        .order_by(SubjectAge.id.desc()).limit(1)
    ).first()


def declared_bands(session: Session, groups: Sequence[tuple[str, ...]]) -> dict[tuple[str, ...], str | None]:
    """``declared_band`` of many subject groups, in one query."""
    newest: dict[str, tuple[int, str]] = {}
    wanted = sorted({s for g in groups for s in g})
    for row_id, subject, band in session.execute(
            sa.select(SubjectAge.id, SubjectAge.subject, SubjectAge.age_band).where(SubjectAge.subject.in_(wanted))):
        if subject not in newest or row_id > newest[subject][0]:
            newest[subject] = (row_id, band)
    found: dict[tuple[str, ...], str | None] = {}
    for group in groups:
        marks = [newest[s] for s in group if s in newest]
        found[group] = max(marks)[1] if marks else None
    return found


def issue(service: Service, subject: str, purposes: Iterable[str], age_band: str, confirmer: str) -> tuple[str, datetime]:
    """The signed token of a first step, and when it expires."""
    now = service.clock()
    expires = now + timedelta(minutes=CONFIRMATION_MINUTES)
    body = {"s": subject, "p": sorted(set(purposes)), "b": age_band, "c": confirmer,
            "i": int(now.timestamp()), "e": int(expires.timestamp())}
    payload = base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).rstrip(b"=").decode()
    return f"{payload}.{service.vault.sign(_PREFIX + payload)}", expires


def read(service: Service, token: str, subject: str) -> Confirmation:
    """A first step's token, checked: signed by this service, for this subject, not expired."""
    payload, _, signature = token.partition(".")
    if len(token) > 2000 or not signature or not service.vault.verify(_PREFIX + payload, signature):
        raise InvalidRequestError("the confirmation token is not valid")
    try:
        body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        tz = service.clock().tzinfo
        found = Confirmation(subject=str(body["s"]), purposes=tuple(str(p) for p in body["p"]),
                             age_band=str(body["b"]), confirmer=str(body["c"]),
                             requested_at=datetime.fromtimestamp(int(body["i"]), tz),
                             expires=datetime.fromtimestamp(int(body["e"]), tz))
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InvalidRequestError("the confirmation token is not valid") from None
    if found.subject != subject:
        raise InvalidRequestError("the confirmation token belongs to another subject")
    if found.expires < service.clock():
        raise GoneError("the confirmation token has expired; ask again")
    return found
