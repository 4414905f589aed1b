"""The append-only audit log: every state change and row count, each entry hash-chained.

``entry_hash = sha256(prev_hash + canonical JSON of the entry)``, the first entry chained
to 64 zeros. Sequence numbers run without gaps and ``audit_head`` keeps the newest, so
``verify`` finds an edited entry (its hash no longer matches), a removed one (a gap, or a
successor whose ``prev_hash`` points at nothing) and removed newest entries (the head
names a later entry). No code path updates or deletes an entry.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from custos.controlplane import AuditEntry, AuditHead, now

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


_KEY = "custos.audit.key"
_CHECKPOINT = "custos.audit.checkpoint"
#: the checkpoint file is rewritten at most this often (seconds); ``checkpoint`` forces it
CHECKPOINT_EVERY = 1.0
_last_checkpoint: dict[str, float] = {}


def head_mac(key: bytes | None, seq: int, entry_hash: str, purpose: str = "head") -> str | None:
    """HMAC-SHA-256 over the chain's newest sequence number and hash, under the service's key."""
    if not key:
        return None
    return hmac.new(key, f"custos-audit-{purpose}|{seq}|{entry_hash}".encode(), hashlib.sha256).hexdigest()


def _checkpoint_after_commit(session: Session, seq: int, entry_hash: str) -> None:
    path, key = session.info.get(_CHECKPOINT), session.info.get(_KEY)
    if not path or not key:
        return
    session.info.setdefault("after_commit", []).append(lambda: write_checkpoint(path, key, seq, entry_hash))


def write_checkpoint(path: str, key: bytes, seq: int, entry_hash: str, *, force: bool = False) -> None:
    """Write the signed head to a file outside the database (atomically; at most once a second
    unless ``force``), so cutting the log's tail and rewriting the head still shows."""
    now = time.monotonic()
    if not force and now - _last_checkpoint.get(path, -CHECKPOINT_EVERY) < CHECKPOINT_EVERY:
        return
    try:
        current = json.loads(Path(path).read_text(encoding="utf-8"))
        if int(current.get("seq", 0)) >= seq:
            return  # another process wrote a newer one
    except (OSError, ValueError):
        pass
    record = {"seq": seq, "entry_hash": entry_hash, "mac": head_mac(key, seq, entry_hash, "checkpoint"),
              "written_at": datetime.now().astimezone().isoformat(timespec="seconds")}
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(target.suffix + f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(record), encoding="utf-8")
    os.replace(temporary, target)
    _last_checkpoint[path] = now


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
            mac = head_mac(session.info.get(_KEY), chain.seq, chain.entry_hash)
            if head is None:
                session.add(AuditHead(id=1, seq=chain.seq, entry_hash=chain.entry_hash, mac=mac))
            else:
                head.seq, head.entry_hash, head.mac = chain.seq, chain.entry_hash, mac
            chain.stored = chain.seq
            _checkpoint_after_commit(session, chain.seq, chain.entry_hash)
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
    """Recompute every hash in sequence order and compare it with the stored chain, the head's
    MAC and the checkpoint outside the database (when the session's plane has a key)."""
    key = session.info.get(_KEY)
    anchor, problems = _read_checkpoint(session.info.get(_CHECKPOINT), key)
    at_anchor: str | None = None  # the hash the log holds at the checkpoint's entry
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
        if anchor is not None and entry.seq == anchor[0]:
            at_anchor = entry.entry_hash
        prev = entry.entry_hash
        expected_seq = entry.seq + 1
    head = session.get(AuditHead, 1)
    # a head without a MAC predates signed heads; the checkpoint below still catches a cut tail
    if key and head is not None and head.mac is not None and head.mac != head_mac(key, head.seq, head.entry_hash):
        problems.append("the chain head's MAC does not match: the head row was rewritten outside Custos")
    if anchor is not None:
        seq, entry_hash, written_at = anchor
        if seq > expected_seq - 1:
            problems.append(f"the checkpoint written {written_at} names entry {seq}, but the log ends at "
                            f"{expected_seq - 1}: entries {expected_seq}..{seq} were cut off")
        elif at_anchor != entry_hash:
            problems.append(f"entry {seq} differs from the checkpoint's (the log was rewritten)")
    if head is not None and (head.seq != expected_seq - 1 or head.entry_hash != prev):
        problems.append(
            f"the newest entry should be {head.seq} with hash {head.entry_hash[:12]}…; "
            f"the log ends at {expected_seq - 1} (newest entries removed)"
        )
    if head is None and count:
        problems.append("the chain head is missing")
    return ChainReport(entries=count, head=prev, problems=problems)


def _read_checkpoint(path: str | None, key: bytes | None) -> tuple[tuple[int, str, Any] | None, list[str]]:
    """The checkpoint's (seq, hash, written at) when it is there and its MAC holds, else the problem."""
    if not path or not key:
        return None, []
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
        seq, entry_hash = int(record["seq"]), str(record["entry_hash"])
    except FileNotFoundError:
        return None, []  # no entry has been written since checkpoints began
    except (OSError, ValueError, KeyError, TypeError):
        return None, [f"the checkpoint {path} cannot be read"]
    if record.get("mac") != head_mac(key, seq, entry_hash, "checkpoint"):
        return None, [f"the checkpoint {path} does not carry a valid MAC (altered)"]
    return (seq, entry_hash, record.get("written_at")), []


def checkpoint(session: Session) -> int:
    """Write the checkpoint now, however recently it was written; returns the sequence number."""
    head = session.get(AuditHead, 1)
    path, key = session.info.get(_CHECKPOINT), session.info.get(_KEY)
    if head is None or not path or not key:
        return 0
    write_checkpoint(path, key, head.seq, head.entry_hash, force=True)
    return head.seq


def history(session: Session, request_id: str) -> list[AuditEntry]:
    """Every entry about one request, oldest first."""
    query = sa.select(AuditEntry).where(AuditEntry.request_id == request_id).order_by(AuditEntry.seq)
    return list(session.scalars(query))
