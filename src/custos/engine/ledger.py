"""The erasure ledger: what every completed erasure and retention deletion did, without the data.

A backup restored after people were erased brings them back. The ledger keeps, for every
row an erasure or a retention sweep changed, a keyed HMAC of the row's key (or, in a
collection without a key, of the value that selected the rows, in the form its match rule
compares) with what was done to it: deleted, or which fields were masked by which
strategy. Nothing in it can be read back into a person's data; with the service's key it
recognises the same rows in a restored copy. ``replay`` reads the key columns of the
ledger's collections in batches, recognises the rows, and applies the same changes with the
same machinery, so the end state equals the state before the restore (a random mask
draws a new random value). It is written beside the erasure journal, after each
transaction commits.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from custos.engine.journal import Journal, encode
from custos.engine.work import CollectionWork, FieldMask
from custos.stores.due import Due, Fresh, Link, Route

_SCHEMA = """
CREATE TABLE IF NOT EXISTS erasure_ledger (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    run_key TEXT NOT NULL,
    collection TEXT NOT NULL,
    selector TEXT NOT NULL,
    action TEXT NOT NULL,
    masks TEXT NOT NULL,
    digests BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS erasure_ledger_at ON erasure_ledger (at);
"""


Mask = tuple[str, str, tuple[str, ...] | None]  # (field, strategy, hex HMACs of the values it replaced where limited)
#: bytes of each keyed HMAC kept (128 bits: no two rows of a store share one)
DIGEST_BYTES = 16


@dataclass(frozen=True)
class Entry:
    """What one transaction did to one collection."""

    kind: str  # erasure | retention
    collection: str  # qualified
    selector: str  # "key:<columns>", "value:<field>:<rule>" or "due:<condition>"
    action: str  # delete | mask
    masks: tuple[Mask, ...]
    digests: frozenset[bytes]


@dataclass
class ReplayReport:
    since: str
    entries: int = 0
    collections: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"since": self.since, "entries": self.entries, "collections": self.collections}


class Ledger:
    """The ledger in the journal's database, keyed with the engine's secret. One row per
    collection per transaction, its rows' HMACs in one blob."""

    def __init__(self, journal: Journal, secret: bytes) -> None:
        self.journal = journal
        self._key = hmac.new(secret, b"custos-ledger", hashlib.sha256).digest()
        with journal._db() as db:
            db.executescript(_SCHEMA)

    def digest(self, value: Any) -> bytes:
        """Keyed HMAC of a key (a tuple) or a value; integers and text take a short path."""
        if isinstance(value, tuple) and len(value) == 1 and type(value[0]) is int:
            return hmac.digest(self._key, b"i%d" % value[0], "sha256")[:DIGEST_BYTES]  # the common key
        parts = value if isinstance(value, tuple) else (value,)
        if all(type(v) in (int, str) for v in parts):
            material = "\x1f".join(f"i{v}" if type(v) is int else f"s{v}" for v in parts)
            if not isinstance(value, tuple):
                material = "v" + material
        else:
            material = json.dumps(encode(value), sort_keys=True)
        return hmac.digest(self._key, material.encode(), "sha256")[:DIGEST_BYTES]

    def _masks(self, work: CollectionWork) -> str:
        return json.dumps([[m.field, str(m.strategy),
                            None if m.only_where_in is None else sorted(self.digest(v).hex() for v in m.only_where_in)]
                           for m in work.masks])

    def record(self, kind: str, run_key: str, works: list[CollectionWork], at: datetime | None = None) -> int:
        """Write what ``works`` did (call once their transaction committed); the number of rows."""
        moment = (at or datetime.now(UTC)).isoformat()
        rows: list[tuple[str, str, str, str, str, str, str, bytes]] = []
        count = 0
        for work in works:
            action = "delete" if work.delete else "mask"
            if action == "mask" and not work.masks:
                continue
            masks = self._masks(work)
            selector = work.selector
            if selector.key_columns:
                label = "key:" + ",".join(selector.key_columns)
                digests = [self.digest(tuple(k)) for k in selector.keys]
                rows.append((moment, kind, run_key, work.collection, label, action, masks, b"".join(digests)))
                count += len(digests)
                continue
            for name, values in selector.any_of.items():
                rule = selector.match.get(name)
                label = f"value:{name}:{rule.name if rule is not None else ''}"
                digests = [self.digest(v) for v in values]
                rows.append((moment, kind, run_key, work.collection, label, action, masks, b"".join(digests)))
                count += len(digests)
        with self.journal._db() as db:
            db.executemany("INSERT INTO erasure_ledger (at, kind, run_key, collection, selector, action, masks, "
                           "digests) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        return count

    def record_due(self, run_key: str, collection: str, due: Due, action: str, masks: list[FieldMask],
                   at: datetime | None = None) -> None:
        """A retention change in a collection without a key: its condition, to repeat as it was."""
        moment = (at or datetime.now(UTC)).isoformat()
        condition = json.dumps(_due_json(due), sort_keys=True)
        masks_json = json.dumps([[m.field, str(m.strategy), None] for m in masks])
        with self.journal._db() as db:
            db.execute("INSERT INTO erasure_ledger (at, kind, run_key, collection, selector, action, masks, digests) "
                       "VALUES (?, 'retention', ?, ?, ?, ?, ?, x'')",
                       (moment, run_key, collection, "due:" + condition, action, masks_json))

    def since(self, moment: datetime) -> list[Entry]:
        with self.journal._db() as db:
            rows = db.execute(
                "SELECT kind, collection, selector, action, masks, digests FROM erasure_ledger WHERE at >= ? "
                "ORDER BY seq", (moment.astimezone(UTC).isoformat(),)).fetchall()
        return [Entry(kind, collection, selector, action,
                      tuple((f, s, None if w is None else tuple(w)) for f, s, w in json.loads(masks)),
                      frozenset(bytes(blob[i:i + DIGEST_BYTES]) for i in range(0, len(blob), DIGEST_BYTES)))
                for kind, collection, selector, action, masks, blob in rows]


def _fresh_json(fresh: tuple[Fresh, ...]) -> list[dict[str, Any]]:
    return [{**vars(f), "activity": list(f.activity)} for f in fresh]


def _due_json(due: Due) -> dict[str, Any]:
    return {"anchors": list(due.anchors), "cutoff": due.cutoff.isoformat(), "zone": due.zone,
            "routes": [{"path": [vars(link) for link in r.path], "anchors": list(r.anchors),
                        "fresh": _fresh_json(r.fresh)} for r in due.routes],
            "fresh": _fresh_json(due.fresh), "holding": [list(h) for h in due.holding]}


def _fresh_of(data: list[dict[str, Any]]) -> tuple[Fresh, ...]:
    return tuple(Fresh(f["table"], f["field"], f["key"], tuple(f["activity"])) for f in data)


def due_of(selector: str) -> Due:
    """The condition a ``due:`` entry recorded."""
    data = json.loads(selector.removeprefix("due:"))
    routes = tuple(Route(tuple(Link(**link) for link in r["path"]), tuple(r["anchors"]), _fresh_of(r["fresh"]))
                   for r in data["routes"])
    return Due(tuple(data["anchors"]), datetime.fromisoformat(data["cutoff"]), routes, _fresh_of(data["fresh"]),
               tuple((a, b) for a, b in data["holding"]), data["zone"])


@dataclass
class ReplayGroup:
    """The ledger's entries for one collection, one way of selecting rows and one action."""

    collection: str
    selector: str
    action: str
    masks: tuple[Mask, ...]
    digests: set[bytes] = field(default_factory=set)


def replay_groups(entries: list[Entry]) -> list[ReplayGroup]:
    """Entries grouped so that each group is one pass over its collection; a row deleted by a
    later entry is deleted once, after its masks (deleting wins)."""
    found: dict[tuple[str, str, str, tuple[Mask, ...]], ReplayGroup] = {}
    for entry in entries:
        key = (entry.collection, entry.selector, entry.action, entry.masks)
        found.setdefault(key, ReplayGroup(entry.collection, entry.selector, entry.action, entry.masks)
                         ).digests.update(entry.digests)
    return sorted(found.values(), key=lambda g: (g.action == "delete", g.collection))
