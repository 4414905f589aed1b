"""What an erasure will do to each collection, derived from what the traversal found.

The work is plain data (selectors and masks), so it can be written to the journal before
anything changes and read back by a resumed run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from custos.datamap import DataMap, Strategy
from custos.engine.results import KeptField
from custos.engine.traversal import Reach, mention_unit
from custos.matching import MatchRule
from custos.stores import Selector


@dataclass(frozen=True)
class FieldMask:
    field: str
    strategy: Strategy
    only_where_in: frozenset[Any] | None = None  # a reference: only where it points at the subject


@dataclass
class CollectionWork:
    collection: str  # qualified
    system: str
    table: str
    selector: Selector
    rows_found: int
    delete: bool
    masks: list[FieldMask] = field(default_factory=list)
    kept: list[KeptField] = field(default_factory=list)
    part: str = ""  # a field: the rows naming the subject in it (a mention), not the subject's rows

    @property
    def unit(self) -> str:
        """What results and the residual check are kept by: the collection, or its mentions."""
        return mention_unit(self.collection, self.part) if self.part else self.collection

    def to_json(self) -> dict[str, Any]:
        return {
            "part": self.part,
            "collection": self.collection,
            "system": self.system,
            "table": self.table,
            "key_columns": list(self.selector.key_columns),
            "keys": list(self.selector.keys),
            "any_of": {k: list(v) for k, v in self.selector.any_of.items()},
            "match": {k: vars(r) for k, r in self.selector.match.items()},
            "rows_found": self.rows_found,
            "delete": self.delete,
            "masks": [
                {"field": m.field, "strategy": str(m.strategy),
                 "only_where_in": None if m.only_where_in is None else list(m.only_where_in)}
                for m in self.masks
            ],
            "kept": [vars(k) for k in self.kept],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CollectionWork:
        key_columns = tuple(data["key_columns"])
        if key_columns:
            selector = Selector.by_keys(key_columns, [tuple(k) for k in data["keys"]])
        else:
            any_of: dict[str, Any] = data["any_of"]
            match = {k: MatchRule(**r) for k, r in data.get("match", {}).items()}
            selector = Selector.by_values({k: set(v) for k, v in any_of.items()}, match)
        return cls(
            collection=data["collection"],
            system=data["system"],
            table=data["table"],
            selector=selector,
            rows_found=data["rows_found"],
            delete=data["delete"],
            masks=[
                FieldMask(m["field"], Strategy(m["strategy"]),
                          None if m["only_where_in"] is None else frozenset(m["only_where_in"]))
                for m in data["masks"]
            ],
            kept=[KeptField(**k) for k in data["kept"]],
            part=data.get("part", ""),
        )


def kept_fields(datamap: DataMap, qualified: str) -> list[KeptField]:
    """Personal fields an erasure leaves in place, each with why."""
    info = datamap.collections[qualified]
    exceptions = datamap.exceptions
    kept = []
    for data_field in info.fields:
        if not data_field.is_personal or data_field.strategy is not Strategy.KEEP or info.collection.erase_rows:
            continue
        if data_field.keep_for:
            exception = exceptions[data_field.keep_for]
            kept.append(KeptField(data_field.name, exception.description or exception.key,
                                  exception.key, exception.citation()))
        else:
            kept.append(KeptField(data_field.name, "erase: keep in the data map"))
    return kept


def plan_work(datamap: DataMap, reach: Reach) -> list[CollectionWork]:
    """One unit of work per collection in which the subject has rows."""
    references = {(e.child, e.child_field): e for e in datamap.edges}
    works = []
    for qualified, found in reach.found.items():
        if not found.rows:
            continue
        info = found.info
        work = CollectionWork(
            collection=qualified,
            system=info.system,
            table=info.name,
            selector=found.selector(),
            rows_found=len(found.rows),
            delete=info.collection.erase_rows,
            kept=kept_fields(datamap, qualified),
        )
        if not work.delete:
            for data_field in info.fields:
                strategy = data_field.strategy
                if strategy is Strategy.KEEP:
                    continue
                edge = references.get((qualified, data_field.name))
                only = reach.values_of(edge.parent, edge.parent_field) if edge else None
                work.masks.append(FieldMask(data_field.name, strategy, only))
        works.append(work)
    for mention in reach.mentions.values():
        data_field = mention.info.field(mention.field)
        if not mention.rows or data_field.strategy is Strategy.KEEP:
            continue
        info = mention.info
        selector = (Selector.by_keys(info.primary_key, list(mention.rows)) if info.primary_key
                    else Selector.by_values({mention.field: set(mention.parent_values)}))
        works.append(CollectionWork(
            collection=info.qualified, system=info.system, table=info.name, selector=selector,
            rows_found=len(mention.rows), delete=False, part=mention.field,
            masks=[FieldMask(mention.field, data_field.strategy, mention.parent_values)],
        ))
    return works


def delete_order(datamap: DataMap, works: list[CollectionWork]) -> list[CollectionWork]:
    """Rows that reference others are deleted before the rows they reference."""
    deletes = [w for w in works if w.delete and not w.part]
    names = {w.collection for w in deletes}
    parents = {w.collection: {e.parent for e in datamap.edges if e.child == w.collection and e.parent in names
                              and e.parent != w.collection} for w in deletes}
    ordered: list[CollectionWork] = []
    placed: set[str] = set()
    remaining = list(deletes)
    while remaining:
        # a collection goes once every collection that references it is placed
        ready = [w for w in remaining
                 if all(w.collection not in parents[o.collection] or o.collection in placed
                        for o in remaining if o is not w)]
        batch = ready or remaining[:1]  # a cycle: let the store's constraints decide
        for work in batch:
            ordered.append(work)
            placed.add(work.collection)
            remaining.remove(work)
    return ordered


def chunks(selector: Selector, size: int) -> Iterator[Selector]:
    """The selector split into pieces of at most ``size`` keys."""
    if selector.key_columns:
        keys = list(selector.keys)
        for start in range(0, len(keys), size):
            yield Selector.by_keys(selector.key_columns, keys[start : start + size])
        return
    pairs = [(name, value) for name, values in selector.any_of.items() for value in values]
    for start in range(0, len(pairs), size):
        grouped: dict[str, set[Any]] = {}
        for name, value in pairs[start : start + size]:
            grouped.setdefault(name, set()).add(value)
        yield Selector.by_values(grouped, selector.match)
