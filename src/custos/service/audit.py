"""The append-only audit log: every state change and row count, each entry hash-chained.

``entry_hash = sha256(prev_hash + canonical JSON of the entry)``, the first entry chained
to 64 zeros. Sequence numbers run without gaps and ``audit_head`` keeps the newest, so
``verify`` finds an edited entry (its hash no longer matches), a removed one (a gap, or a
successor whose ``prev_hash`` points at nothing) and removed newest entries (the head
names a later entry). No code path updates or deletes an entry.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from custos.store import AuditEntry, AuditHead, now

GENESIS = "0" * 64
_CHAIN_KEY = "custos.audit.chain"
_INSERT = sa.insert(AuditEntry)


class _Fields(Protocol):
    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def actor(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def request_id(self) -> str | None: ...
    @property
    def detail(self) -> dict[str, Any]: ...


def canonical(entry: _Fields) -> str:
    """The bytes an entry's hash covers: every field but the hashes, sorted, compact."""
    body = {
        "seq": entry.seq,
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor": entry.actor,
        "action": entry.action,
        "request_id": entry.request_id,
        "detail": entry.detail,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def chain_hash(prev_hash: str, entry: _Fields) -> str:
    return hashlib.sha256((prev_hash + canonical(entry)).encode()).hexdigest()


class Appended:
    """An entry as appended. Its ``seq`` and hashes are fixed when the transaction anchors
    the chain: at its next flush, query or commit, or as soon as ``seq`` is read."""

    __slots__ = ("_session", "_seq", "action", "actor", "at", "detail", "entry_hash", "prev_hash", "request_id")

    def __init__(self, session: Session, at: datetime, actor: str, action: str, request_id: str | None,
                 detail: dict[str, Any]) -> None:
        self._session = session
        self._seq: int | None = None
        self.at, self.actor, self.action, self.request_id, self.detail = at, actor, action, request_id, detail
        self.prev_hash = self.entry_hash = ""

    @property
    def seq(self) -> int:
        if self._seq is None:
            _anchor(self._session, _chain(self._session))
        assert self._seq is not None
        return self._seq

    def row(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": self.at, "actor": self.actor, "action": self.action,
                "request_id": self.request_id, "detail": self.detail, "prev_hash": self.prev_hash,
                "entry_hash": self.entry_hash}


def append(
    session: Session,
    action: str,
    *,
    actor: str,
    request_id: str | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Appended:
    """Add an entry in ``session``'s transaction (call inside ``ControlPlane.write``).

    Entries wait in memory until the transaction anchors the chain (reads and locks its
    head) at its next flush, query or commit, or when an entry's ``seq`` is read; then they
    are numbered, hashed and written in one statement. Until then the transaction holds no
    lock for them; if it rolls back, none of them exists.
    """
    chain = _chain(session)
    entry = Appended(session, at or now(), actor, action, request_id,
                     json.loads(json.dumps(detail or {}, default=str)))
    chain.pending.append(entry)
    if chain.anchored:
        _link(chain, entry)
    return entry


@dataclass
class _Chain:
    """This transaction's view of the chain: its head once anchored, what the store holds,
    and the entries not written yet."""

    transaction: SessionTransaction
    anchored: bool = False
    busy: bool = False  # a statement of the chain's own is running: it must not settle the chain again
    seq: int = 0
    entry_hash: str = GENESIS
    stored: int | None = None  # the head row's seq (None: there is no row yet)
    pending: list[Appended] = field(default_factory=list)


def _chain(session: Session) -> _Chain:
    """This transaction's chain, begun with its first entry."""
    transaction = session.get_transaction() or session.begin()
    chain = _current(session)
    if chain is None:
        chain = session.info[_CHAIN_KEY] = _Chain(transaction)
    return chain


def _current(session: Session) -> _Chain | None:
    chain = session.info.get(_CHAIN_KEY)
    if isinstance(chain, _Chain) and chain.transaction is session.get_transaction():
        return chain
    return None


def _anchor(session: Session, chain: _Chain) -> None:
    """Read and lock the head (writers in other processes wait here), then number the waiting entries."""
    if chain.anchored or chain.busy:
        return
    chain.busy = True
    try:
        with session.no_autoflush:
            head = session.get(AuditHead, 1, with_for_update=True)
            if head is None and session.connection().dialect.name != "sqlite":
                # an empty chain has no row to lock: two first writers would both number 1.
                # Create the genesis head (whoever loses the race inserts nothing) and lock it.
                _create_genesis_head(session)
                head = session.get(AuditHead, 1, with_for_update=True, populate_existing=True)
    finally:
        chain.busy = False
    if head is not None:
        chain.seq, chain.entry_hash, chain.stored = head.seq, head.entry_hash, head.seq
    chain.anchored = True
    for entry in chain.pending:
        _link(chain, entry)


def _create_genesis_head(session: Session) -> None:
    conn = session.connection()
    values = {"id": 1, "seq": 0, "entry_hash": GENESIS}
    statement: Any
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        statement = postgresql.insert(AuditHead).values(values).on_conflict_do_nothing()
    else:
        statement = sa.insert(AuditHead).values(values).prefix_with("IGNORE")
    conn.execute(statement)


def _link(chain: _Chain, entry: Appended) -> None:
    entry._seq = chain.seq + 1
    entry.prev_hash = chain.entry_hash
    entry.entry_hash = chain_hash(chain.entry_hash, entry)
    chain.seq, chain.entry_hash = entry._seq, entry.entry_hash


def _settle(session: Session) -> None:
    """Anchor, write the waiting entries in one statement, and bring the head row up to date."""
    chain = _current(session)
    if chain is None or chain.busy or not (chain.pending or (chain.anchored and chain.stored != chain.seq)):
        return
    _anchor(session, chain)
    chain.busy = True
    try:
        if chain.pending:
            rows = [entry.row() for entry in chain.pending]
            chain.pending.clear()
            session.connection().execute(_INSERT, rows)
        if chain.stored != chain.seq:
            with session.no_autoflush:
                head = session.get(AuditHead, 1)
            if head is None:
                session.add(AuditHead(id=1, seq=chain.seq, entry_hash=chain.entry_hash))
            else:
                head.seq, head.entry_hash = chain.seq, chain.entry_hash
            chain.stored = chain.seq
    finally:
        chain.busy = False


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: object, _instances: object) -> None:
    _settle(session)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    _settle(session)  # the head row it changes is flushed by the commit that follows


@event.listens_for(Session, "do_orm_execute")
def _before_query(state: ORMExecuteState) -> None:
    _settle(state.session)  # a query in the same transaction sees every entry


@dataclass
class ChainReport:
    """The outcome of checking the chain: ``ok`` and, if not, where it breaks."""

    entries: int
    head: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session) -> ChainReport:
    """Recompute every hash in sequence order and compare it with the stored chain."""
    problems: list[str] = []
    prev = GENESIS
    expected_seq = 1
    count = 0
    for entry in session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq)):
        count += 1
        if entry.seq != expected_seq:
            problems.append(f"entries {expected_seq}..{entry.seq - 1} are missing (removed)")
        if entry.prev_hash != prev:
            problems.append(f"entry {entry.seq}: does not follow the entry before it (one was removed or edited)")
        if chain_hash(entry.prev_hash, entry) != entry.entry_hash:
            problems.append(f"entry {entry.seq}: its content does not match its hash (edited)")
        prev = entry.entry_hash
        expected_seq = entry.seq + 1
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != expected_seq - 1 or head.entry_hash != prev):
        problems.append(
            f"the newest entry should be {head.seq} with hash {head.entry_hash[:12]}…; "
            f"the log ends at {expected_seq - 1} (newest entries removed)"
        )
    if head is None and count:
        problems.append("the chain head is missing")
    return ChainReport(entries=count, head=prev, problems=problems)


def history(session: Session, request_id: str) -> list[AuditEntry]:
    """Every entry about one request, oldest first."""
    query = sa.select(AuditEntry).where(AuditEntry.request_id == request_id).order_by(AuditEntry.seq)
    return list(session.scalars(query))
