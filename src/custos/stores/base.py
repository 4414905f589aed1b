"""What the engine asks of a data store, in set-based terms.

The engine never builds SQL. It asks a store to fetch the rows of a collection whose
fields hold any of a set of values, to apply assignments to a selected set of rows, and
to delete a selected set of rows. A store adapter turns these into its own statements,
batching keys as its backend allows. A MongoDB or HTTP adapter implements the same
protocol without any change to the engine.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from custos.matching import MatchRule


class ColumnKind(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    FLOAT = "float"
    DATE = "date"
    DATETIME = "datetime"
    TIME = "time"
    BOOLEAN = "boolean"
    BINARY = "binary"
    JSON = "json"
    UUID = "uuid"
    OTHER = "other"


@dataclass(frozen=True)
class ColumnInfo:
    """A live column as the store describes it."""

    name: str
    kind: ColumnKind
    type_name: str
    nullable: bool = True
    length: int | None = None
    primary_key: bool = False
    unique: bool = False
    collation: str | None = None  # MySQL/MariaDB text columns: how the database compares them


@dataclass(frozen=True)
class LookupPlan:
    """How a store answers an identity lookup: through an index, or by reading the table."""

    collection: str
    field: str
    rule: str
    uses_index: bool
    advice: str | None = None  # the index to create, or why none can help


@dataclass(frozen=True)
class Selector:
    """Which rows a statement touches.

    ``key_columns`` with ``keys`` selects rows by key tuples (usually the primary key);
    ``any_of`` selects rows where any of the named fields holds one of its values, for
    collections without a primary key. The two are never combined.
    """

    key_columns: tuple[str, ...] = ()
    keys: frozenset[tuple[Any, ...]] = frozenset()
    any_of: Mapping[str, frozenset[Any]] = field(default_factory=dict)
    #: fields of ``any_of`` compared through a rule: the store applies the rule's steps to the
    #: column in the database and compares the result with the values
    match: Mapping[str, MatchRule] = field(default_factory=dict)

    @classmethod
    def by_keys(cls, columns: Sequence[str], keys: Iterator[tuple[Any, ...]] | Sequence[tuple[Any, ...]]) -> Selector:
        return cls(key_columns=tuple(columns), keys=frozenset(keys))

    @classmethod
    def by_values(
        cls, any_of: Mapping[str, set[Any] | frozenset[Any]], match: Mapping[str, MatchRule] | None = None
    ) -> Selector:
        kept = {k: frozenset(v) for k, v in any_of.items() if v}
        rules = {k: r for k, r in (match or {}).items() if k in kept}
        return cls(any_of=kept, match=rules)

    def selects(self, row: Mapping[str, Any]) -> bool:
        """Whether ``row`` is one of the rows an ``any_of`` selector names."""
        for name, values in self.any_of.items():
            value = row.get(name)
            if value is None:
                continue
            rule = self.match.get(name)
            if (rule.column(str(value)) if rule is not None else value) in values:
                return True
        return False

    @property
    def empty(self) -> bool:
        return not self.keys and not any(self.any_of.values())


@dataclass(frozen=True)
class Assignment:
    """The new value of one field on the selected rows.

    Exactly one of ``constant`` (with ``set_constant``) or ``mapping`` applies: a constant
    replaces every value; a mapping replaces each old value by its new one and leaves any
    other value alone, so re-running it never masks twice. A constant never replaces an
    empty (NULL) value with a non-empty one. ``only_where_in`` limits the
    change to rows whose current value is in that set (a reference masked only where it
    points at the subject). ``fill_empty`` lets a constant fill an empty value too: a
    correction completes what is missing (GDPR Art. 16), where a mask must leave it empty.
    """

    field: str
    set_constant: bool = False
    constant: Any = None
    mapping: Mapping[Any, Any] | None = None
    only_where_in: frozenset[Any] | None = None
    fill_empty: bool = False


class StoreTransaction(Protocol):
    """Reads and writes inside one transaction of one store."""

    def fetch(self, collection: str, selector: Selector, fields: Sequence[str]) -> list[dict[str, Any]]: ...

    def update(self, collection: str, selector: Selector, assignments: Sequence[Assignment]) -> int:
        """Apply ``assignments``; return the number of rows whose values changed."""
        ...

    def delete(self, collection: str, selector: Selector) -> int:
        """Delete the selected rows; return how many were deleted."""
        ...


@runtime_checkable
class Store(Protocol):
    """One data store (a system of the data map)."""

    system: str

    def describe(self, collections: Sequence[str]) -> dict[str, dict[str, ColumnInfo] | None]:
        """Live columns of each collection; ``None`` for a collection that does not exist."""
        ...

    def fetch(self, collection: str, selector: Selector, fields: Sequence[str]) -> list[dict[str, Any]]:
        """Rows matching ``selector`` with exactly ``fields`` (nothing else is read)."""
        ...

    def reading(self) -> AbstractContextManager[None]:
        """A series of reads that may share one connection (a traversal)."""
        ...

    def transaction(self) -> AbstractContextManager[StoreTransaction]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class ForeignKey:
    """A declared reference from some columns of a table to another table's key."""

    columns: tuple[str, ...]
    referred: str
    referred_columns: tuple[str, ...]


@dataclass(frozen=True)
class Sample:
    """A bounded sample of a table's rows, read in one statement.

    Text is cut to ``TEXT_LIMIT`` characters in the store; binary columns come back as
    their length only. ``method`` says how the rows were chosen (``tablesample``, ``random
    keys``, ``key ranges``, ``all rows``, ``first rows``), so a reader knows how
    representative they are.
    """

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    estimated_rows: int | None
    method: str


TEXT_LIMIT = 2000


@runtime_checkable
class ScanningStore(Protocol):
    """A store ``custos scan`` can look inside: list its tables, their references, sample rows."""

    system: str

    def tables(self) -> list[str]:
        """Every table (collection) the connection can see."""
        ...

    def foreign_keys(self, collection: str) -> list[ForeignKey]: ...

    def sample_rows(self, collection: str, columns: Sequence[str], limit: int) -> Sample: ...
