"""``custos scan``: sample every table of the map's systems, classify each column, keep the evidence.

One statement per table reads its sample (see ``custos.stores.sql.scan``); the values stay in
this process and only masked examples leave it. A table that cannot be read (the store went
away, a permission is missing) is reported with the reason, and the scan goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from custos.datamap import DataMap
from custos.discovery.classify import classify, settle
from custos.discovery.masking import masked
from custos.errors import CustosError
from custos.matching import stored_problems
from custos.stores.base import ColumnInfo, ColumnKind, ForeignKey, ScanningStore, Store

DEFAULT_SAMPLE = 1000
#: called as a scan moves on: (system, table, tables done, tables in all)
Progress = Callable[[str, str, int, int], None]


@dataclass
class ColumnScan:
    name: str
    type_name: str
    kind: str
    sampled: int
    empty: int
    category: str | None
    confidence: float
    evidence: list[str]
    contains: list[str] = field(default_factory=list)
    example: str | None = None
    by_name: bool = False
    nullable: bool = True
    primary_key: bool = False
    unique: bool = False
    length: int | None = None
    #: problems of the stored values under the map's match rule (identity fields only)
    identity_problems: dict[str, int] = field(default_factory=dict)

    @property
    def info(self) -> ColumnInfo:
        return ColumnInfo(self.name, ColumnKind(self.kind), self.type_name, nullable=self.nullable,
                          length=self.length, primary_key=self.primary_key, unique=self.unique)


@dataclass
class TableScan:
    system: str
    collection: str
    #: the map's name for it (``dataset.collection``) when the map declares it
    mapped_as: str | None
    estimated_rows: int | None = None
    sampled_rows: int = 0
    method: str = ""
    seconds: float = 0.0
    columns: list[ColumnScan] = field(default_factory=list)
    foreign_keys: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def column(self, name: str) -> ColumnScan | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass
class ScanReport:
    started_at: str
    finished_at: str = ""
    sample: int = DEFAULT_SAMPLE
    systems: list[str] = field(default_factory=list)
    tables: list[TableScan] = field(default_factory=list)
    #: systems that could not be listed at all, with the reason
    unreachable: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScanReport:
        tables = [TableScan(**{**t, "columns": [ColumnScan(**c) for c in t["columns"]]}) for t in data["tables"]]
        return cls(**{**data, "tables": tables})

    def table(self, system: str, collection: str) -> TableScan | None:
        return next((t for t in self.tables if t.system == system and t.collection == collection), None)


def scan(datamap: DataMap, store_of: Callable[[str], Store], *, systems: Sequence[str] | None = None,
         sample: int = DEFAULT_SAMPLE, all_tables: bool = False, progress: Progress | None = None,
         region: str | None = None) -> ScanReport:
    """Scan the map's systems (or ``systems``): each mapped table, each unmapped table that
    references a mapped one, and with ``all_tables`` every table the connections can see."""
    if sample < 1:
        raise CustosError(f"the sample must be at least 1 row, not {sample}", option="sample")
    unknown = sorted(set(systems or ()) - set(datamap.systems))
    if unknown:
        raise CustosError(f"the data map has no system {', '.join(unknown)}; its systems: "
                          f"{', '.join(datamap.systems)}", option="system")
    started = time.perf_counter()
    report = ScanReport(started_at=_now(), sample=sample, systems=list(systems or datamap.systems))
    region = region or datamap.rules.region or "US"
    plan: list[tuple[str, ScanningStore, str, str | None, list[ForeignKey]]] = []
    for system in report.systems:
        try:
            opened = store_of(system)
            if not isinstance(opened, ScanningStore):
                report.unreachable[system] = "its store cannot list or sample tables"
                continue
            plan.extend((system, opened, name, mapped, fks)
                        for name, mapped, fks in _tables(datamap, system, opened, all_tables))
        except CustosError as exc:
            report.unreachable[system] = str(exc)
    identities = {(datamap.collections[e.collection].system, datamap.collections[e.collection].name, e.field):
                  datamap.rules.get(e.rule) for e in datamap.entry_points}
    for done, (system, store, name, mapped, fks) in enumerate(plan):
        if progress is not None:
            progress(system, name, done, len(plan))
        table = TableScan(system, name, mapped, foreign_keys=[asdict(fk) for fk in fks])
        began = time.perf_counter()
        try:
            _sample_table(table, store, sample, region, identities)
        except CustosError as exc:
            table.error = str(exc)
        table.seconds = round(time.perf_counter() - began, 4)
        report.tables.append(table)
    if progress is not None and plan:
        progress("", "", len(plan), len(plan))
    report.finished_at = _now()
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _tables(datamap: DataMap, system: str, store: ScanningStore,
            all_tables: bool) -> list[tuple[str, str | None, list[ForeignKey]]]:
    mapped = {info.name: info.qualified for info in datamap.collections_of_system(system)}
    listed = store.tables()
    chosen: list[tuple[str, str | None, list[ForeignKey]]] = [(name, q, []) for name, q in mapped.items()]
    for name in listed:
        if name in mapped:
            continue
        fks = store.foreign_keys(name)
        if all_tables or any(fk.referred in mapped for fk in fks) or _named_reference(name, store, mapped):
            chosen.append((name, None, fks))
    return chosen


def _named_reference(name: str, store: ScanningStore, mapped: dict[str, str]) -> bool:
    """An undeclared reference by name: ``customer_id`` where ``customers`` is mapped."""
    described = getattr(store, "describe", None)
    if described is None:
        return False
    columns = described([name]).get(name) or {}
    return any(referred_by_name(column, mapped) is not None for column in columns)


def referred_by_name(column: str, mapped: dict[str, str] | Sequence[str]) -> str | None:
    """The mapped table a column named ``<table>_id`` points at, if any (``customer_id`` → ``customers``)."""
    lowered = column.lower()
    if not lowered.endswith("_id") or lowered == "_id":
        return None
    stem = lowered[:-3]
    for table in mapped:
        bare = table.rpartition(".")[2].lower()
        if bare in (stem, stem + "s", stem + "es") or (stem.endswith("y") and bare == stem[:-1] + "ies"):
            return table
    return None


def _sample_table(table: TableScan, store: ScanningStore, limit: int, region: str,
                  identities: dict[tuple[str, str, str], Any]) -> None:
    described = store.describe([table.collection])[table.collection] if isinstance(store, Store) else None
    if described is None:
        table.error = f"table {table.collection!r} does not exist"
        return
    names = list(described)
    drawn = store.sample_rows(table.collection, names, limit)
    table.estimated_rows, table.method, table.sampled_rows = drawn.estimated_rows, drawn.method, len(drawn.rows)
    today = date.today()
    held = [[row[position] for row in drawn.rows if row[position] is not None and row[position] != ""]
            for position in range(len(names))]
    verdicts = settle([classify(name, described[name].kind, values, region=region, today=today)
                       for name, values in zip(names, held, strict=True)])
    for name, values, verdict in zip(names, held, verdicts, strict=True):
        info = described[name]
        column = ColumnScan(
            name=name, type_name=info.type_name, kind=info.kind.value, sampled=len(values),
            empty=len(drawn.rows) - len(values), category=verdict.category, confidence=verdict.confidence,
            evidence=[e for e in verdict.evidence if e], contains=verdict.contains, by_name=verdict.by_name,
            example=masked(values, verdict.detector) if verdict.category else None,
            nullable=info.nullable, primary_key=info.primary_key, unique=info.unique, length=info.length)
        rule = identities.get((table.system, table.collection, name))
        if rule is not None:
            column.identity_problems = stored_problems(rule, values, region)
        table.columns.append(column)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
