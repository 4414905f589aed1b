"""The consent tables of the control-plane store.

``consent_events`` is append-only, like the audit log: the ORM refuses to update or
delete a row, so the history of every choice stays what it was when it was made. The
current state of a subject is derived from it (the newest event per purpose wins).
Email addresses are stored encrypted with a keyed HMAC beside them for lookup, as the
service stores identities.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

from custos.controlplane import AppendOnlyError, Base, UTCDateTime, new_id

METHODS = ("banner", "form", "api", "gpc", "dnt", "gpp", "double_opt_in", "unsubscribe", "preference_center")
AGE_BANDS = ("under_13", "13_15", "16_plus")
MINOR_BANDS = ("under_13", "13_15")


class ConsentEvent(Base):
    """One choice about one purpose, by one subject, as it was made."""

    __tablename__ = "consent_events"
    __table_args__ = (sa.Index("ix_consent_events_subject_purpose", "subject", "purpose", "id"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(sa.String(36), unique=True, default=new_id)
    choice_id: Mapped[str] = mapped_column(sa.String(36))  # events given together share it
    subject: Mapped[str] = mapped_column(sa.String(100))  # an anonymous device id, or email:<hmac>
    purpose: Mapped[str] = mapped_column(sa.String(100))
    granted: Mapped[bool] = mapped_column(sa.Boolean)
    method: Mapped[str] = mapped_column(sa.String(24))
    notice_version: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_agent: Mapped[str | None] = mapped_column(sa.String(512))
    evidence: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)


class SubjectLink(Base):
    """An anonymous subject found to be a known person (on sign-in), by identity HMAC."""

    __tablename__ = "consent_subject_links"
    __table_args__ = (sa.UniqueConstraint("subject", "identity_hmac"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(sa.String(100), index=True)
    identity_kind: Mapped[str] = mapped_column(sa.String(64))
    identity_hmac: Mapped[str] = mapped_column(sa.String(64), index=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SubjectAge(Base):
    """An age band declared for a subject; the newest declaration holds. Rows are never changed."""

    __tablename__ = "consent_subject_ages"
    __table_args__ = (sa.Index("ix_consent_subject_ages_subject", "subject", "id"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(sa.String(100))
    age_band: Mapped[str] = mapped_column(sa.String(16))  # under_13 | 13_15 | 16_plus
    declared_by: Mapped[str] = mapped_column(sa.String(16))  # self | parent | site
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    audit_seq: Mapped[int | None] = mapped_column(sa.Integer)


class EmailContact(Base):
    """An address that asked for mail: pending until the confirmation link is followed."""

    __tablename__ = "email_contacts"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    address_hmac: Mapped[str] = mapped_column(sa.String(64), unique=True)
    address_encrypted: Mapped[bytes] = mapped_column(sa.LargeBinary)
    status: Mapped[str] = mapped_column(sa.String(16))  # pending | confirmed
    requested_topics: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Suppression(Base):
    """An address that must not get mail of a topic (``*``: of any marketing topic)."""

    __tablename__ = "email_suppressions"
    __table_args__ = (sa.UniqueConstraint("address_hmac", "topic"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    address_hmac: Mapped[str] = mapped_column(sa.String(64), index=True)
    topic: Mapped[str] = mapped_column(sa.String(100))
    reason: Mapped[str] = mapped_column(sa.String(32))  # one_click | link | preference_center | operator
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookEndpoint(Base):
    """A downstream system told of consent changes; its signing secret is kept encrypted."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    url: Mapped[str] = mapped_column(sa.String(2000))
    secret_encrypted: Mapped[bytes] = mapped_column(sa.LargeBinary)
    events: Mapped[list[str]] = mapped_column(sa.JSON, default=list)  # empty: every event
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookDelivery(Base):
    """One event for one endpoint, and how its delivery went so far."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[str] = mapped_column(sa.ForeignKey("webhook_endpoints.id"), index=True)
    event_type: Mapped[str] = mapped_column(sa.String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(16), index=True)  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_status: Mapped[int | None] = mapped_column(sa.Integer)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


@event.listens_for(SubjectAge, "before_update")
@event.listens_for(ConsentEvent, "before_update")
def _refuse_update(*_: object) -> None:
    raise AppendOnlyError("consent events are append-only; a new choice is a new event")


@event.listens_for(SubjectAge, "before_delete")
@event.listens_for(ConsentEvent, "before_delete")
def _refuse_delete(*_: object) -> None:
    raise AppendOnlyError("consent events are append-only; they are never deleted")
