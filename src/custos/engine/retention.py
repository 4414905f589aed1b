"""Retention on the stores: what is due, applying it set-based, and the check afterwards.

A sweep walks each rule's due rows in key order, a batch of keys at a time (the store
finds them with one query per batch; nothing is read into Python but keys), leaves out
rows under a legal hold, and masks or deletes each batch with one statement in one
transaction, through the erasure's own machinery: the values about to be written are
journaled first, so a killed sweep run again reaches the same end state, and a second
sweep changes nothing. Afterwards the residual check asks the stores again: no due row
still holds a field that should be gone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from custos.datamap import Strategy
from custos.engine.erasure import SystemRun, is_masked, target_key
from custos.engine.journal import digest
from custos.engine.masking import VALUE_DEPENDENT, fit_problem
from custos.engine.retention_rules import Resolution, RetentionRule, resolve_retention
from custos.engine.subject import Subject
from custos.engine.work import CollectionWork
from custos.errors import DataMapError, DataMapErrors, IdentityError, StoreError
from custos.stores import Assignment, ColumnKind, Selector
from custos.stores.due import DueStore, DueSummary

if TYPE_CHECKING:
    from custos.engine.core import Engine

_DATED = (ColumnKind.DATE, ColumnKind.DATETIME)


@dataclass(frozen=True)
class Holds:
    """What legal holds keep out of a sweep: whole systems, datasets, collections, and people."""

    systems: Mapping[str, str] = field(default_factory=dict)  # key -> the hold's label
    datasets: Mapping[str, str] = field(default_factory=dict)
    collections: Mapping[str, str] = field(default_factory=dict)  # qualified
    subjects: tuple[tuple[str, Subject], ...] = ()

    def scope_hold(self, rule: RetentionRule) -> str | None:
        dataset = rule.collection.split(".", 1)[0]
        return (self.collections.get(rule.collection) or self.datasets.get(dataset)
                or self.systems.get(rule.system))


@dataclass
class RuleReport:
    """One rule's part of a plan or a run."""

    collection: str
    purpose: str
    period: str
    start: str
    then: str
    action: str  # delete | anonymize | review
    cutoff: str
    due: int = 0
    oldest: str | None = None
    undated: int = 0
    fields: list[str] = field(default_factory=list)
    kept: list[dict[str, str]] = field(default_factory=list)
    held: int = 0
    held_by: list[str] = field(default_factory=list)
    deleted: int = 0
    anonymized: int = 0
    remaining: int = 0  # after a run: due rows that still hold what should be gone (not held)
    status: str = "planned"  # planned | done | held | failed | review
    error: str | None = None


@dataclass
class RetentionReport:
    at: str
    rules: list[RuleReport]
    unlimited: list[dict[str, str]] = field(default_factory=list)
    dry_run: bool = True

    @property
    def ok(self) -> bool:
        return all(r.status != "failed" and r.remaining == 0 for r in self.rules)

    def totals(self) -> dict[str, int]:
        return {name: sum(getattr(r, name) for r in self.rules)
                for name in ("due", "deleted", "anonymized", "held", "undated", "remaining")}

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at, "dry_run": self.dry_run, "ok": self.ok, "totals": self.totals(),
                "rules": [asdict(r) for r in self.rules], "kept_without_period": self.unlimited}


def _iso(value: Any) -> str | None:
    return None if value is None else (value.isoformat() if hasattr(value, "isoformat") else str(value))


def _report(rule: RetentionRule, now: datetime) -> RuleReport:
    action = "delete" if rule.delete else ("review" if rule.then == "review" else "anonymize")
    return RuleReport(
        collection=rule.collection, purpose=rule.purpose, period=rule.period.text, start=rule.start,
        then=rule.then, action=action, cutoff=rule.cutoff(now).isoformat(),
        fields=[m.field for m in rule.masks], kept=[{"field": k.field, "reason": k.reason} for k in rule.kept])


#: keys per transaction of a sweep (each statement still carries the store's own batch of keys)
SWEEP_BATCH = 10_000


class Retention:
    """Retention for one engine: its rules, their checks, plans and sweeps."""

    def __init__(self, engine: Engine, batch: int = SWEEP_BATCH) -> None:
        self.engine = engine
        self.batch = batch
        self.datamap = engine.datamap
        self.resolution: Resolution = resolve_retention(engine.datamap)

    @property
    def rules(self) -> list[RetentionRule]:
        return self.resolution.rules

    def _store(self, rule: RetentionRule) -> DueStore:
        store = self.engine.store(rule.system)
        if not isinstance(store, DueStore):
            raise StoreError(f"the store of system {rule.system!r} cannot evaluate retention periods",
                             system=rule.system)
        return store

    # -- checks -----------------------------------------------------------------------
    def problems(self, *, connect: bool) -> list[DataMapError]:
        """Why the map's retention cannot be enforced; with ``connect``, against the live columns."""
        problems = list(self.resolution.problems)
        if not connect:
            return problems
        deleted = {r.collection for r in self.rules if r.delete}
        for rule in self.rules:
            for qualified, name in rule.dated:
                info = self.datamap.collections[qualified]
                columns = self.engine.store(rule.system).describe([info.name])[info.name] or {}
                column = columns.get(name)
                if column is None:
                    problems.append(self._problem(rule, qualified, name,
                                                  f"the retention anchor {name!r} is not a column of {info.name}"))
                elif column.kind not in _DATED:
                    problems.append(self._problem(rule, qualified, name,
                                                  f"the retention anchor {name!r} is a {column.type_name} column, "
                                                  "not a date or date/time; the clock cannot start from it"))
            if not isinstance(self.engine.store(rule.system), DueStore):
                problems.append(self._problem(rule, rule.collection, None, f"the store of system {rule.system!r} "
                                              "cannot evaluate retention periods"))
                continue
            own = self.engine.store(rule.system).describe([rule.table])[rule.table] or {}
            for mask in rule.masks:
                column = own.get(mask.field)
                problem = fit_problem(mask.strategy, column) if column is not None else None
                if problem:
                    problems.append(self._problem(rule, rule.collection, mask.field,
                                                  f"retention anonymizes {mask.field!r}, but {problem}"))
            if rule.delete:
                for edge in self.datamap.edges:
                    if edge.parent == rule.collection and edge.child != rule.collection and not edge.mention \
                            and edge.child not in deleted:
                        problems.append(self._problem(
                            rule, rule.collection, None,
                            f"retention deletes rows of {rule.collection} that rows of {edge.child} reference "
                            f"({edge.child}.{edge.child_field}), and no retention rule deletes those; give "
                            f"{edge.child} a retention that deletes them, or anonymize {rule.collection}"))
        return problems

    def _problem(self, rule: RetentionRule, qualified: str, field_name: str | None, message: str) -> DataMapError:
        file, line = self.datamap.locate(qualified, field_name)
        key = f"{qualified}.{field_name}" if field_name else qualified
        return DataMapError(f"{message} (rule: {rule.describe()})", file=file, line=line, key=key)

    def check(self) -> None:
        problems = self.problems(connect=True)
        if problems:
            raise DataMapErrors(problems)

    # -- holds ------------------------------------------------------------------------
    def held_keys(self, holds: Holds) -> tuple[dict[str, set[tuple[Any, ...]]], dict[str, list[str]]]:
        """Per collection, the keys of held people's rows, and the labels of the holds on them."""
        keys: dict[str, set[tuple[Any, ...]]] = {}
        labels: dict[str, list[str]] = {}
        for label, subject in holds.subjects:
            try:
                reach = self.engine.find(subject)
            except IdentityError:  # an identity type the map does not declare holds nothing
                continue
            for qualified, found in reach.found.items():
                if found.rows:
                    keys.setdefault(qualified, set()).update(found.rows)
                    labels.setdefault(qualified, []).append(label)
        return keys, labels

    # -- plan and run -----------------------------------------------------------------
    def plan(self, now: datetime, holds: Holds | None = None) -> RetentionReport:
        """What a sweep at ``now`` would do; nothing changes."""
        holds = holds or Holds()
        reports = []
        held_keys, held_labels = self.held_keys(holds)
        for rule in self.rules:
            report = _report(rule, now)
            summary = self._summary(rule, now)
            report.due, report.oldest, report.undated = summary.due, _iso(summary.oldest), summary.undated
            scope = holds.scope_hold(rule)
            if scope:
                report.held, report.held_by, report.status = summary.due, [scope], "held"
            elif rule.collection in held_keys:
                report.held = self._held_due(rule, now, held_keys[rule.collection])
                report.held_by = held_labels[rule.collection] if report.held else []
            if rule.then == "review":
                report.status = "review"
            reports.append(report)
        return RetentionReport(now.isoformat(), reports, self._unlimited(), dry_run=True)

    def _unlimited(self) -> list[dict[str, str]]:
        return [{"field": k.field, "reason": k.reason} for k in self.resolution.unlimited]

    def _summary(self, rule: RetentionRule, now: datetime) -> DueSummary:
        return self._store(rule).due_summary(rule.table, rule.due(now))

    def _due_keys(self, rule: RetentionRule, now: datetime) -> Iterable[list[tuple[Any, ...]]]:
        store, key = self._store(rule), self.datamap.collections[rule.collection].primary_key
        after: tuple[Any, ...] | None = None
        while True:
            keys = store.due_keys(rule.table, key, rule.due(now), after, self.batch)
            if not keys:
                return
            after = keys[-1]
            yield keys

    def _held_due(self, rule: RetentionRule, now: datetime, held: set[tuple[Any, ...]]) -> int:
        if not self.datamap.collections[rule.collection].primary_key:
            return self._summary(rule, now).due
        return sum(1 for batch in self._due_keys(rule, now) for key in batch if key in held)

    def run(self, now: datetime, run_id: str, holds: Holds | None = None) -> RetentionReport:
        """Apply every rule at ``now``; rules that fail are reported and the others still run.

        The rows due are counted as the sweep finds them; one pass afterwards counts what
        is still due (the residual check) and the undated rows. The oldest date is the plan's.
        """
        self.check()
        holds = holds or Holds()
        held_keys, held_labels = self.held_keys(holds)
        reports = []
        for rule in self.rules:
            report = _report(rule, now)
            try:
                scope = holds.scope_hold(rule)
                if rule.then == "review" or scope:
                    summary = self._summary(rule, now)
                    report.due, report.oldest, report.undated = summary.due, _iso(summary.oldest), summary.undated
                    if scope and rule.then != "review":
                        report.held, report.held_by, report.status = summary.due, [scope], "held"
                    else:
                        report.status = "review"
                else:
                    held = held_keys.get(rule.collection, set())
                    self._apply(rule, now, run_id, report, held, held_labels.get(rule.collection, []))
                    after = self._summary(rule, now)
                    report.undated = after.undated
                    report.remaining = self._remaining(rule, now, held, after.due - report.held)
                    report.status = "done"
            except StoreError as exc:
                report.status, report.error = "failed", exc.message
            reports.append(report)
        return RetentionReport(now.isoformat(), reports, self._unlimited(), dry_run=False)

    def _apply(self, rule: RetentionRule, now: datetime, run_id: str, report: RuleReport,
               held: set[tuple[Any, ...]], labels: list[str]) -> None:
        info = self.datamap.collections[rule.collection]
        engine = self.engine
        run_key = f"retention:{run_id}:{rule.key}"
        if not info.primary_key:
            if held:
                # without a key, a held person's rows cannot be told apart from the others'
                report.due = self._summary(rule, now).due
                report.held, report.held_by = report.due, labels
                return
            store = self._store(rule)
            if rule.delete:
                report.deleted = report.due = store.delete_due(rule.table, rule.due(now))
                engine.ledger.record_due(run_key, rule.collection, rule.due(now), "delete", [])
                return
            report.anonymized = report.due = store.update_due(rule.table, rule.due(now), self._constants(rule))
            engine.ledger.record_due(run_key, rule.collection, rule.due(now), "mask", list(rule.masks))
            return
        # a deletion or masks the database writes as constants: one statement per batch over the
        # batch's key range and the due condition again, so a row whose date moved since its key
        # was read (a person signing in during the sweep) is left alone; the condition makes a
        # repeated batch change nothing, so no journal is needed
        by_range = len(info.primary_key) == 1 and all(m.strategy not in VALUE_DEPENDENT for m in rule.masks)
        system_run = SystemRun(self.datamap, engine.store(rule.system), engine.masker, engine.journal,
                               run_key, engine.batch_size)
        for keys in self._due_keys(rule, now):
            report.due += len(keys)
            free = [k for k in keys if k not in held]
            if len(free) < len(keys):
                report.held += len(keys) - len(free)
                report.held_by = labels
            if not free:
                continue
            work = CollectionWork(rule.collection, rule.system, rule.table, Selector.by_keys(info.primary_key, free),
                                  rows_found=len(free), delete=rule.delete, masks=list(rule.masks))
            if by_range:
                changed = self._change_range(rule, now, keys, held)
                report.deleted += changed if rule.delete else 0
                report.anonymized += 0 if rule.delete else changed
            else:
                system_run.row_marks = []
                counts = system_run.run([work], {}, None)[work.unit]
                report.deleted += counts["deleted"]
                report.anonymized += counts["changed"]
            engine.ledger.record("retention", run_key, [work])

    def _constants(self, rule: RetentionRule) -> list[Assignment]:
        assignments = []
        for mask in rule.masks:
            is_constant, value = self.engine.masker.constant(mask.strategy)
            if is_constant:
                assignments.append(Assignment(mask.field, set_constant=True, constant=value))
        return assignments

    def _change_range(self, rule: RetentionRule, now: datetime, keys: list[tuple[Any, ...]],
                      held: set[tuple[Any, ...]]) -> int:
        """Delete or mask the due rows between the batch's first and last key, held ones left out."""
        store = self._store(rule)
        name = self.datamap.collections[rule.collection].primary_key[0]
        bounds = (name, keys[0][0], keys[-1][0])
        skip = [k[0] for k in keys if k in held]
        if rule.delete:
            return store.delete_due(rule.table, rule.due(now), bounds, skip)
        return store.update_due(rule.table, rule.due(now), self._constants(rule), bounds, skip)

    def _remaining(self, rule: RetentionRule, now: datetime, held: set[tuple[Any, ...]], still_due: int) -> int:
        """Due rows, not held, that still hold what the rule removes (read back from the store).

        ``still_due`` is what the store counts as due after the sweep, held rows left out: for
        a deletion or a mask the database can recognise (empty, the redaction text), that is
        the answer; a hash or a random value is recognised by the journal, row by row.
        """
        info = self.datamap.collections[rule.collection]
        dependent = [m for m in rule.masks if m.strategy in VALUE_DEPENDENT]
        if rule.delete or not dependent or not info.primary_key:
            return max(still_due, 0)
        remaining = 0
        store = self.engine.store(rule.system)
        for keys in self._due_keys(rule, now):
            free = [k for k in keys if k not in held]
            if not free:
                continue
            rows = {tuple(row[c] for c in info.primary_key): row for row in store.fetch(
                rule.table, Selector.by_keys(info.primary_key, free), [*info.primary_key, *(m.field for m in rule.masks)])}
            remaining += len(self._unmasked(rule, rows))
        return remaining

    def _unmasked(self, rule: RetentionRule, rows: Mapping[tuple[Any, ...], Mapping[str, Any]]) -> set[tuple[Any, ...]]:
        """Keys of the rows that still hold a value some mask of ``rule`` should have replaced."""
        bad: set[tuple[Any, ...]] = set()
        for mask in rule.masks:
            if mask.strategy in (Strategy.MASK_HASH, Strategy.MASK_RANDOM):
                # a hash or a random value is recognised by what the journal says was written there
                marks = self.engine.journal.written_into(target_key(rule.collection, mask.field), list(rows))
                bad.update(k for k, row in rows.items()
                           if row.get(mask.field) is not None and marks.get(k) != digest(row.get(mask.field)))
            else:
                bad.update(k for k, row in rows.items() if not is_masked(mask, row.get(mask.field), set()))
        return bad
