"""The erasure journal: what a run found and how far it got, so a killed run can resume.

An erasure first records every row it found (before changing anything), then, per
system, the values it is about to write, then that the system's transaction committed.
Run again after a crash, it reuses what was found (data already masked in one system can
no longer lead to rows in another) and skips what committed. The journal holds keys and
masked values only, never the original personal data.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_key TEXT PRIMARY KEY,
    map_digest TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    work TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS steps (
    run_key TEXT NOT NULL,
    system TEXT NOT NULL,
    state TEXT NOT NULL,
    targets TEXT NOT NULL DEFAULT '{}',
    outcome TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL,
    PRIMARY KEY (run_key, system)
);
CREATE TABLE IF NOT EXISTS masked (
    field TEXT NOT NULL,
    digest TEXT NOT NULL,
    PRIMARY KEY (field, digest)
);
CREATE TABLE IF NOT EXISTS row_masks (
    field TEXT NOT NULL,
    row_key TEXT NOT NULL,
    digest TEXT NOT NULL,
    PRIMARY KEY (field, row_key)
);
"""

#: (field, digest of the row's key, digest of the value written into it)
RowMark = tuple[str, str, str]


def digest(value: Any) -> str:
    """A fingerprint of a written value: lets any later run recognise it as already masked."""
    return hashlib.sha256(json.dumps(encode(value), sort_keys=True).encode()).hexdigest()


def encode(value: Any) -> Any:
    """JSON with the types keys and masked values come in."""
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$d": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"$dec": str(value)}
    if isinstance(value, uuid.UUID):
        return {"$uuid": str(value)}
    if isinstance(value, bytes):
        return {"$b": base64.b64encode(value).decode()}
    if isinstance(value, tuple | list | set | frozenset):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {"$map": [[encode(k), encode(v)] for k, v in value.items()]}
    return value


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(decode(v) for v in value)
    if isinstance(value, dict):
        if "$dt" in value:
            return dt.datetime.fromisoformat(value["$dt"])
        if "$d" in value:
            return dt.date.fromisoformat(value["$d"])
        if "$dec" in value:
            return decimal.Decimal(value["$dec"])
        if "$uuid" in value:
            return uuid.UUID(value["$uuid"])
        if "$b" in value:
            return base64.b64decode(value["$b"])
        if "$map" in value:
            return {decode(k): decode(v) for k, v in value["$map"]}
    return value


@dataclass
class Step:
    system: str
    state: str  # pending | writing | done | failed
    targets: dict[str, set[Any]]
    outcome: dict[str, Any]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


class Journal:
    """A small SQLite file beside the control plane; one row per run and per system step."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._connection = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        # WAL: a committed write survives the process being killed the moment commit
        # returns, without waiting for the disk on every commit
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute("PRAGMA synchronous=NORMAL")
        with self._db() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """One transaction on the journal's connection, committed when the block ends."""
        with self._lock, self._connection as db:
            yield db

    def close(self) -> None:
        self._connection.close()

    def unfinished(self, run_key: str) -> tuple[str, Any] | None:
        """``(map_digest, work)`` of a run that started and did not finish."""
        with self._db() as db:
            row = db.execute(
                "SELECT map_digest, work FROM runs WHERE run_key = ? AND state != 'completed'", (run_key,)
            ).fetchone()
        return (row[0], decode(json.loads(row[1]))) if row else None

    def start(self, run_key: str, map_digest: str, work: Any, systems: list[str]) -> None:
        """Record what was found, before anything is changed."""
        now = _now()
        with self._db() as db:
            db.execute("DELETE FROM steps WHERE run_key = ?", (run_key,))
            db.execute(
                "INSERT OR REPLACE INTO runs (run_key, map_digest, state, created_at, updated_at, work) "
                "VALUES (?, ?, 'running', ?, ?, ?)",
                (run_key, map_digest, now, now, json.dumps(encode(work))),
            )
            db.executemany(
                "INSERT INTO steps (run_key, system, state, updated_at) VALUES (?, ?, 'pending', ?)",
                [(run_key, system, now) for system in systems],
            )

    def step(self, run_key: str, system: str) -> Step:
        with self._db() as db:
            row = db.execute(
                "SELECT state, targets, outcome FROM steps WHERE run_key = ? AND system = ?",
                (run_key, system),
            ).fetchone()
        if row is None:
            return Step(system, "pending", {}, {})
        targets = {k: set(decode(v)) for k, v in json.loads(row[1]).items()}
        return Step(system, row[0], targets, decode(json.loads(row[2])))

    def writing(
        self, run_key: str, system: str, targets: dict[str, set[Any]], rows: list[RowMark] | None = None
    ) -> None:
        """The values about to be written, and which row gets which; recorded before the
        transaction commits."""
        with self._db() as db:
            db.executemany(
                "INSERT OR IGNORE INTO masked (field, digest) VALUES (?, ?)",
                [(name, digest(value)) for name, values in targets.items() for value in values],
            )
            db.executemany("INSERT OR REPLACE INTO row_masks (field, row_key, digest) VALUES (?, ?, ?)", rows or [])
            db.execute(
                "UPDATE steps SET state = 'writing', targets = ?, updated_at = ? WHERE run_key = ? AND system = ?",
                (json.dumps({k: encode(sorted(v, key=repr)) for k, v in targets.items()}), _now(), run_key, system),
            )

    def _lookup(self, query: str, field: str, digests: list[str]) -> list[tuple[str, ...]]:
        """Rows of ``query`` (``... WHERE field = ? AND x IN ({marks})``) for digests in batches."""
        rows: list[tuple[str, ...]] = []
        with self._db() as db:
            for start in range(0, len(digests), 500):
                batch = digests[start : start + 500]
                marks = ",".join("?" * len(batch))
                rows += db.execute(query.format(marks=marks), (field, *batch)).fetchall()
        return rows

    def masked_among(self, field: str, values: set[Any]) -> set[Any]:
        """Those of ``values`` that some erasure already wrote into ``field``."""
        by_digest = {digest(v): v for v in values}
        rows = self._lookup("SELECT digest FROM masked WHERE field = ? AND digest IN ({marks})", field, list(by_digest))
        return {by_digest[row[0]] for row in rows}

    def written_into(self, field: str, keys: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], str]:
        """For rows (by key) that an erasure masked: the digest of the value it wrote into ``field``."""
        by_digest = {digest(key): key for key in keys}
        rows = self._lookup("SELECT row_key, digest FROM row_masks WHERE field = ? AND row_key IN ({marks})",
                            field, list(by_digest))
        return {by_digest[row[0]]: row[1] for row in rows}

    def finished(self, run_key: str, system: str, state: str, outcome: dict[str, Any]) -> None:
        with self._db() as db:
            db.execute(
                "UPDATE steps SET state = ?, outcome = ?, updated_at = ? WHERE run_key = ? AND system = ?",
                (state, json.dumps(encode(outcome)), _now(), run_key, system),
            )

    def complete(self, run_key: str) -> None:
        with self._db() as db:
            db.execute(
                "UPDATE runs SET state = 'completed', updated_at = ? WHERE run_key = ?", (_now(), run_key)
            )
