"""Double opt-in: a sign-up sends one confirmation mail and nothing else until it is confirmed.

The address is kept encrypted, found by its keyed HMAC. Following the signed link records
the consent (method ``double_opt_in``) with the sign-up and confirmation times as proof,
and lifts any earlier suppression of those topics. The same answer is given for a known
and an unknown address, after the same work: a sign-up only queues a job
(``request_subscription``), and the job decides whether a mail is due and sends it, so
neither the answer nor its timing says whether the address is subscribed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.consent import webhooks
from custos.consent.context import Consent
from custos.consent.email import suppression, tokens
from custos.consent.email.mail import compose
from custos.consent.email.subjects import email_subject
from custos.consent.models import EmailContact, SubjectLink
from custos.consent.purposes import ConsentPurpose, email_topics
from custos.consent.records import Choice, current_state, identity_hmac, record_in
from custos.controlplane import Job
from custos.engine.subject import normalize_email
from custos.errors import JobFailure
from custos.service import audit
from custos.service.core import Service
from custos.service.errors import InvalidRequestError
from custos.service.work.jobs import enqueue

RESEND_AFTER = timedelta(minutes=10)
#: the job that carries out a sign-up
SUBSCRIBE_JOB = "email.subscribe"

__all__ = ["confirm", "email_subject", "may_send", "subscribe", "topic_state"]


@dataclass(frozen=True)
class TopicState:
    """One topic as the preference center shows it."""

    topic: ConsentPurpose
    subscribed: bool


def topics_of(consent: Consent, keys: list[str]) -> list[ConsentPurpose]:
    """The topics named by ``keys`` (all topics when empty); unknown keys are refused."""
    offered = email_topics(consent.service.datamap)
    if not keys:
        return offered
    by_key = {t.key: t for t in offered}
    unknown = sorted(set(keys) - set(by_key))
    if unknown:
        raise InvalidRequestError(f"unknown topics {', '.join(unknown)}; valid: {', '.join(sorted(by_key))}")
    return [by_key[k] for k in sorted(set(keys))]


def request_subscription(consent: Consent, address: str, topic_keys: list[str]) -> None:
    """Check a sign-up and queue it: the same statement for every address, known or not."""
    email = normalize_email(address)
    keys = sorted(t.key for t in topics_of(consent, topic_keys))
    service = consent.service
    with service.plane.write() as session:
        enqueue(session, service, SUBSCRIBE_JOB, None,
                {"address": service.vault.encrypt_text(email).decode("ascii"), "topics": keys})


def run_subscription(service: Service, job: Job) -> None:
    """The job of a sign-up (``custos_job_handlers``): ask the address to confirm."""
    from custos.consent.context import consent_for

    payload = job.payload or {}
    try:
        address = service.vault.decrypt_text(str(payload["address"]).encode("ascii"))
    except (KeyError, ValueError) as exc:
        raise JobFailure(f"a sign-up job without a readable address: {exc}") from None
    subscribe(consent_for(service), address, list(payload.get("topics") or []))


def subscribe(consent: Consent, address: str, topic_keys: list[str]) -> bool:
    """Ask ``address`` to confirm ``topic_keys``; returns whether a confirmation mail went out.

    Topics the address already receives need no mail; a repeated sign-up within ten
    minutes sends nothing more, so the form cannot be used to flood a mailbox.
    """
    email = normalize_email(address)
    topics = topics_of(consent, topic_keys)
    service = consent.service
    digest = identity_hmac(consent, "email", email)
    now = service.clock()
    with service.plane.write() as session:
        state = current_state(session, [email_subject(digest)])
        wanted = [t for t in topics if not (t.key in state and state[t.key].granted)
                  or suppression.is_suppressed(session, digest, t.key)]
        contact = session.scalars(sa.select(EmailContact).where(EmailContact.address_hmac == digest)).first()
        if not wanted:
            return False
        keys = sorted(t.key for t in wanted)
        if contact is None:
            contact = EmailContact(address_hmac=digest, address_encrypted=service.vault.encrypt_text(email),
                                   status="pending", requested_topics=keys, requested_at=now)
            session.add(contact)
        elif contact.requested_topics == keys and now - contact.requested_at < RESEND_AFTER:
            return False
        else:
            contact.requested_topics = keys
            contact.requested_at = now
        audit.append(session, "email.confirmation_sent", actor="subject", at=now,
                     detail={"subject": email_subject(digest), "topics": keys})
    hours = consent.settings.confirmation_hours
    token = tokens.issue(service, "confirm", digest, keys, timedelta(hours=hours))
    organization = service.datamap.organization
    service.mailer.deliver(compose(service.mailer.sender, email, "confirm_subscription", {
        "org_name": organization.name, "privacy_contact": organization.privacy_contact,
        "topics": [t.name for t in wanted], "hours": hours,
        "confirm_url": service.link(f"/email/confirm/{token}"),
    }))
    return True


def confirm(consent: Consent, token: str, *, user_agent: str | None = None) -> list[str]:
    """Follow a confirmation link: record the consent and lift suppressions; returns the topics."""
    service = consent.service
    link = tokens.read(service, token, "confirm")
    topics = [t.key for t in topics_of(consent, list(link.topics))] if link.topics else []
    now = service.clock()
    with service.plane.write() as session:
        contact = session.scalars(
            sa.select(EmailContact).where(EmailContact.address_hmac == link.address_hmac)).first()
        if contact is None:
            return []
        subject = email_subject(link.address_hmac)
        state = current_state(session, [subject])
        # A link confirms what was asked when it was sent; a later unsubscribe is not undone by an old link.
        fresh = [t for t in topics if t not in state or state[t].at < link.issued or state[t].granted]
        new = [t for t in fresh if not (t in state and state[t].granted)]
        contact.status = "confirmed"
        contact.confirmed_at = contact.confirmed_at or now
        _link_address(session, consent, link.address_hmac)
        if new:
            suppression.lift(session, link.address_hmac, new)
            record_in(session, consent, Choice(
                subject=subject, choices=dict.fromkeys(new, True), method="double_opt_in",
                notice_version=consent.notice_version(), user_agent=user_agent,
                evidence={"requested_at": link.issued.isoformat(), "confirmed_at": now.isoformat(),
                          "confirmation": "signed link mailed to the address and followed"},
            ))
            webhooks.enqueue(session, consent, "email.subscribed", {"subject": subject, "topics": new})
        return fresh


def _link_address(session: Session, consent: Consent, digest: str) -> None:
    subject = email_subject(digest)
    exists = session.scalars(sa.select(SubjectLink.id).where(
        SubjectLink.subject == subject, SubjectLink.identity_hmac == digest)).first()
    if exists is None:
        session.add(SubjectLink(subject=subject, identity_kind="email", identity_hmac=digest,
                                linked_at=consent.service.clock()))


def topic_state(consent: Consent, address_hmac: str) -> list[TopicState]:
    """Every topic and whether the address receives it now."""
    with consent.service.plane.read() as session:
        state = current_state(session, [email_subject(address_hmac)])
        return [TopicState(t, t.key in state and state[t.key].granted
                           and not suppression.is_suppressed(session, address_hmac, t.key))
                for t in email_topics(consent.service.datamap)]


def may_send(session: Session, consent: Consent, address_hmac: str, topic: str) -> bool:
    """Whether marketing mail of ``topic`` may go to the address: confirmed, granted, not suppressed."""
    contact = session.scalars(sa.select(EmailContact.status).where(EmailContact.address_hmac == address_hmac)).first()
    if contact != "confirmed" or suppression.is_suppressed(session, address_hmac, topic):
        return False
    state = current_state(session, [email_subject(address_hmac)])
    return topic in state and state[topic].granted


def set_topics(consent: Consent, address_hmac: str, chosen: list[str], *, user_agent: str | None) -> None:
    """The preference center's save: chosen topics on, the others off, at once."""
    offered = [t.key for t in email_topics(consent.service.datamap)]
    keep = sorted(set(chosen) & set(offered))
    drop = sorted(set(offered) - set(keep))
    current = {s.topic.key: s.subscribed for s in topic_state(consent, address_hmac)}
    with consent.service.plane.write() as session:
        on = [t for t in keep if not current.get(t)]
        off = [t for t in drop if current.get(t)]
        if on:
            contact = session.scalars(
                sa.select(EmailContact).where(EmailContact.address_hmac == address_hmac)).first()
            if contact is not None:
                # The page is reached only through a link mailed to the address: it is confirmed.
                contact.status = "confirmed"
                contact.confirmed_at = contact.confirmed_at or consent.service.clock()
                suppression.lift(session, address_hmac, on)
                record_in(session, consent, Choice(
                    subject=email_subject(address_hmac), choices=dict.fromkeys(on, True),
                    method="preference_center", notice_version=consent.notice_version(), user_agent=user_agent,
                ))
        if off:
            suppression.unsubscribe_in(session, consent, address_hmac, off, reason="preference_center",
                                       user_agent=user_agent, every_topic=offered)
