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
from collections.abc import Callable, Iterable, Mapping, Sequence
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
    return record_many(session, consent, [choice], actor=actor)[0]


def record_many(session: Session, consent: Consent, choices: Sequence[Choice], *,
                actor: str = "subject") -> list[list[ConsentEvent]]:
    """Append the events of several choices under one audit entry, in the caller's transaction.

    One choice gives a ``consent.recorded`` entry; several give one ``consent.recorded.batch``
    entry whose ``records`` list each choice as ``consent.recorded`` would. Either way every
    event names the entry (``evidence.audit_seq``) and the entry's hash covers every decision.
    """
    rows = _rows(session, consent, choices, actor)
    written: list[list[ConsentEvent]] = []
    for group in rows:
        events = [ConsentEvent(**row) for row in group]
        session.add_all(events)
        written.append(events)
    return written


def insert_many(session: Session, consent: Consent, choices: Sequence[Choice], *,
                actor: str = "subject") -> list[list[PurposeState]]:
    """``record_many`` for many choices at once: the same rows and audit entry, inserted in one
    statement; returns the state each event gives its purpose."""
    rows = _rows(session, consent, choices, actor)
    flat = [row for group in rows for row in group]
    if flat:
        session.execute(sa.insert(ConsentEvent), flat)
    return [[PurposeState(purpose=r["purpose"], granted=r["granted"], method=r["method"], at=r["at"],
                          notice_version=r["notice_version"], event_id=r["event_id"]) for r in group]
            for group in rows]


def _rows(session: Session, consent: Consent, choices: Sequence[Choice], actor: str) -> list[list[dict[str, Any]]]:
    """The event rows of ``choices``, after appending their audit entry and queueing their webhooks."""
    kept = [c for c in choices if c.choices]
    if not kept:
        return [[] for _ in choices]
    at = consent.service.clock()
    details: list[dict[str, Any]] = []
    for choice in kept:
        details.append({
            "choice_id": str(uuid.uuid4()), "subject": choice.subject, "method": choice.method,
            "notice_version": choice.notice_version,
            "choices": {purpose: bool(granted) for purpose, granted in sorted(choice.choices.items())},
        })
    if len(kept) == 1:
        entry = audit.append(session, "consent.recorded", actor=actor, at=at, detail=details[0])
    else:
        entry = audit.append(session, "consent.recorded.batch", actor=actor, at=at,
                             detail={"count": len(kept), "records": details})
    written: dict[int, list[dict[str, Any]]] = {}
    for choice, detail in zip(kept, details, strict=True):
        agent = (choice.user_agent or "")[:MAX_USER_AGENT] or None
        evidence = {**(choice.evidence or {}), "audit_seq": entry.seq}
        written[id(choice)] = [
            {"event_id": str(uuid.uuid4()), "choice_id": detail["choice_id"], "subject": choice.subject,
             "purpose": purpose, "granted": granted, "method": choice.method,
             "notice_version": choice.notice_version, "at": at, "user_agent": agent, "evidence": evidence}
            for purpose, granted in detail["choices"].items()
        ]
        webhooks.enqueue(session, consent, "consent.changed", {
            "subject": choice.subject, "choice_id": detail["choice_id"], "method": choice.method,
            "at": at.isoformat(), "notice_version": choice.notice_version, "choices": detail["choices"],
        })
    subjects = sorted({c.subject for c in kept})
    after: list[Callable[[], None]] = session.info.setdefault("after_commit", [])
    if not session.info.get("consent_cache_managed"):
        after.append(lambda: consent.states.invalidate(subjects))
    return [written.get(id(c), []) for c in choices]


def subject_groups(session: Session, subjects: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """``subject_group`` of many subjects, in two queries."""
    wanted = sorted(set(subjects))
    groups: dict[str, set[str]] = {s: {s} for s in wanted}
    if not wanted:
        return {}
    own: dict[str, set[str]] = {}
    for subject, digest in session.execute(
            sa.select(SubjectLink.subject, SubjectLink.identity_hmac).where(SubjectLink.subject.in_(wanted))):
        own.setdefault(digest, set()).add(subject)
    if own:
        for subject, digest in session.execute(
                sa.select(SubjectLink.subject, SubjectLink.identity_hmac)
                .where(SubjectLink.identity_hmac.in_(sorted(own)))):
            for asker in own[digest]:
                groups[asker].add(subject)
    return {s: tuple(sorted(g)) for s, g in groups.items()}


def current_states(session: Session,
                   groups: Sequence[tuple[str, ...]]) -> dict[tuple[str, ...], dict[str, PurposeState]]:
    """``current_state`` of many subject groups, in one query."""
    wanted = sorted({s for g in groups for s in g})
    newest = (
        sa.select(sa.func.max(ConsentEvent.id))
        .where(ConsentEvent.subject.in_(wanted))
        .group_by(ConsentEvent.subject, ConsentEvent.purpose)
    )
    per_subject: dict[str, list[tuple[int, PurposeState]]] = {}
    for row in session.execute(
            sa.select(ConsentEvent.id, ConsentEvent.subject, ConsentEvent.purpose, ConsentEvent.granted,
                      ConsentEvent.method, ConsentEvent.at, ConsentEvent.notice_version, ConsentEvent.event_id)
            .where(ConsentEvent.id.in_(newest))):
        per_subject.setdefault(row.subject, []).append((row.id, PurposeState(
            purpose=row.purpose, granted=row.granted, method=row.method, at=row.at,
            notice_version=row.notice_version, event_id=row.event_id)))
    found: dict[tuple[str, ...], dict[str, PurposeState]] = {}
    for group in groups:
        ordered = sorted((item for s in group for item in per_subject.get(s, [])), key=lambda item: item[0])
        found[group] = {state.purpose: state for _, state in ordered}
    return found


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
            session.info.setdefault("after_commit", []).append(consent.states.clear)
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
