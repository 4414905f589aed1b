"""The reference store: collections held in memory, with the exact semantics of the protocol.

It is the smallest complete implementation of ``custos.stores.Store``: the conformance
suite (``custos.stores.testing``) is written against what it does, a new adapter compares
itself with it, and tests of the engine can run without a database. Data lives per URL
(``memory://shop``) for the life of the process, so two opens of one URL see one store, as
two connections see one database. A transaction works on a copy and replaces the
collections only when it commits.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from custos.errors import StoreError
from custos.stores.base import (
    TEXT_LIMIT,
    Assignment,
    ColumnInfo,
    ColumnKind,
    ForeignKey,
    Sample,
    Selector,
)
from custos.stores.values import coerce

SCHEME = "memory"


@dataclass
class Collection:
    """One collection: its columns, its key (empty for a table without one) and its rows."""

    columns: dict[str, ColumnKind]
    key: tuple[str, ...] = ()
    rows: list[dict[str, Any]] = field(default_factory=list)

    def describe(self) -> dict[str, ColumnInfo]:
        return {name: ColumnInfo(name=name, kind=kind, type_name=kind.value, nullable=name not in self.key,
                                 primary_key=name in self.key, unique=self.key == (name,))
                for name, kind in self.columns.items()}


_databases: dict[str, dict[str, Collection]] = {}
_lock = threading.RLock()


def load(url: str, collections: Mapping[str, Collection]) -> None:
    """Create (or replace) the collections of the store at ``url``."""
    with _lock:
        _databases.setdefault(_name(url), {}).update({k: copy.deepcopy(v) for k, v in collections.items()})


def drop(url: str) -> None:
    """Forget everything held at ``url``."""
    with _lock:
        _databases.pop(_name(url), None)


def rows_of(url: str, collection: str) -> list[dict[str, Any]]:
    """A copy of the rows of ``collection`` as they stand (for tests and examples)."""
    with _lock:
        return copy.deepcopy(_databases.get(_name(url), {}).get(collection, Collection({})).rows)


def _name(url: str) -> str:
    scheme, _, rest = url.partition("://")
    if scheme.split("+", 1)[0].lower() != SCHEME or not rest:
        raise StoreError(f"a memory store URL looks like 'memory://NAME', not {url!r}", system=url)
    return rest


class MemoryStore:
    """A ``Store`` over the collections held at a ``memory://NAME`` URL."""

    def __init__(self, system: str, url: str) -> None:
        self.system = system
        self.name = _name(url)
        with _lock:
            _databases.setdefault(self.name, {})

    @property
    def _collections(self) -> dict[str, Collection]:
        return _databases[self.name]

    def _collection(self, collections: Mapping[str, Collection], name: str) -> Collection:
        found = collections.get(name)
        if found is None:
            raise StoreError(f"collection {name!r} does not exist", system=self.system)
        return found

    def describe(self, collections: Sequence[str]) -> dict[str, dict[str, ColumnInfo] | None]:
        with _lock:
            held = self._collections
            return {name: held[name].describe() if name in held else None for name in collections}

    def fetch(self, collection: str, selector: Selector, fields: Sequence[str]) -> list[dict[str, Any]]:
        with _lock:
            return _Transaction(self, self._collections).fetch(collection, selector, fields)

    @contextmanager
    def reading(self) -> Iterator[None]:
        yield

    @contextmanager
    def transaction(self) -> Iterator[_Transaction]:
        with _lock:
            working = copy.deepcopy(self._collections)
            yield _Transaction(self, working)
            _databases[self.name] = working  # only a block that did not raise gets here

    # -- scanning ---------------------------------------------------------------------
    def tables(self) -> list[str]:
        with _lock:
            return sorted(self._collections)

    def foreign_keys(self, collection: str) -> list[ForeignKey]:
        return []  # a memory store declares no references

    def sample_rows(self, collection: str, columns: Sequence[str], limit: int) -> Sample:
        """The first ``limit`` rows (a memory store is small), cut as a database cuts them."""
        with _lock:
            held = self._collection(self._collections, collection)
            rows = [tuple(_cut(row.get(c)) for c in columns) for row in held.rows[:limit]]
            total = len(held.rows)
        return Sample(tuple(columns), rows, total, "all rows" if total <= limit else "first rows")

    def close(self) -> None:
        """Nothing to release: the data stays with the URL."""


class _Transaction:
    def __init__(self, store: MemoryStore, collections: dict[str, Collection]) -> None:
        self.store = store
        self.collections = collections

    def _selected(self, name: str, selector: Selector) -> tuple[Collection, list[int]]:
        collection = self.store._collection(self.collections, name)
        unknown = [c for c in (*selector.key_columns, *selector.any_of) if c not in collection.columns]
        if unknown:
            raise StoreError(f"collection {name!r} has no field {unknown[0]!r}", system=self.store.system)
        if selector.empty:
            return collection, []
        kinds = collection.columns
        if selector.key_columns:
            wanted = {tuple(coerce(kinds[c], v) for c, v in zip(selector.key_columns, key, strict=True))
                      for key in selector.keys}
            return collection, [i for i, row in enumerate(collection.rows)
                                if tuple(row.get(c) for c in selector.key_columns) in wanted]
        converted = Selector(any_of={name: frozenset(coerce(kinds[name], v) for v in values) - {None}
                                     if name not in selector.match else values
                                     for name, values in selector.any_of.items()}, match=selector.match)
        return collection, [i for i, row in enumerate(collection.rows) if converted.selects(row)]

    def fetch(self, collection: str, selector: Selector, fields: Sequence[str]) -> list[dict[str, Any]]:
        held, indexes = self._selected(collection, selector)
        missing = [f for f in fields if f not in held.columns]
        if missing:
            raise StoreError(f"collection {collection!r} has no field {missing[0]!r}", system=self.store.system)
        return [{f: copy.deepcopy(held.rows[i].get(f)) for f in fields} for i in indexes]

    def update(self, collection: str, selector: Selector, assignments: Sequence[Assignment]) -> int:
        held, indexes = self._selected(collection, selector)
        changed = 0
        for i in indexes:
            row = held.rows[i]
            before = dict(row)
            for assignment in assignments:
                _apply(row, assignment)
            changed += row != before
        return changed

    def delete(self, collection: str, selector: Selector) -> int:
        held, indexes = self._selected(collection, selector)
        doomed = set(indexes)
        held.rows[:] = [row for i, row in enumerate(held.rows) if i not in doomed]
        return len(doomed)


def _apply(row: dict[str, Any], assignment: Assignment) -> None:
    current = row.get(assignment.field)
    if assignment.only_where_in is not None and current not in assignment.only_where_in:
        return
    if assignment.set_constant:
        if current is None and assignment.constant is not None and not assignment.fill_empty:
            return  # a constant never fills an empty value (a correction's may)
        row[assignment.field] = assignment.constant
    elif assignment.mapping is not None and current in assignment.mapping:
        row[assignment.field] = assignment.mapping[current]


def _cut(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return len(value)
    if isinstance(value, str) and len(value) > TEXT_LIMIT:
        return value[:TEXT_LIMIT]
    return value
