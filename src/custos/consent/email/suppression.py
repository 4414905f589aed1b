"""The suppression list: addresses (by HMAC) that must not get mail of a topic, or of any.

Senders ask before sending (``is_suppressed``, or the API). Unsubscribing adds the entry
and records the withdrawal as a consent event in the same transaction, so it holds from
the moment the answer is sent.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.consent import webhooks
from custos.consent.context import Consent
from custos.consent.email.subjects import email_subject
from custos.consent.models import Suppression
from custos.consent.records import Choice, record_in
from custos.service import audit

ALL_TOPICS = "*"


def is_suppressed(session: Session, address_hmac: str, topic: str | None) -> bool:
    """Whether mail of ``topic`` (``None``: any marketing mail) must not go to the address."""
    topics = [ALL_TOPICS] if topic is None else [ALL_TOPICS, topic]
    query = sa.select(Suppression.id).where(Suppression.address_hmac == address_hmac, Suppression.topic.in_(topics))
    return session.scalars(query.limit(1)).first() is not None


def add(session: Session, consent: Consent, address_hmac: str, topics: Iterable[str], reason: str) -> list[str]:
    """Suppress ``topics`` (``*`` for all); returns those newly added."""
    present = set(session.scalars(sa.select(Suppression.topic).where(Suppression.address_hmac == address_hmac)))
    added = [t for t in sorted(set(topics)) if t not in present]
    for topic in added:
        session.add(Suppression(address_hmac=address_hmac, topic=topic, reason=reason, at=consent.service.clock()))
    return added


def lift(session: Session, address_hmac: str, topics: Iterable[str]) -> None:
    """Remove entries for ``topics`` and the all-topics entry: the address opted in again."""
    session.execute(sa.delete(Suppression).where(
        Suppression.address_hmac == address_hmac, Suppression.topic.in_([ALL_TOPICS, *topics])))


def unsubscribe_in(session: Session, consent: Consent, address_hmac: str, topics: list[str], *,
                   reason: str, user_agent: str | None, every_topic: list[str]) -> list[str]:
    """Withdraw ``topics`` (empty: every topic), inside the caller's transaction."""
    withdrawn = topics or every_topic
    added = add(session, consent, address_hmac, topics or [ALL_TOPICS], reason)
    record_in(session, consent, Choice(
        subject=email_subject(address_hmac), choices=dict.fromkeys(withdrawn, False), method="unsubscribe",
        notice_version=consent.notice_version(), user_agent=user_agent, evidence={"reason": reason},
    ), actor="subject")
    audit.append(session, "email.unsubscribed", actor="subject", at=consent.service.clock(),
                 detail={"subject": email_subject(address_hmac), "topics": topics or [ALL_TOPICS],
                         "reason": reason, "new": added})
    webhooks.enqueue(session, consent, "email.unsubscribed",
                     {"subject": email_subject(address_hmac), "topics": topics or [ALL_TOPICS], "reason": reason})
    return withdrawn


def unsubscribe(consent: Consent, address_hmac: str, topics: list[str], *, reason: str,
                user_agent: str | None = None) -> list[str]:
    """Withdraw ``topics`` (empty: every topic) at once; returns the topics withdrawn."""
    from custos.consent.purposes import email_topics

    every = [t.key for t in email_topics(consent.service.datamap)]
    with consent.service.plane.write() as session:
        return unsubscribe_in(session, consent, address_hmac, topics, reason=reason, user_agent=user_agent,
                              every_topic=every)


def suppress(consent: Consent, address_hmac: str, topics: list[str], *, reason: str, actor: str) -> list[str]:
    """An operator's entry (a bounce, a complaint): suppress without a consent event."""
    with consent.service.plane.write() as session:
        added = add(session, consent, address_hmac, topics or [ALL_TOPICS], reason)
        if added:
            audit.append(session, "email.suppressed", actor=actor, at=consent.service.clock(),
                         detail={"subject": email_subject(address_hmac), "topics": added, "reason": reason})
        return added
