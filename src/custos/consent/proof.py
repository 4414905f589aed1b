"""Consent as proof: a subject's full history, each event tied to its audit entry.

``export`` answers a regulator or the person (GDPR Art. 7(1): the controller shall be
able to demonstrate consent); ``history_for_identities`` is what an access package
includes about a person's consent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.consent.context import Consent
from custos.consent.models import ConsentEvent
from custos.consent.records import current_state, history, subject_group, subjects_of
from custos.controlplane import AuditEntry
from custos.service.core import Service


def event_view(event: ConsentEvent, chain: Mapping[int, AuditEntry] | None = None) -> dict[str, Any]:
    """One event as JSON types; with ``chain``, the hash of the audit entry it belongs to."""
    view: dict[str, Any] = {
        "event_id": event.event_id,
        "choice_id": event.choice_id,
        "subject": event.subject,
        "purpose": event.purpose,
        "granted": event.granted,
        "method": event.method,
        "notice_version": event.notice_version,
        "at": event.at.isoformat(),
        "user_agent": event.user_agent,
        "evidence": dict(event.evidence or {}),
    }
    seq = view["evidence"].get("audit_seq")
    if chain is not None and isinstance(seq, int) and seq in chain:
        view["audit"] = {"seq": seq, "entry_hash": chain[seq].entry_hash}
    return view


def _chain(session: Session, events: list[ConsentEvent]) -> dict[int, AuditEntry]:
    seqs = sorted({s for e in events if isinstance(s := (e.evidence or {}).get("audit_seq"), int)})
    found: dict[int, AuditEntry] = {}
    for start in range(0, len(seqs), 500):
        batch = seqs[start:start + 500]
        found.update({a.seq: a for a in session.scalars(sa.select(AuditEntry).where(AuditEntry.seq.in_(batch)))})
    return found


def export_subjects(consent: Consent, subjects: Iterable[str]) -> dict[str, Any]:
    """The proof document for ``subjects``: every event, oldest first, and the state they give."""
    group = sorted(set(subjects))
    with consent.service.plane.read() as session:
        events = history(session, group)
        chain = _chain(session, events)
        state = current_state(session, group)
    return {
        "subjects": group,
        "generated_at": consent.service.clock().isoformat(),
        "events": [event_view(e, chain) for e in events],
        "current": {k: {"granted": s.granted, "method": s.method, "at": s.at.isoformat(),
                        "notice_version": s.notice_version, "event_id": s.event_id}
                    for k, s in sorted(state.items())},
    }


def export(consent: Consent, subject: str) -> dict[str, Any]:
    """The proof document of one subject and every subject linked to the same person."""
    with consent.service.plane.read() as session:
        group = subject_group(session, subject)
    return export_subjects(consent, group)


def history_for_identities(consent: Consent, identities: Mapping[str, Iterable[str]]) -> dict[str, Any]:
    """A person's consent history for an access package, found by their identities.

    ``identities`` maps an identity kind (``email``, ``phone``, ``user_id``…) to its values.
    The answer is the ``export_subjects`` document; it is empty when nothing is linked.
    """
    with consent.service.plane.read() as session:
        subjects = subjects_of(session, consent, identities)
        group: set[str] = set(subjects)
        for subject in subjects:
            group.update(subject_group(session, subject))
    return export_subjects(consent, group)


def consent_history(service: Service, identities: Mapping[str, Iterable[str]]) -> dict[str, Any]:
    """``history_for_identities`` for callers holding the service alone (the access package)."""
    return history_for_identities(Consent(service), identities)
