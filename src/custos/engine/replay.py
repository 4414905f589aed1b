"""Applying the erasure ledger again to stores restored from a backup.

Per group of ledger entries (one collection, one way of selecting rows, one action), the
store's key columns (or, in a collection without a key, the distinct values of the
selecting column) are read in batches; the rows whose keyed HMAC the ledger holds get the
same change as before, through the erasure's statements: one per batch. A mask that was
limited to the values naming the erased person (a reference, a mention) is limited again,
to the values whose HMAC the ledger holds. Retention deletions in a collection without a
key are repeated by their condition, with the cut-off of the original sweep.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from custos.datamap import CollectionInfo, Strategy
from custos.engine.erasure import SystemRun
from custos.engine.ledger import Ledger, ReplayGroup, ReplayReport, due_of, replay_groups
from custos.engine.work import CollectionWork, FieldMask
from custos.errors import StoreError
from custos.stores import Assignment, Selector
from custos.stores.due import DueStore

if TYPE_CHECKING:
    from custos.engine.core import Engine


def _batches(store: DueStore, info: CollectionInfo, group: ReplayGroup, size: int) -> Iterator[list[Any]]:
    kind, _, rest = group.selector.partition(":")
    if kind == "key":
        columns = rest.split(",")
        after: tuple[Any, ...] | None = None
        while keys := store.scan_keys(info.name, columns, after, size):
            after = keys[-1]
            yield keys
        return
    name = rest.split(":")[0]
    last: Any = None
    while values := store.scan_values(info.name, name, last, size):
        last = values[-1]
        yield values


def replay(engine: Engine, ledger: Ledger, since: datetime) -> ReplayReport:
    """Re-apply every ledger entry written since ``since``."""
    entries = ledger.since(since)
    report = ReplayReport(since.isoformat(), len(entries))
    datamap = engine.datamap
    for group in replay_groups(entries):
        info = datamap.collections.get(group.collection)
        counts = report.collections.setdefault(group.collection, {"recognised": 0, "changed": 0, "deleted": 0})
        if info is None:
            counts["missing_from_map"] = len(group.digests)
            continue
        store = engine.store(info.system)
        if not isinstance(store, DueStore):
            raise StoreError(f"the store of system {info.system!r} cannot be scanned to replay the ledger",
                             system=info.system)
        run = SystemRun(datamap, store, engine.masker, engine.journal, f"replay:{since.isoformat()}",
                        engine.batch_size)
        kind, _, rest = group.selector.partition(":")
        if kind == "due":
            due = due_of(group.selector)
            masks = _masks(ledger, store, info, group, Selector())
            if group.action == "delete":
                counts["deleted"] += store.delete_due(info.name, due)
            else:
                constants = [Assignment(m.field, set_constant=True, constant=engine.masker.constant(m.strategy)[1])
                             for m in masks if engine.masker.constant(m.strategy)[0]]
                counts["changed"] += store.update_due(info.name, due, constants)
            continue
        for batch in _batches(store, info, group, engine.batch_size):
            if kind == "key":
                columns = rest.split(",")
                matched = [tuple(k) for k in batch if ledger.digest(tuple(k)) in group.digests]
                if not matched:
                    continue
                selector = Selector.by_keys(columns, matched)
            else:
                name, _, rule_name = rest.partition(":")
                rule = datamap.rules.get(rule_name) if rule_name else None
                forms = {rule.column(str(v)) if rule is not None else v for v in batch}
                values = [v for v in forms if ledger.digest(v) in group.digests]
                if not values:
                    continue
                matched = [(v,) for v in values]
                selector = Selector.by_values({name: set(values)}, {name: rule} if rule is not None else None)
            counts["recognised"] += len(matched)
            work = CollectionWork(group.collection, info.system, info.name, selector, rows_found=len(matched),
                                  delete=group.action == "delete", masks=_masks(ledger, store, info, group, selector))
            run.row_marks = []
            done = run.run([work], {}, None)[work.unit]
            counts["changed"] += done["changed"]
            counts["deleted"] += done["deleted"]
    return report


def _masks(ledger: Ledger, store: Any, info: CollectionInfo, group: ReplayGroup, selector: Selector) -> list[FieldMask]:
    """The group's masks; one limited to some values is limited to the restored values with those HMACs."""
    masks = []
    limited = [name for name, _strategy, where in group.masks if where is not None]
    values: dict[str, set[Any]] = {name: set() for name in limited}
    if limited and group.action == "mask":
        for row in store.fetch(info.name, selector, limited):
            for name in limited:
                if row.get(name) is not None:
                    values[name].add(row[name])
    for name, strategy, where in group.masks:
        only = None
        if where is not None:
            wanted = set(where)
            only = frozenset(v for v in values.get(name, set()) if ledger.digest(v).hex() in wanted)
        masks.append(FieldMask(name, Strategy(strategy), only))
    return masks
