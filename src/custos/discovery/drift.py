"""Where the data map and the stores disagree, from a scan.

- ``unmapped_column``: a column of a mapped table holds personal data the map does not list;
- ``unmapped_table``: a table the map does not mention references a mapped table that holds
  people (declared by a foreign key, or named ``customer_id``), or holds personal data;
- ``missing_table`` / ``missing_column``: the map names what the store no longer has;
- ``category_mismatch``: a field's values are not what the map says they are (declared
  ``user.name``, holding phone numbers), or a field the map treats as not personal holds
  personal data;
- ``identity_form``: an identity field's stored values are not in the form its match rule
  compares (capitals under ``exact``, phones that do not parse);
- ``unreadable``: a table or a whole system could not be read: the scan cannot vouch for it.

Every item names the map's file and line where it has one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from custos.datamap import DataMap
from custos.discovery import detectors as d
from custos.discovery.scan import ColumnScan, ScanReport, TableScan, referred_by_name

#: declared categories whose values the detectors read well enough to call a contradiction
_READABLE = {d.EMAIL: "email addresses", d.IP: "IP addresses", d.PHONE: "phone numbers"}


@dataclass
class Drift:
    kind: str
    system: str
    collection: str
    column: str | None
    message: str
    where: str | None = None
    #: the map entry that would close it (a field, or a whole collection), for --write
    proposal: dict[str, Any] | None = None
    dataset: str | None = None
    categories: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def related(a: str, b: str) -> bool:
    """Whether two categories describe the same data: one contains the other, or they share
    a family three levels deep (``user.contact.address.city`` and ``user.contact.address``)."""
    if a.startswith(b) or b.startswith(a):
        return True
    return a.split(".")[:3] == b.split(".")[:3] and len(a.split(".")) >= 3 and len(b.split(".")) >= 3


def drift(datamap: DataMap, report: ScanReport) -> list[Drift]:
    from custos.discovery.proposal import collection_entry, field_entry

    found: list[Drift] = []
    for system, reason in report.unreachable.items():
        found.append(Drift("unreadable", system, "", None, f"system {system!r} could not be scanned: {reason}"))
    for table in report.tables:
        if table.error is not None and table.mapped_as is not None and "does not exist" in table.error:
            where = _where(datamap, table.mapped_as, None)
            found.append(Drift("missing_table", table.system, table.collection, None,
                               f"the map's table {table.collection!r} does not exist in system {table.system!r}",
                               where))
            continue
        if table.error is not None:
            found.append(Drift("unreadable", table.system, table.collection, None,
                               f"table {table.collection!r} could not be read: {table.error}"))
            continue
        if table.mapped_as is None:
            item = _unmapped_table(datamap, report, table)
            if item is not None:
                item.proposal = collection_entry(datamap, table)
                found.append(item)
            continue
        info = datamap.collections[table.mapped_as]
        for data_field in info.fields:
            if table.column(data_field.name) is None:
                found.append(Drift("missing_column", table.system, table.collection, data_field.name,
                                   f"the map's field {data_field.name!r} has no column in table "
                                   f"{table.collection!r}", _where(datamap, table.mapped_as, data_field.name)))
        for column in table.columns:
            declared = info.collection.field(column.name)
            if declared is None:
                if column.category is not None:
                    found.append(Drift(
                        "unmapped_column", table.system, table.collection, column.name,
                        f"column {column.name!r} holds {column.category} ({column.confidence:.0%}: "
                        f"{'; '.join(column.evidence)}) and the map does not list it",
                        _where(datamap, table.mapped_as, None), proposal=field_entry(column),
                        dataset=info.dataset, categories=[column.category]))
                continue
            mismatch = _mismatch(column, declared.categories, declared.references is not None)
            if mismatch:
                found.append(Drift("category_mismatch", table.system, table.collection, column.name, mismatch,
                                   _where(datamap, table.mapped_as, column.name), dataset=info.dataset,
                                   categories=[column.category] if column.category else []))
            for problem, count in sorted(column.identity_problems.items()):
                entry = next((e for e in datamap.entry_points
                              if e.collection == table.mapped_as and e.field == column.name), None)
                rule = entry.rule if entry else "exact"
                found.append(Drift(
                    "identity_form", table.system, table.collection, column.name,
                    f"identity field {column.name!r} (match: {rule}): {count} of {column.sampled} sampled "
                    f"values: {problem}", _where(datamap, table.mapped_as, column.name), dataset=info.dataset))
    return found


def _mismatch(column: ColumnScan, declared: list[str], is_reference: bool) -> str | None:
    if is_reference:
        return None
    if column.category is not None and not column.by_name and column.confidence >= 0.6:
        if not declared:
            return (f"the map lists {column.name!r} as not personal, but it holds {column.category} "
                    f"({'; '.join(column.evidence)})")
        if not any(related(column.category, c) for c in declared) and not any(
                related(c, x) for c in declared for x in column.contains):
            return (f"the map says {column.name!r} holds {', '.join(declared)}, but its values are "
                    f"{column.category} ({'; '.join(column.evidence)})")
    if column.category is None and column.sampled >= 20:
        for category, what in _READABLE.items():
            if category in declared:
                return (f"the map says {column.name!r} holds {category}, but none of the detectors found "
                        f"{what} in most of its {column.sampled} sampled values")
    return None


def _unmapped_table(datamap: DataMap, report: ScanReport, table: TableScan) -> Drift | None:
    mapped = {info.name: info for info in datamap.collections_of_system(table.system)}
    people = {name for name, info in mapped.items()
              if any(e.collection == info.qualified for e in datamap.entry_points)}
    links = [f"{', '.join(fk['columns'])} → {fk['referred']}" for fk in table.foreign_keys
             if fk["referred"] in mapped]
    for column in table.columns:
        target = referred_by_name(column.name, sorted(people))
        if target is not None and not any(column.name in fk["columns"] for fk in table.foreign_keys):
            links.append(f"{column.name} (named like a reference to {target})")
    personal = [c for c in table.columns if c.category is not None]
    if not links and not personal:
        return None
    parts = []
    if links:
        parts.append(f"it references mapped tables ({'; '.join(links)}): people's data reachable but not declared")
    if personal:
        parts.append("it holds " + ", ".join(f"{c.name} ({c.category})" for c in personal))
    return Drift("unmapped_table", table.system, table.collection, None,
                 f"table {table.collection!r} is not in the map; " + "; ".join(parts),
                 categories=sorted({c.category for c in personal if c.category}))


def _where(datamap: DataMap, qualified: str, field_name: str | None) -> str | None:
    file, line = datamap.locate(qualified, field_name)
    if file is None:
        return None
    return f"{file}:{line}" if line else file
