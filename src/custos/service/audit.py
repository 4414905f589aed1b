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
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.store import AuditEntry, AuditHead, now

GENESIS = "0" * 64


def canonical(entry: AuditEntry) -> str:
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


def chain_hash(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256((prev_hash + canonical(entry)).encode()).hexdigest()


def append(
    session: Session,
    action: str,
    *,
    actor: str,
    request_id: str | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Add an entry in ``session``'s transaction (call inside ``ControlPlane.write``)."""
    head = session.get(AuditHead, 1)
    seq, prev = (head.seq, head.entry_hash) if head else (0, GENESIS)
    entry = AuditEntry(
        seq=seq + 1,
        at=at or now(),
        actor=actor,
        action=action,
        request_id=request_id,
        detail=json.loads(json.dumps(detail or {}, default=str)),
        prev_hash=prev,
    )
    entry.entry_hash = chain_hash(prev, entry)
    session.add(entry)
    if head is None:
        session.add(AuditHead(id=1, seq=entry.seq, entry_hash=entry.entry_hash))
    else:
        head.seq, head.entry_hash = entry.seq, entry.entry_hash
    session.flush()
    return entry


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
