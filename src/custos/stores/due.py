"""Rows whose retention period is over, as a condition a store evaluates itself.

Retention never reads a table into Python to decide what is due. It hands the store a
``Due``: the date/time fields that start the clock (on the collection itself, or on the
row it belongs to up a chain of references), the cut-off instant, and the rows elsewhere
that keep a person active. The store turns it into one ``WHERE`` (nested ``IN`` subqueries
for the chain, ``NOT EXISTS`` for recent activity) and answers with counts, the oldest
anchor, or the due rows' keys in batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from custos.stores.base import Assignment


@dataclass(frozen=True)
class Link:
    """One step up a chain of references: ``field`` of the current table holds ``parent.parent_field``."""

    field: str
    parent: str
    parent_field: str


@dataclass(frozen=True)
class Fresh:
    """Rows of ``table`` that keep the anchor row alive: ``table.field`` holds the anchor row's
    ``key``, and one of their ``activity`` fields is on or after the cut-off."""

    table: str
    field: str
    key: str
    activity: tuple[str, ...]


@dataclass(frozen=True)
class Route:
    """Up a chain of references to a row the collection's rows belong to (the person's own
    row), with the date/time fields of that row and the rows that keep it active."""

    path: tuple[Link, ...]
    anchors: tuple[str, ...]
    fresh: tuple[Fresh, ...] = ()


@dataclass(frozen=True)
class Due:
    """The rows of one collection whose clock ran out.

    ``anchors`` are date/time fields of the collection itself: every non-empty one is
    before ``cutoff``, and at least one is set. Each of ``routes`` leads to a row the
    collection's row belongs to, whose anchors must be before the cut-off too, with no
    ``fresh`` row newer: a row shared by two people (a task with a creator and an assignee)
    is due only once both are. A row whose reference is empty counts on the others, and on
    its own anchors. Without routes, ``fresh`` rows newer than the cut-off keep the
    collection's own rows alive. A row with no date to go by is *undated*: counted, never due.
    ``holding`` limits the rows to those where some field still holds a value to remove:
    ``(field, "set")`` for a field that must become empty, ``(field, "<text>")`` for a
    field that must become that text.
    """

    anchors: tuple[str, ...]
    cutoff: datetime
    routes: tuple[Route, ...] = ()
    fresh: tuple[Fresh, ...] = ()
    holding: tuple[tuple[str, str], ...] = ()
    #: how to read date/time columns without a time zone (an IANA name; the system's option)
    zone: str = "UTC"


@dataclass(frozen=True)
class DueSummary:
    due: int
    oldest: Any  # the oldest anchor among the due rows (a date or datetime), None when none
    undated: int  # rows with no date to go by


@runtime_checkable
class DueStore(Protocol):
    """A store that can evaluate retention conditions (the SQL store does)."""

    def due_summary(self, collection: str, due: Due) -> DueSummary: ...

    def due_keys(self, collection: str, key_columns: Sequence[str], due: Due | None,
                 after: tuple[Any, ...] | None, limit: int) -> list[tuple[Any, ...]]:
        """The keys of up to ``limit`` due rows after ``after``, in key order."""
        ...

    def scan_keys(self, collection: str, key_columns: Sequence[str], after: tuple[Any, ...] | None,
                  limit: int) -> list[tuple[Any, ...]]:
        """Every key, a batch at a time (replaying the erasure ledger)."""
        ...

    def scan_values(self, collection: str, field: str, after: Any, limit: int) -> list[Any]:
        """Every distinct value of one column, a batch at a time."""
        ...

    def delete_due(self, collection: str, due: Due, key_range: tuple[str, Any, Any] | None = None,
                   skip: Sequence[Any] = ()) -> int:
        """Delete the due rows, in one statement: all of them, or those whose key is within
        ``key_range`` (``(column, low, high)``) and not in ``skip``."""
        ...

    def update_due(self, collection: str, due: Due, assignments: Sequence[Assignment],
                   key_range: tuple[str, Any, Any] | None = None, skip: Sequence[Any] = ()) -> int:
        """Apply constant assignments to the due rows, in one statement, as ``delete_due`` selects them."""
        ...
