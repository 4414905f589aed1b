"""Running an erasure: one transaction per system, journaled, checked afterwards.

Per system, the old values that value-dependent strategies need are read first, the
values about to be written are journaled, then one UPDATE per collection per batch of
keys and one DELETE per collection per batch run in the same transaction. Statements
only touch values that still need masking, so a resumed or repeated run never masks
twice and reports no change where there is none.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from custos.datamap import DataMap, Strategy
from custos.engine.journal import Journal, RowMark, digest
from custos.engine.masking import REDACTED, VALUE_DEPENDENT, Masker
from custos.engine.results import Residual, ResidualCollection
from custos.engine.traversal import Reach
from custos.engine.work import CollectionWork, FieldMask, chunks, delete_order
from custos.errors import StoreError
from custos.stores import Assignment, ColumnInfo, Selector, Store, StoreTransaction


def target_key(collection: str, field: str) -> str:
    return f"{collection}.{field}"


class SystemRun:
    """The erasure of one system's collections in one transaction."""

    def __init__(
        self,
        datamap: DataMap,
        store: Store,
        masker: Masker,
        journal: Journal,
        run_key: str,
        batch_size: int,
    ) -> None:
        self.datamap = datamap
        self.store = store
        self.masker = masker
        self.journal = journal
        self.run_key = run_key
        self.batch_size = batch_size
        self.row_marks: list[RowMark] = []

    def run(
        self, works: list[CollectionWork], targets: dict[str, set[Any]], found: Reach | None = None
    ) -> dict[str, dict[str, int]]:
        """Erase ``works`` in one transaction.

        ``found`` is what the traversal of this same run read: its values serve the
        value-dependent masks directly. A resumed run has none and reads them again. Either
        way the UPDATE only replaces a value still equal to what was read, so a value that
        changed in between is left alone (and the residual check reports it).
        """
        columns = self.store.describe([w.table for w in works])
        counts: dict[str, dict[str, int]] = {w.unit: {"changed": 0, "deleted": 0} for w in works}
        with self.store.transaction() as tx:
            planned: list[tuple[CollectionWork, Selector, list[Assignment]]] = []
            for work in works:
                if work.delete:
                    continue
                table_columns = columns[work.table] or {}
                dependent = [m for m in work.masks if m.strategy in VALUE_DEPENDENT]
                for chunk in chunks(work.selector, self.batch_size):
                    mappings: dict[str, dict[Any, Any]] = {}
                    if dependent:
                        rows = self._rows(work, chunk, dependent, tx, found)
                        for mask in dependent:
                            mappings[mask.field] = self._mapping(
                                work, mask, table_columns[mask.field], rows, targets
                            )
                    planned.append((work, chunk, self._assignments(work, mappings)))
            self.journal.writing(self.run_key, works[0].system, targets, self.row_marks)
            for work, chunk, assignments in planned:
                if assignments:
                    counts[work.unit]["changed"] += tx.update(work.table, chunk, assignments)
            for work in delete_order(self.datamap, works):
                counts[work.unit]["deleted"] += tx.delete(work.table, work.selector)
        return counts

    @staticmethod
    def _rows(
        work: CollectionWork, chunk: Selector, dependent: list[FieldMask], tx: StoreTransaction, found: Reach | None
    ) -> list[dict[str, Any]]:
        if found is not None and (work.unit in found.mentions if work.part else work.collection in found.found):
            known = found.mentions[work.unit].rows if work.part else found.found[work.collection].rows
            if chunk.key_columns:
                return [known[key] for key in chunk.keys if key in known]
            return [row for row in known.values() if chunk.selects(row)]
        read = list(chunk.key_columns or chunk.any_of) + [m.field for m in dependent]
        return tx.fetch(work.table, chunk, list(dict.fromkeys(read)))

    def _mapping(
        self,
        work: CollectionWork,
        mask: FieldMask,
        column: ColumnInfo,
        rows: list[dict[str, Any]],
        targets: dict[str, set[Any]],
    ) -> dict[Any, Any]:
        key = target_key(work.collection, mask.field)
        written = targets.setdefault(key, set())
        holding = [row for row in rows if row.get(mask.field) is not None
                   and (mask.only_where_in is None or row[mask.field] in mask.only_where_in)]
        key_columns = work.selector.key_columns
        if key_columns:
            # judged row by row: a row is already masked only when it holds the very value an
            # erasure wrote into it. An original that happens to equal a replacement written
            # elsewhere (four random digits over ten thousand cards) is still masked.
            keyed = {tuple(row[c] for c in key_columns): row for row in holding}
            marks = self.journal.written_into(key, list(keyed))
            candidates = {row[mask.field] for k, row in keyed.items() if marks.get(k) != digest(row[mask.field])}
        else:
            # without a key there is no row to judge: values an earlier run wrote are skipped
            candidates = {row[mask.field] for row in holding} - written
            candidates -= self.journal.masked_among(key, candidates)
        mapping: dict[Any, Any] = {}
        for value in candidates:
            new = self.masker.masked(mask.strategy, column, value)
            if new != value:
                mapping[value] = new
        written.update(mapping.values())
        if key_columns:
            # the UPDATE replaces by value within these rows: record what each row will hold
            self.row_marks.extend(
                (key, digest(k), digest(mapping[row[mask.field]]))
                for k, row in keyed.items() if row[mask.field] in mapping
            )
        return mapping

    def _assignments(self, work: CollectionWork, mappings: Mapping[str, dict[Any, Any]]) -> list[Assignment]:
        assignments = []
        for mask in work.masks:
            if mask.strategy in VALUE_DEPENDENT:
                mapping = mappings.get(mask.field)
                if mapping:
                    assignments.append(Assignment(mask.field, mapping=mapping))
                continue
            is_constant, value = self.masker.constant(mask.strategy)
            if is_constant:
                assignments.append(
                    Assignment(mask.field, set_constant=True, constant=value, only_where_in=mask.only_where_in)
                )
        return assignments


def is_masked(mask: FieldMask, value: Any, written: set[Any]) -> bool:
    """Whether ``value`` is what the strategy leaves behind."""
    if mask.only_where_in is not None:
        return value not in mask.only_where_in
    if value is None:
        return True
    strategy = mask.strategy
    if strategy is Strategy.MASK_NULL:
        return False
    if strategy is Strategy.MASK_REDACT:
        return bool(value == REDACTED)
    if strategy is Strategy.MASK_DATE_YEAR:
        if hasattr(value, "month"):
            return bool(value.month == 1 and value.day == 1)
        return isinstance(value, str) and value[4:10] == "-01-01"
    return value in written


def residual_check(
    datamap: DataMap,
    stores: Mapping[str, Store],
    works: list[CollectionWork],
    targets: dict[str, set[Any]],
    after: Reach,
    journal: Journal,
) -> Residual:
    """Read back every row the erasure touched, and every row the identity still finds."""
    residual = Residual(ok=True)
    by_collection = {w.unit: w for w in works}
    rows_by_collection: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = defaultdict(dict)
    for work in works:
        info = datamap.collections[work.collection]
        try:
            fetched = stores[work.system].fetch(work.table, work.selector, [f.name for f in info.fields])
        except StoreError:
            residual.ok = False
            residual.collections.append(ResidualCollection(work.unit, -1, [], {"<unreadable>": 1}))
            continue
        found = after.found[work.collection]
        for row in fetched:
            rows_by_collection[work.unit][found.row_key(row)] = row
    for qualified, found in after.found.items():
        if found.rows:
            residual.found_by_identity[qualified] = len(found.rows)
            rows_by_collection[qualified].update(found.rows)
    for unit, mention in after.mentions.items():
        if mention.rows:  # rows that still name the subject after the erasure
            rows_by_collection[unit].update(mention.rows)
    for qualified in [*by_collection, *(q for q in rows_by_collection if q not in by_collection)]:
        rows = rows_by_collection.get(qualified, {})
        collection, _, part = qualified.partition("#")
        info = datamap.collections[collection]
        expected = by_collection.get(qualified)
        violations: dict[str, int] = {}
        if part:
            data_field = info.field(part)
            if data_field.strategy is not Strategy.KEEP:
                names = expected.masks[0].only_where_in if expected else after.mentions[qualified].parent_values
                bad = sum(1 for row in rows.values() if row.get(part) is not None and row.get(part) in (names or ()))
                if bad:
                    violations[part] = bad
        elif info.collection.erase_rows:
            if rows:
                violations["<row>"] = len(rows)
        else:
            masks = expected.masks if expected else [
                FieldMask(f.name, f.strategy) for f in info.fields if f.strategy is not Strategy.KEEP
            ]
            for mask in masks:
                key = target_key(qualified, mask.field)
                written = targets.get(key, set())
                if mask.strategy in (Strategy.MASK_HASH, Strategy.MASK_RANDOM) and info.primary_key:
                    # each row by what this or an earlier erasure wrote into it, from the journal
                    marks = journal.written_into(key, list(rows))
                    bad = sum(1 for k, row in rows.items()
                              if not (mask.only_where_in is not None and row.get(mask.field) not in mask.only_where_in)
                              and row.get(mask.field) is not None
                              and marks.get(k) != digest(row.get(mask.field)))
                    if bad:
                        violations[mask.field] = bad
                    continue
                unmasked = [row.get(mask.field) for row in rows.values()
                            if not is_masked(mask, row.get(mask.field), written)]
                if unmasked and mask.strategy in VALUE_DEPENDENT and mask.only_where_in is None:
                    earlier = journal.masked_among(key, set(unmasked))
                    unmasked = [v for v in unmasked if v not in earlier]
                bad = len(unmasked)
                if bad:
                    violations[mask.field] = bad
        kept = [k.field for k in expected.kept] if expected else []
        if violations:
            residual.ok = False
        residual.collections.append(ResidualCollection(qualified, len(rows), kept, violations))
    return residual
