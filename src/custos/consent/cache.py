"""The current consent state per subject, kept in memory for ``GET /v1/consent``.

An entry holds a subject's group (the subjects linked to the same person) and the state
derived from their events. Any recorded choice drops every entry whose group contains its
subject; a new link drops everything. A reader stores what it read only if nothing was
dropped meanwhile (a generation counter), so a state read before a commit never
outlives it. Entries also expire after ``CUSTOS_CONSENT_STATE_CACHE_SECONDS``, which
bounds how long a choice written by another process can go unseen (0 turns the cache off).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from custos.consent.records import PurposeState

_MAX_ENTRIES = 100_000


class StateCache:
    """Subject → (group, state), invalidated by writes, bounded in size and age."""

    def __init__(self, ttl: float, max_entries: int = _MAX_ENTRIES) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[float, tuple[str, ...], dict[str, PurposeState]]] = OrderedDict()
        self._members: dict[str, set[str]] = {}  # subject → cached keys whose group holds it
        self.generation = 0

    def get(self, subject: str) -> dict[str, PurposeState] | None:
        if self.ttl <= 0:
            return None
        with self._lock:
            found = self._entries.get(subject)
            if found is None:
                return None
            if time.monotonic() - found[0] > self.ttl:
                self._drop(subject)
                return None
            return found[2]

    def put(self, subject: str, group: Iterable[str], state: Mapping[str, PurposeState], generation: int) -> bool:
        """Store what was read at ``generation``; refused when a write came in between."""
        if self.ttl <= 0:
            return False
        with self._lock:
            if generation != self.generation:
                return False
            self._store(subject, tuple(group), dict(state))
            return True

    def replace(self, written: Iterable[str], fresh: Mapping[str, tuple[Iterable[str], Mapping[str, PurposeState]]],
                generation: int) -> None:
        """After a commit: drop what ``written`` touched, then store ``fresh`` if no other write came between."""
        with self._lock:
            unchanged = generation == self.generation
            self._invalidate(written)
            if unchanged and self.ttl > 0:
                for subject, (group, state) in fresh.items():
                    self._store(subject, tuple(group), dict(state))

    def invalidate(self, subjects: Iterable[str]) -> None:
        with self._lock:
            self._invalidate(subjects)

    def clear(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()
            self._members.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _invalidate(self, subjects: Iterable[str]) -> None:
        self.generation += 1
        for subject in subjects:
            for key in list(self._members.get(subject, ())):
                self._drop(key)
            self._drop(subject)

    def _store(self, subject: str, group: tuple[str, ...], state: dict[str, PurposeState]) -> None:
        self._drop(subject)
        self._entries[subject] = (time.monotonic(), group, state)
        for member in {subject, *group}:
            self._members.setdefault(member, set()).add(subject)
        while len(self._entries) > self.max_entries:
            self._drop(next(iter(self._entries)))

    def _drop(self, subject: str) -> None:
        found = self._entries.pop(subject, None)
        if found is None:
            return
        for member in {subject, *found[1]}:
            keys = self._members.get(member)
            if keys is not None:
                keys.discard(subject)
                if not keys:
                    del self._members[member]
