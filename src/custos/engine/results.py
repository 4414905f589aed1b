"""What a plan, an access or an erasure reports: plain data, ready for JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class KeptField:
    field: str
    reason: str
    exception: str | None = None
    basis: str | None = None


@dataclass
class CollectionOutcome:
    """One collection's part of a plan or an erasure."""

    collection: str
    system: str
    rows_found: int = 0
    action: str = "none"  # none | mask | delete
    fields_read: list[str] = field(default_factory=list)
    fields_masked: dict[str, str] = field(default_factory=dict)
    fields_masked_where_subject: list[str] = field(default_factory=list)
    fields_kept: list[KeptField] = field(default_factory=list)
    rows_changed: int = 0
    rows_deleted: int = 0
    status: str = "planned"  # planned | done | skipped | failed | nothing_found
    mentions: str | None = None  # a field: other people's rows that name the subject in it
    #: with ``plan(keys=N)``: the first N keys of the rows it would touch, and their columns
    keys: list[list[Any]] | None = None
    key_columns: list[str] = field(default_factory=list)


@dataclass
class ResidualCollection:
    collection: str
    rows_remaining: int
    fields_remaining: list[str]
    violations: dict[str, int] = field(default_factory=dict)


@dataclass
class Residual:
    """What is left after an erasure: only kept fields may still hold data."""

    ok: bool
    collections: list[ResidualCollection] = field(default_factory=list)
    found_by_identity: dict[str, int] = field(default_factory=dict)
    #: rows the map's match rule did not find but a looser one does (the check is not ok)
    found_by_looser_match: dict[str, int] = field(default_factory=dict)


@dataclass
class ErasureResult:
    subject: dict[str, Any]
    status: str  # completed | partial | failed | nothing_found
    run: str
    resumed: bool
    collections: list[CollectionOutcome]
    systems: dict[str, dict[str, Any]]
    residual: Residual | None = None
    statements: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def rows_changed(self) -> int:
        return sum(c.rows_changed for c in self.collections)

    @property
    def rows_deleted(self) -> int:
        return sum(c.rows_deleted for c in self.collections)


@dataclass
class PlanResult:
    subject: dict[str, Any]
    collections: list[CollectionOutcome]
    statements: int = 0
    scans: list[str] = field(default_factory=list)  # identity lookups that read a whole table
    notes: list[str] = field(default_factory=list)  # where a looser match finds someone the rule did not

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CorrectionResult:
    subject: dict[str, Any]
    status: str
    collections: list[CollectionOutcome]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
