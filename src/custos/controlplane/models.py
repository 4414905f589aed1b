"""The control plane's tables: requests, identities, verification, results, packages,
users, API keys, jobs, holds, retention runs and the audit log.

SQLAlchemy 2 ORM models; the schema is created and upgraded by the Alembic migrations in
``custos/controlplane/migrations`` (``custos.controlplane.migrate``), never by
``create_all``. Identity values are stored encrypted; a keyed HMAC beside them allows lookup
and frequency counting without decrypting. Audit rows are append-only: the ORM refuses to
update or delete them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
)
from sqlalchemy.types import TypeDecorator

from custos.errors import CustosError

try:
    import fcntl
except ImportError:  # not POSIX: writers of several processes rely on SQLite's busy handler alone
    fcntl = None  # type: ignore[assignment]



class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC instant on every dialect (SQLite keeps no offset)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("control-plane times must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def now() -> datetime:
    """The current instant in UTC."""
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    pass


class Request(Base):
    """One rights request and where it stands in its lifecycle."""

    __tablename__ = "requests"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    type: Mapped[str] = mapped_column(sa.String(32))
    jurisdiction: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[str] = mapped_column(sa.String(24), index=True)
    extended: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    source: Mapped[str] = mapped_column(sa.String(24))  # privacy_center | api | opendsr | agent | declared_agent
    agent_id: Mapped[str | None] = mapped_column(sa.String(200))
    agent_permission: Mapped[bytes | None] = mapped_column(sa.LargeBinary)  # encrypted
    verification_level: Mapped[str] = mapped_column(sa.String(32))
    verified_level: Mapped[str | None] = mapped_column(sa.String(32))
    answered_as: Mapped[str | None] = mapped_column(sa.String(32))
    needs_approval: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    fee_allowed: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    acknowledge_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    respond_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extension_notice_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    extension_notice: Mapped[str | None] = mapped_column(sa.Text)
    extended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    denial_reason: Mapped[str | None] = mapped_column(sa.Text)
    denial_exception: Mapped[str | None] = mapped_column(sa.String(200))
    details: Mapped[bytes | None] = mapped_column(sa.LargeBinary)  # encrypted JSON: corrections, statement
    appeal_of: Mapped[str | None] = mapped_column(sa.ForeignKey("requests.id"))
    token_hash: Mapped[str] = mapped_column(sa.String(64))
    # the id a controller gave (OpenDSR), unique per controller (agent_id); ``external_id`` held it
    # before migration 0006, unique across controllers, and is no longer written
    external_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    external_ref: Mapped[str | None] = mapped_column(sa.String(64))
    #: the console user (email) who handles the request
    assignee: Mapped[str | None] = mapped_column(sa.String(320), index=True)
    #: the language the person's mails are written in (one the map's organization offers)
    language: Mapped[str | None] = mapped_column(sa.String(16))

    __table_args__ = (sa.Index("ix_requests_agent_external_ref", "agent_id", "external_ref", unique=True),)
    callback_urls: Mapped[list[str] | None] = mapped_column(sa.JSON)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    identities: Mapped[list[Identity]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="Identity.id"
    )


class Identity(Base):
    """One identity value of a request's subject: encrypted, with a keyed HMAC for lookup."""

    __tablename__ = "identities"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(sa.ForeignKey("requests.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(64))
    value_encrypted: Mapped[bytes] = mapped_column(sa.LargeBinary)
    value_hmac: Mapped[str] = mapped_column(sa.String(64), index=True)

    request: Mapped[Request] = relationship(back_populates="identities")


class VerificationAttempt(Base):
    """A one-time code sent for a request, or a data-point check, and how it went."""

    __tablename__ = "verification_attempts"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(sa.ForeignKey("requests.id"), index=True)
    method: Mapped[str] = mapped_column(sa.String(24))  # email_code | data_points
    code_hash: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    outcome: Mapped[str] = mapped_column(sa.String(24), default="pending")  # pending|passed|failed|expired
    points_matched: Mapped[int | None] = mapped_column(sa.Integer)


class RequestResult(Base):
    """What the engine did for a request: the result JSON (encrypted) and its counts."""

    __tablename__ = "request_results"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(sa.ForeignKey("requests.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(24))  # access | categories | erasure | correction | preference
    status: Mapped[str] = mapped_column(sa.String(24))
    row_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    residual_ok: Mapped[bool | None] = mapped_column(sa.Boolean)
    collections: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)  # counts only
    result_encrypted: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Package(Base):
    """An access package: the zip, encrypted at rest, behind a signed expiring link."""

    __tablename__ = "packages"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    request_id: Mapped[str] = mapped_column(sa.ForeignKey("requests.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    token_encrypted: Mapped[bytes] = mapped_column(sa.LargeBinary)
    content_encrypted: Mapped[bytes] = mapped_column(sa.LargeBinary)
    size: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    downloads_left: Mapped[int] = mapped_column(sa.Integer)


class User(Base):
    """An admin-console account (argon2 password hash) with one role."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(16))  # admin | operator | auditor
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: sessions opened before this moment no longer work (set when the password changes)
    sessions_after: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RevokedSession(Base):
    """A console session ended before its time (sign-out): its cookie no longer works."""

    __tablename__ = "revoked_sessions"

    nonce: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class ApiKey(Base):
    """A key for machine callers: only its SHA-256 is kept, with its scopes."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    prefix: Mapped[str] = mapped_column(sa.String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64))
    scopes: Mapped[list[str]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Job(Base):
    """A unit of queued work (run a request, send a callback) with its retries."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    request_id: Mapped[str | None] = mapped_column(sa.ForeignKey("requests.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    status: Mapped[str] = mapped_column(sa.String(16), index=True)  # queued | running | done | failed
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(sa.Integer, default=3)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: a running job is its worker's until then; the worker renews it while it works, and a
    #: job whose lease ran out (its process died) is due again
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    worker: Mapped[str | None] = mapped_column(sa.String(64))


class Hold(Base):
    """A legal hold: rows it covers are left alone by retention sweeps and erasures until it is lifted.

    ``scope`` is ``subject`` (the person named by the encrypted identities, found through
    the map as a request finds them), ``collection`` (``dataset.collection``), ``dataset``
    or ``system`` (``target`` names it).
    """

    __tablename__ = "holds"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(sa.String(16))
    target: Mapped[str | None] = mapped_column(sa.String(300))
    identities_encrypted: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    #: keyed HMACs of the held person's normalized identities, to recognise them in a request
    identity_hmacs: Mapped[list[str] | None] = mapped_column(sa.JSON)
    reason: Mapped[str] = mapped_column(sa.Text)
    matter: Mapped[str] = mapped_column(sa.String(200))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    placed_by: Mapped[str] = mapped_column(sa.String(200))
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    lifted_by: Mapped[str | None] = mapped_column(sa.String(200))

    def active(self, moment: datetime) -> bool:
        return self.lifted_at is None and (self.ends_at is None or self.ends_at > moment)

    @property
    def label(self) -> str:
        return f"hold {self.id} ({self.matter})"


class RetentionRun(Base):
    """One retention sweep: when, what started it, and its report (counts, never values)."""

    __tablename__ = "retention_runs"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    trigger: Mapped[str] = mapped_column(sa.String(32))  # schedule | cli | console
    status: Mapped[str] = mapped_column(sa.String(16), index=True)  # running | done | failed
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    report: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    error: Mapped[str | None] = mapped_column(sa.Text)


class AuditEntry(Base):
    """One audit event; ``entry_hash = sha256(prev_hash + canonical JSON)`` chains them."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(sa.Integer, unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(sa.String(200))
    action: Mapped[str] = mapped_column(sa.String(64))
    request_id: Mapped[str | None] = mapped_column(sa.String(36), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    entry_hash: Mapped[str] = mapped_column(sa.String(64))


class AuditHead(Base):
    """The last sequence number and hash, so that removing the newest entries shows."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(sa.Integer)
    entry_hash: Mapped[str] = mapped_column(sa.String(64))
    #: HMAC-SHA-256 of seq and hash under the service's secret: a head rewritten to match a cut
    #: tail does not carry it
    mac: Mapped[str | None] = mapped_column(sa.String(64))


class AppendOnlyError(CustosError):
    """Something tried to change or remove an audit entry."""

    code = "append_only"


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(*_: object) -> None:
    raise AppendOnlyError("audit entries are append-only; they are never updated")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(*_: object) -> None:
    raise AppendOnlyError("audit entries are append-only; they are never deleted")


@cache
def _table_order() -> dict[sa.Table, int]:
    """Each table's place in foreign-key order (parents first); the schema does not change."""
    return {table: position for position, table in enumerate(Base.metadata.sorted_tables)}


def insert_new_in_bulk(session: Session) -> None:
    """Write the session's new objects with one INSERT per table (executemany), tables in
    foreign-key order, and detach them (they stay readable, with every value they were given).

    For transactions that only add rows, such as a batch of new requests: the unit of
    work's per-object bookkeeping costs more than the statements. Foreign keys must be set
    as values (a relationship is not followed here), and changed existing objects are left
    to the ordinary flush.
    """
    new = list(session.new)
    if not new:
        return
    groups: dict[type[Any], list[Any]] = {}
    for instance in new:
        groups.setdefault(type(instance), []).append(instance)
    order = _table_order()
    batches: list[tuple[type[Any], list[dict[str, Any]]]] = []
    for cls in sorted(groups, key=lambda c: order[c.__table__]):
        keys = [attribute.key for attribute in sa.inspect(cls).column_attrs]
        batches.append((cls, [{key: instance.__dict__[key] for key in keys if key in instance.__dict__}
                              for instance in groups[cls]]))
    for instance in new:
        if instance in session:  # a cascade may have taken it out with its parent
            session.expunge(instance)
    for cls, rows in batches:
        session.execute(sa.insert(cls), rows)
