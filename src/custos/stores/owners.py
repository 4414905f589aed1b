"""The people a set of collections belongs to, counted and read by the store itself.

Each part names a collection and the chain of references up to the person's own row
(``Link``s, as retention uses them). The person's keys are the values the last link points
at (or the collection's own key where it is the person's row); the union over the parts is
counted, or read a batch at a time with one field of the person's row (their email), in key
order. No row of a part is read into Python to do it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from custos.stores.due import Link


@dataclass(frozen=True)
class Part:
    """One affected collection and the way up to the person's row."""

    collection: str
    path: tuple[Link, ...] = ()
    #: where ``path`` is empty, the collection is the person's row and this is its key
    key: str | None = None


@runtime_checkable
class OwnerStore(Protocol):
    def owner_count(self, parts: Sequence[Part]) -> int:
        """How many distinct people the parts' rows belong to."""
        ...

    def owner_values(self, person: str, key: str, field: str, parts: Sequence[Part], after: Any,
                     limit: int) -> list[tuple[Any, Any]]:
        """``(key, field)`` of up to ``limit`` of those people, after ``after`` in key order."""
        ...

    def row_count(self, collection: str) -> int:
        """How many rows the collection holds."""
        ...
