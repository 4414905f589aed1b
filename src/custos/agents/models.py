"""The control-plane tables of authorized agents: registry, pairing tokens, seen messages,
DRP requests and status callbacks.

They live on ``custos.controlplane.Base`` and are created by the ``agents_0001`` migration.
A DRP request shares its id with the ordinary Custos request it became, and is written in
the same transaction. Requests refused at intake are ordinary (denied) Custos requests
too; ``final_status`` is kept for DRP records made before that, which have none.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from custos.controlplane import Base, UTCDateTime, new_id


class Agent(Base):
    """An authorized agent the company trusts: its id, its Ed25519 verify key, its contacts."""

    __tablename__ = "agents"

    id: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    verify_key: Mapped[str] = mapped_column(sa.String(64))  # base64, 32 bytes
    web_url: Mapped[str | None] = mapped_column(sa.String(500))
    identity_assurance_url: Mapped[str | None] = mapped_column(sa.String(500))
    technical_contact: Mapped[str | None] = mapped_column(sa.String(320))
    business_contact: Mapped[str | None] = mapped_column(sa.String(320))
    rate_limit_per_minute: Mapped[int] = mapped_column(sa.Integer, default=60)
    trust_claims: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    # Hosts its status callbacks may go to (empty: any public host); added by agents_0002.
    callback_hosts: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    source: Mapped[str] = mapped_column(sa.String(16))  # file | admin
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AgentToken(Base):
    """The bearer token of an agent's pairing; only its SHA-256 is kept."""

    __tablename__ = "agent_tokens"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    agent_id: Mapped[str] = mapped_column(sa.ForeignKey("agents.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SeenMessage(Base):
    """A signed message already accepted, kept until it expires, so it cannot be replayed."""

    __tablename__ = "agent_messages"

    digest: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    agent_id: Mapped[str] = mapped_column(sa.String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class AgentRequest(Base):
    """A DRP request: which agent sent it, what it asked, and where its callbacks go."""

    __tablename__ = "agent_requests"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    agent_id: Mapped[str] = mapped_column(sa.String(100), index=True)
    agent_request_id: Mapped[str | None] = mapped_column(sa.String(200))
    request_id: Mapped[str | None] = mapped_column(sa.String(36), index=True)  # the Custos request
    exercise: Mapped[str] = mapped_column(sa.String(32))
    regime: Mapped[str | None] = mapped_column(sa.String(32))
    status_callback: Mapped[str | None] = mapped_column(sa.String(1000))
    # Final status of a DRP request without a Custos counterpart (records made before agents_0002).
    final_status: Mapped[str | None] = mapped_column(sa.String(24))
    final_reason: Mapped[str | None] = mapped_column(sa.String(32))
    processing_details: Mapped[str | None] = mapped_column(sa.Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[str | None] = mapped_column(sa.Text)
    notified: Mapped[str | None] = mapped_column(sa.String(64))  # "status/reason" last sent


class CallbackDelivery(Base):
    """One status callback to an agent, with its attempts: the delivery log."""

    __tablename__ = "agent_callbacks"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    agent_request_id: Mapped[str] = mapped_column(sa.ForeignKey("agent_requests.id"), index=True)
    agent_id: Mapped[str] = mapped_column(sa.String(100), index=True)
    url: Mapped[str] = mapped_column(sa.String(1000))
    body: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    state: Mapped[str] = mapped_column(sa.String(16), index=True)  # pending|delivered|failed|superseded
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_status_code: Mapped[int | None] = mapped_column(sa.Integer)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
