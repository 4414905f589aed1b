"""The map entries a scan proposes, written as a fragment of the map to review and merge.

The fragment holds only ``datasets:``; a dataset or collection the map already has is
merged into it by ``custos validate custos.yaml proposal.yaml`` (or by putting the file in
the map's folder), so the proposal is checked exactly as it would be once merged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import yaml

from custos.datamap.models import Strategy
from custos.discovery import detectors as d
from custos.discovery import names as n
from custos.engine.masking import fit_problem

if TYPE_CHECKING:
    from custos.datamap import DataMap
    from custos.discovery.drift import Drift
    from custos.discovery.scan import ColumnScan, TableScan

#: what erasure should try first for a category; the first strategy the column can take wins
_PREFERRED: dict[str, tuple[Strategy, ...]] = {
    d.BIRTH: (Strategy.MASK_DATE_YEAR, Strategy.MASK_NULL),
    d.EMAIL: (Strategy.MASK_NULL, Strategy.MASK_HASH),
    d.STREET: (Strategy.MASK_NULL, Strategy.MASK_REDACT),
    d.ADDRESS: (Strategy.MASK_NULL, Strategy.MASK_REDACT),
    d.TEXT: (Strategy.MASK_NULL, Strategy.MASK_REDACT),
}
_FALLBACK = (Strategy.MASK_NULL, Strategy.MASK_REDACT, Strategy.MASK_HASH, Strategy.MASK_RANDOM)
#: words of a column name that say the identity is the row's own person, not someone else's
_OWN = frozenset("email emails e mail address addr phone number no mobile tel cell primary contact user customer "
                 "account login".split())


def erase_for(column: ColumnScan) -> Strategy | None:
    """The first strategy that suits the category and fits the column's type and constraints."""
    for strategy in (*_PREFERRED.get(column.category or "", ()), *_FALLBACK):
        if fit_problem(strategy, column.info) is None:
            return strategy
    return None


def identity_for(column: ColumnScan) -> str | None:
    """``email``/``phone`` where the column is the row's own contact (``email``, ``contact_phone``),
    not someone else's (``referrer_email``, ``emergency_phone``)."""
    kind = {d.EMAIL: "email", d.PHONE: "phone"}.get(column.category or "")
    if kind is None or column.by_name:
        return None
    return kind if set(n.words(column.name)) <= _OWN else None


def field_entry(column: ColumnScan) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": column.name, "categories": [column.category]}
    identity = identity_for(column)
    if identity:
        entry["identity"] = identity
    strategy = erase_for(column)
    if strategy is not None:
        entry["erase"] = strategy.value
    else:  # no strategy fits the column: kept until the reviewer decides (and says why)
        entry["erase"] = Strategy.KEEP.value
    entry["description"] = f"found by custos scan ({column.confidence:.0%}): {'; '.join(column.evidence)}"
    if column.contains:
        entry["description"] += f"; holds {', '.join(column.contains)}"
    return entry


def collection_entry(datamap: DataMap, table: TableScan) -> dict[str, Any]:
    from custos.discovery.scan import referred_by_name

    mapped = {info.name: info for info in datamap.collections_of_system(table.system)}
    fields: list[dict[str, Any]] = []
    for column in table.columns:
        fk = next((fk for fk in table.foreign_keys if column.name in fk["columns"] and fk["referred"] in mapped
                   and len(fk["columns"]) == 1), None)
        target = (mapped[fk["referred"]].name, fk["referred_columns"][0]) if fk else None
        if target is None and (named := referred_by_name(column.name, sorted(mapped))) is not None:
            key = mapped[named].primary_key
            target = (mapped[named].name, key[0]) if len(key) == 1 else None
        if column.primary_key:
            fields.append({"name": column.name, "primary_key": True})
        elif target is not None:
            fields.append({"name": column.name, "references": {"field": f"{target[0]}.{target[1]}",
                                                               "kind": "owner"}})
        elif column.category is not None:
            fields.append(field_entry(column))
    entry: dict[str, Any] = {"name": table.collection,
                             "description": "found by custos scan; not in the map before"}
    if not any(f.get("primary_key") for f in fields):
        entry["erase_rows"] = True  # no key to select single fields by: erasure deletes the rows
    entry["fields"] = fields or [{"name": c.name} for c in table.columns[:1]]
    return entry


def fragment(datamap: DataMap, drifts: list[Drift]) -> dict[str, Any]:
    """``{datasets: [...]}`` with the proposed fields and collections, grouped by dataset."""
    datasets: dict[str, dict[str, dict[str, Any]]] = {}
    for item in drifts:
        if item.proposal is None:
            continue
        if item.kind == "unmapped_column":
            dataset = item.dataset or ""
            collection = datasets.setdefault(dataset, {}).setdefault(item.collection, {"name": item.collection,
                                                                                       "fields": []})
            collection["fields"].append(item.proposal)
        elif item.kind == "unmapped_table":
            dataset = _dataset_for(datamap, item)
            datasets.setdefault(dataset, {})[item.collection] = item.proposal
    return {"datasets": [{"key": key, "collections": list(collections.values())}
                         for key, collections in datasets.items()]}


def _dataset_for(datamap: DataMap, item: Drift) -> str:
    """The dataset of the mapped table the new one references, else the system's first."""
    proposal = item.proposal or {}
    for entry in proposal.get("fields", []):
        target = (entry.get("references") or {}).get("field")
        if target:
            for info in datamap.collections_of_system(item.system):
                if info.name == target.rpartition(".")[0]:
                    return info.dataset
    return datamap.systems[item.system].datasets[0]


def render(datamap: DataMap, drifts: list[Drift]) -> str:
    body = yaml.safe_dump(fragment(datamap, drifts), sort_keys=False, allow_unicode=True, width=110)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (f"# Map entries proposed by custos scan on {stamp}, from sampled values.\n"
            "# Review every entry (categories, erase, identity) before merging it into the map.\n"
            f"# Check it merged with the map: custos validate {datamap.location} <this file>\n" + body)
