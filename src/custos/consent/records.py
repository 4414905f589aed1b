"""Consent records: every choice appended as events, the current state derived from them.

A *subject* is an anonymous device id chosen by the browser (or ``email:<hmac>`` for an
address's mail topics). When the person signs in, the site links the device to a known
identity; every subject linked to the same identity then shares one history, so an
opt-out made on one browser (GPC included) holds for the person everywhere.
Each choice is one audit entry listing its events; each event names that entry's
sequence number, which ties the proof to the hash chain.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.consent import webhooks
from custos.consent.context import Consent
from custos.consent.models import ConsentEvent, SubjectLink
from custos.engine.subject import normalize
from custos.service import audit

MAX_USER_AGENT = 512


@dataclass(frozen=True)
class Choice:
    """What a person chose, how, and under which notice."""

    subject: str
    choices: Mapping[str, bool]
    method: str
    notice_version: str
    user_agent: str | None = None
    evidence: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class PurposeState:
    """The current state of one purpose, from the newest event about it."""

    purpose: str
    granted: bool
    method: str
    at: datetime
    notice_version: str
    event_id: str


def record(consent: Consent, choice: Choice, *, actor: str = "subject") -> list[ConsentEvent]:
    """Append one event per purpose of ``choice``, audit it and queue its webhooks."""
    if not choice.choices:
        return []
    with consent.service.plane.write() as session:
        return record_in(session, consent, choice, actor=actor)


def record_in(session: Session, consent: Consent, choice: Choice, *, actor: str = "subject") -> list[ConsentEvent]:
    """``record`` inside a transaction the caller holds (``ControlPlane.write``)."""
    at = consent.service.clock()
    choice_id = str(uuid.uuid4())
    agent = (choice.user_agent or "")[:MAX_USER_AGENT] or None
    decided = {purpose: bool(granted) for purpose, granted in sorted(choice.choices.items())}
    entry = audit.append(session, "consent.recorded", actor=actor, at=at, detail={
        "choice_id": choice_id, "subject": choice.subject, "method": choice.method,
        "notice_version": choice.notice_version, "choices": decided,
    })
    evidence = {**(choice.evidence or {}), "audit_seq": entry.seq}
    events = [
        ConsentEvent(event_id=str(uuid.uuid4()), choice_id=choice_id, subject=choice.subject, purpose=purpose,
                     granted=granted, method=choice.method, notice_version=choice.notice_version, at=at,
                     user_agent=agent, evidence=evidence)
        for purpose, granted in decided.items()
    ]
    session.add_all(events)
    webhooks.enqueue(session, consent, "consent.changed", {
        "subject": choice.subject, "choice_id": choice_id, "method": choice.method, "at": at.isoformat(),
        "notice_version": choice.notice_version, "choices": decided,
    })
    return events


def subject_group(session: Session, subject: str) -> list[str]:
    """``subject`` and every subject linked to one of its identities."""
    identities = sa.select(SubjectLink.identity_hmac).where(SubjectLink.subject == subject)
    linked = session.scalars(
        sa.select(SubjectLink.subject).where(SubjectLink.identity_hmac.in_(identities)).distinct()
    ).all()
    return sorted({subject, *linked})


def current_state(session: Session, subjects: Iterable[str]) -> dict[str, PurposeState]:
    """The newest event per purpose across ``subjects``: the state a site must honor now."""
    group = sorted(set(subjects))
    newest = (
        sa.select(sa.func.max(ConsentEvent.id))
        .where(ConsentEvent.subject.in_(group))
        .group_by(ConsentEvent.purpose)
    )
    rows = session.scalars(sa.select(ConsentEvent).where(ConsentEvent.id.in_(newest)))
    return {
        e.purpose: PurposeState(purpose=e.purpose, granted=e.granted, method=e.method, at=e.at,
                                notice_version=e.notice_version, event_id=e.event_id)
        for e in rows
    }


def history(session: Session, subjects: Iterable[str]) -> list[ConsentEvent]:
    """Every event of ``subjects``, oldest first."""
    query = sa.select(ConsentEvent).where(ConsentEvent.subject.in_(sorted(set(subjects)))).order_by(ConsentEvent.id)
    return list(session.scalars(query))


def identity_hmac(consent: Consent, kind: str, value: str) -> str:
    """The keyed lookup hash of a normalized identity, as the service computes it."""
    return consent.service.vault.lookup_hash(kind, normalize(kind, value))


def link(consent: Consent, subject: str, identities: Mapping[str, str], *, actor: str) -> list[str]:
    """Tie ``subject`` to known identities (on sign-in); returns the subject group after linking."""
    hashes = {kind: identity_hmac(consent, kind, value) for kind, value in sorted(identities.items())}
    with consent.service.plane.write() as session:
        present = set(session.scalars(sa.select(SubjectLink.identity_hmac).where(SubjectLink.subject == subject)))
        added = [kind for kind, digest in hashes.items() if digest not in present]
        for kind in added:
            session.add(SubjectLink(subject=subject, identity_kind=kind, identity_hmac=hashes[kind],
                                    linked_at=consent.service.clock()))
        if added:
            session.flush()
            audit.append(session, "consent.subject_linked", actor=actor, at=consent.service.clock(),
                         detail={"subject": subject, "identity_kinds": added})
            webhooks.enqueue(session, consent, "subject.linked", {"subject": subject, "identity_kinds": added})
        return subject_group(session, subject)


def subjects_of(session: Session, consent: Consent, identities: Mapping[str, Iterable[str]]) -> list[str]:
    """Every subject tied to one of ``identities`` (kind → values), the email topics subject included."""
    from custos.consent.email.subjects import email_subject

    hashes: set[str] = set()
    subjects: set[str] = set()
    for kind, values in identities.items():
        for value in values:
            digest = identity_hmac(consent, kind, value)
            hashes.add(digest)
            if kind == "email":
                subjects.add(email_subject(digest))
    if hashes:
        subjects.update(session.scalars(sa.select(SubjectLink.subject).where(SubjectLink.identity_hmac.in_(hashes))))
    return sorted(subjects)
