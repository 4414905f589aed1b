"""The engine: plan, access, erasure and correction for one data map.

It knows the data map and the stores, nothing of HTTP or of the control plane. Every
method first checks the map against the live stores (once per engine), so a map that
asks for the impossible is refused before any request touches data.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from custos.datamap import DataMap, EntryPoint, Strategy
from custos.engine.erasure import SystemRun, residual_check
from custos.engine.journal import Journal, Step
from custos.engine.ledger import Ledger
from custos.engine.masking import Masker, fit_problem
from custos.engine.results import (
    CollectionOutcome,
    CorrectionResult,
    ErasureResult,
    KeptField,
    PlanResult,
)
from custos.engine.subject import Subject, merge_subjects, stored_form
from custos.engine.traversal import Reach, traverse
from custos.engine.work import CollectionWork, kept_fields, plan_work
from custos.errors import CustosError, DataMapError, DataMapErrors, IdentityError, StoreError
from custos.matching import LOOSER, stored_problems
from custos.stores import Assignment, ColumnInfo, LookupPlan, Store, open_store
from custos.stores.values import coerce, json_value


class AccessResult:
    """Every row found for a subject, grouped by dataset and collection."""

    def __init__(self, subject: Subject, datamap: DataMap, reach: Reach, generated_at: str,
                 notes: list[str] | None = None) -> None:
        self.subject = subject
        self.datamap = datamap
        self.reach = reach
        self.generated_at = generated_at
        self.notes = notes or []

    def datasets(self) -> dict[str, dict[str, list[dict[str, Any]]]]:
        result: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for _qualified, found in self.reach.found.items():
            if not found.rows:
                continue
            info = found.info
            names = [f.name for f in info.fields]
            rows = [{n: json_value(row.get(n)) for n in names} for row in found.rows.values()]
            rows.sort(key=lambda r: json.dumps(r, sort_keys=True, default=str))
            result.setdefault(info.dataset, {})[info.name] = rows
        return result

    def to_dict(self) -> dict[str, Any]:
        """``data.json``: the subject, when it was made, and the rows per dataset and collection."""
        data: dict[str, Any] = {"subject": self.subject.as_dict(), "generated_at": self.generated_at,
                                "datasets": self.datasets()}
        mentions = {f"{m.info.qualified}.{m.field}": len(m.rows) for m in self.reach.mentions.values() if m.rows}
        if mentions:
            # rows of other people that name the subject: how many, never those people's data
            data["mentions"] = mentions
        if self.notes:
            data["notes"] = self.notes
        return data

    @property
    def row_count(self) -> int:
        return sum(len(f.rows) for f in self.reach.found.values())

    def categories(self) -> list[str]:
        """Categories of the fields that hold data in the rows found (for a categories answer)."""
        found = set()
        for _qualified, state in self.reach.found.items():
            if state.rows:
                for data_field in state.info.fields:
                    if any(row.get(data_field.name) is not None for row in state.rows.values()):
                        found.update(data_field.categories)
        return sorted(found)


def _key_order(key: tuple[Any, ...]) -> tuple[tuple[int, Any], ...]:
    """Numbers in their order, then everything else as text (a key may mix types, or hold NULLs)."""
    return tuple((0, v) if isinstance(v, int | float) and not isinstance(v, bool) else (1, str(v)) for v in key)


#: a data point whose most common value more than this share of rows hold is guessable
GUESSABLE_SHARE = 0.01
#: below this many rows a share says little; then a field is guessable when fewer than
#: ``GUESSABLE_SMALL_DISTINCT`` of its values are distinct
GUESSABLE_MIN_ROWS = 200
GUESSABLE_SMALL_DISTINCT = 0.5


class Engine:
    """Runs requests for one data map against its stores."""

    def __init__(
        self,
        datamap: DataMap,
        *,
        secret_key: bytes,
        journal: Journal | str | Path | None = None,
        stores: Mapping[str, Store] | None = None,
        batch_size: int = 500,
    ) -> None:
        self.datamap = datamap
        self.masker = Masker(secret_key)
        self._secret = secret_key
        self.batch_size = batch_size
        self._owns_journal = journal is not None and not isinstance(journal, Journal)
        self._journal = journal if isinstance(journal, Journal) or journal is None else Journal(journal)
        self._stores: dict[str, Store] = dict(stores or {})
        self._checked = False
        self._lookup_plans: dict[EntryPoint, LookupPlan | None] | None = None
        self._ledger: Ledger | None = None

    # -- stores and schema --------------------------------------------------------------
    def store(self, system: str) -> Store:
        if system not in self._stores:
            self._stores[system] = open_store(system, self.datamap.systems[system].url)
        return self._stores[system]

    @property
    def stores(self) -> dict[str, Store]:
        for system in self.datamap.systems:
            self.store(system)
        return self._stores

    @property
    def journal(self) -> Journal:
        if self._journal is None:
            raise CustosError("this engine has no journal; give one to run erasures")
        return self._journal

    @property
    def ledger(self) -> Ledger:
        """The erasure ledger, beside the journal (``custos.engine.ledger``)."""
        if self._ledger is None:
            self._ledger = Ledger(self.journal, self._secret)
        return self._ledger

    def close(self) -> None:
        for store in self._stores.values():
            store.close()
        if self._owns_journal and self._journal is not None:
            self._journal.close()

    def schema_problems(self) -> list[DataMapError]:
        """Every way the map does not fit the live stores (tables, columns, strategies)."""
        problems: list[DataMapError] = []
        for system in self.datamap.systems:
            infos = self.datamap.collections_of_system(system)
            if not infos:
                continue
            described = self.store(system).describe([i.name for i in infos])
            for info in infos:
                columns = described[info.name]
                if columns is None:
                    problems.append(self._problem(info.qualified, None,
                                                  f"table {info.name!r} does not exist in system {system!r}"))
                    continue
                for data_field in info.fields:
                    column = columns.get(data_field.name)
                    if column is None:
                        problems.append(self._problem(
                            info.qualified, data_field.name,
                            f"column {data_field.name!r} does not exist in table {info.name!r}; "
                            f"its columns: {sorted(columns)}"))
                        continue
                    if info.collection.erase_rows:
                        continue
                    problem = fit_problem(data_field.strategy, column)
                    if problem and data_field.erase is None and data_field.strategy is Strategy.MASK_NULL:
                        problem += " (mask_null is the default for a personal field without erase:)"
                    if problem:
                        problems.append(self._problem(info.qualified, data_field.name, problem))
        return problems

    def identity_report(self, sample: int = 1000) -> tuple[list[str], list[LookupPlan]]:
        """Warnings about stored identity values that do not fit their rule (from a bounded
        sample of each identity column), and how each identity lookup is answered.

        A store that cannot sample or explain (a plug-in without ``sample``/``lookup_plan``)
        is skipped and said so.
        """
        warnings: list[str] = []
        plans = self.lookup_plans()
        for entry in self.datamap.entry_points:
            info = self.datamap.collections[entry.collection]
            file, line = self.datamap.locate(entry.collection, entry.field)
            where = f"{file}:{line}: " if line else ""
            sampler = getattr(self.store(info.system), "sample", None)
            if sampler is None or plans.get(entry) is None:
                warnings.append(f"{where}{entry.collection}.{entry.field}: the store of system "
                                f"{info.system!r} cannot sample or explain lookups; not checked")
                continue
            values = sampler(info.name, entry.field, sample)
            rule = self.datamap.rules.get(entry.rule)
            for problem, count in sorted(stored_problems(rule, values, self.datamap.rules.region).items()):
                share = 100 * count / max(len(values), 1)
                warnings.append(f"{where}{entry.collection}.{entry.field} (match: {entry.rule}): {count} of "
                                f"{len(values)} sampled value(s) ({share:.0f}%): {problem}")
        return warnings, [p for p in plans.values() if p is not None]

    def guessable_points(self) -> tuple[list[DataMapError], list[str]]:
        """Data points that anyone could guess, measured on the stores: a field whose most common
        value is held by more than ``GUESSABLE_SHARE`` of the rows (``country = US``,
        ``quantity = 1``), or, in a table too small to measure shares, one where most rows
        repeat a value. Refused: matching such a field proves nothing about who is asking.
        Returns the refusals and notes on fields that could not be measured."""
        refused: list[DataMapError] = []
        notes: list[str] = []
        for info, data_field in self.datamap.verification_fields():
            spread = getattr(self.store(info.system), "value_spread", None)
            if spread is None:
                notes.append(f"{info.qualified}.{data_field.name}: the store of system {info.system!r} cannot "
                             "measure how specific its values are; not checked")
                continue
            rows, distinct, top = spread(info.name, data_field.name)
            if rows == 0:
                continue
            if rows >= GUESSABLE_MIN_ROWS:
                guessable = top / rows > GUESSABLE_SHARE
            else:
                guessable = distinct / rows < GUESSABLE_SMALL_DISTINCT
            if guessable:
                marked = "" if data_field.verify else (
                    " (the map marks no field `verify: true`, so every personal field is offered; mark the "
                    "fields specific to a person)")
                refused.append(self._problem(
                    info.qualified, data_field.name,
                    f"cannot verify a person: {100 * top / rows:.0f}% of {rows} rows share one value and "
                    f"{distinct} value(s) are distinct, so anyone could guess it{marked}"))
        return refused, notes

    def lookup_plans(self) -> dict[EntryPoint, LookupPlan | None]:
        """How each identity lookup is answered (index or table scan), asked of the stores once
        per engine; ``None`` where a store cannot explain its lookups."""
        if self._lookup_plans is None:
            plans: dict[EntryPoint, LookupPlan | None] = {}
            for entry in self.datamap.entry_points:
                info = self.datamap.collections[entry.collection]
                explainer = getattr(self.store(info.system), "lookup_plan", None)
                plans[entry] = (explainer(info.name, entry.field, self.datamap.rules.get(entry.rule))
                                if explainer is not None else None)
            self._lookup_plans = plans
        return self._lookup_plans

    def _problem(self, qualified: str, field_name: str | None, message: str) -> DataMapError:
        key = f"{qualified}.{field_name}" if field_name else qualified
        file, line = self.datamap.locate(qualified, field_name)
        return DataMapError(message, file=file, line=line, key=key)

    def check_schema(self) -> None:
        """Refuse to run on a map that does not fit the live stores."""
        if self._checked:
            return
        problems = self.schema_problems()
        if problems:
            raise DataMapErrors(problems)
        self._checked = True

    # -- requests -------------------------------------------------------------------------
    def find(self, subject: Subject) -> Reach:
        self.check_schema()
        declared = set(self.datamap.identity_types)
        if not set(subject.identities) & declared:
            raise IdentityError(
                f"the data map declares no identity {', '.join(sorted(subject.identities))}; "
                f"its identities: {', '.join(sorted(declared))}"
            )
        return traverse(self.datamap, self.stores, subject)

    def looser(self, subject: Subject, reach: Reach) -> dict[str, int]:
        """Where the map's rule found nobody: rows a looser rule finds (case and spaces ignored).

        Only entry points whose collection came back empty and whose rule has a looser one are
        asked again, so with the default rules (emails and phones already loose) it costs nothing.
        """
        loose = {(e.collection, e.field): LOOSER[e.rule] for e in self.datamap.entry_points
                 if e.rule in LOOSER and subject.values(e.identity) and not reach.found[e.collection].rows}
        if not loose:
            return {}
        again = traverse(self.datamap, self.stores, subject, loose)
        return {q: len(f.rows) for q, f in again.found.items() if len(f.rows) > len(reach.found[q].rows)}

    def looser_notes(self, subject: Subject, reach: Reach) -> tuple[dict[str, int], list[str]]:
        found = self.looser(subject, reach)
        if not found:
            return found, []
        where = ", ".join(f"{q} ({n} row(s))" for q, n in sorted(found.items()))
        fields = sorted({f"{e.collection}.{e.field} (match: {e.rule})" for e in self.datamap.entry_points
                         if e.rule in LOOSER and e.collection in found})
        return found, [
            f"the map's match rule found nothing where a match ignoring case and spaces finds {where}; "
            f"check whether these are the person's and set match: trim_casefold on {', '.join(fields) or 'the field'}"
        ]

    def access(self, subject: Subject) -> AccessResult:
        """Every row reachable from the subject, with exactly the declared fields."""
        from datetime import UTC, datetime

        reach = self.find(subject)
        _, notes = self.looser_notes(subject, reach)
        return AccessResult(subject, self.datamap, reach, datetime.now(UTC).isoformat(timespec="seconds"), notes)

    def plan(self, subject: Subject | Sequence[Subject], *, keys: int = 0) -> PlanResult:
        """What an erasure would read and change, and what it would keep; changes nothing.

        ``keys``: also list up to that many keys of the rows each collection would touch.
        """
        merged = subject if isinstance(subject, Subject) else merge_subjects(subject)
        reach = self.find(merged)
        planned = plan_work(self.datamap, reach)
        works = {w.unit: w for w in planned}
        outcomes = [self._outcome(q, works.get(q), reach) for q in self._units(planned)]
        if keys:
            for outcome, unit in zip(outcomes, self._units(planned), strict=True):
                work = works.get(unit)
                if work is not None and work.selector.key_columns:
                    outcome.key_columns = list(work.selector.key_columns)
                    outcome.keys = [list(k) for k in sorted(work.selector.keys, key=_key_order)[:keys]]
        scans = [f"{entry.collection}.{entry.field} (match: {entry.rule}) reads the whole table; "
                 f"index: {looked.advice}"
                 for entry, looked in self.lookup_plans().items()
                 if looked is not None and not looked.uses_index and merged.values(entry.identity)]
        _, notes = self.looser_notes(merged, reach)
        return PlanResult(merged.as_dict(), outcomes, reach.statements, scans, notes)

    def _units(self, works: Sequence[CollectionWork]) -> list[str]:
        """Every collection, then the rows of other people that name the subject (mentions)."""
        return [*self.datamap.collections, *(w.unit for w in works if w.part)]

    def _outcome(self, unit: str, work: CollectionWork | None, reach: Reach) -> CollectionOutcome:
        qualified, _, part = unit.partition("#")
        info = self.datamap.collections[qualified]
        outcome = CollectionOutcome(
            collection=qualified, system=info.system,
            fields_read=[f.name for f in info.fields] if not part else [part],
            fields_kept=kept_fields(self.datamap, qualified) if not part else [],
            mentions=part or None,
        )
        if work is None:
            outcome.status = "nothing_found"
            return outcome
        outcome.rows_found = work.rows_found
        outcome.action = "delete" if work.delete else ("mask" if work.masks else "none")
        outcome.fields_masked = {m.field: str(m.strategy) for m in work.masks}
        outcome.fields_masked_where_subject = [m.field for m in work.masks if m.only_where_in is not None]
        outcome.fields_kept = work.kept
        return outcome

    def run_key(self, subject: Subject) -> str:
        text = json.dumps([subject.as_dict(), self.datamap.digest], sort_keys=True)
        return hmac.new(self._secret, text.encode(), hashlib.sha256).hexdigest()[:32]

    def erase(self, subject: Subject | Sequence[Subject], *, run_key: str | None = None) -> ErasureResult:
        """Erase everything reachable from the subject(s); resumes an interrupted run.

        Many subjects run as one set-based pass. The result says, per collection, what
        was found, changed, deleted and kept (with the exception's legal basis), and
        carries the residual check.
        """
        merged = subject if isinstance(subject, Subject) else merge_subjects(subject)
        key = run_key or self.run_key(merged)
        journal = self.journal
        notes: list[str] = []
        previous = journal.unfinished(key)
        resumed = False
        if previous is not None and previous[0] == self.datamap.digest:
            self.check_schema()
            works = [CollectionWork.from_json(w) for w in previous[1]]
            reach: Reach | None = None
            resumed = True
            notes.append("resumed an interrupted run: rows were taken from its journal")
            before_statements = 0
        else:
            if previous is not None:
                notes.append("an interrupted run under another version of the data map was started afresh")
            reach = self.find(merged)
            works = plan_work(self.datamap, reach)
            journal.start(key, self.datamap.digest, [w.to_json() for w in works],
                          sorted({w.system for w in works}))
            before_statements = reach.statements

        targets: dict[str, set[Any]] = {}
        systems: dict[str, dict[str, Any]] = {}
        counts: dict[str, dict[str, int]] = {}
        for system in sorted({w.system for w in works}):
            # a fresh run's steps were all just created pending; only a resumed run has history
            step = journal.step(key, system) if resumed else Step(system, "pending", {}, {})
            for name, values in step.targets.items():
                targets.setdefault(name, set()).update(values)
            if step.state == "done":
                systems[system] = {"status": "done", "resumed": True}
                counts.update(step.outcome.get("counts", {}))
                continue
            run = SystemRun(self.datamap, self.store(system), self.masker, journal, key, self.batch_size)
            try:
                system_counts = run.run([w for w in works if w.system == system], targets, reach)
            except StoreError as exc:
                journal.finished(key, system, "failed", {"error": exc.message})
                systems[system] = {"status": "failed", "error": str(exc)}
                continue
            journal.finished(key, system, "done", {"counts": system_counts})
            self.ledger.record("erasure", key, [w for w in works if w.system == system])
            counts.update(system_counts)
            systems[system] = {"status": "done"}

        by_collection = {w.unit: w for w in works}
        after = traverse(self.datamap, self.stores, merged)
        residual = residual_check(self.datamap, self.stores, works, targets, after, journal)
        loose, loose_notes = self.looser_notes(merged, after)
        if loose:
            # rows the map's rule never found cannot be reported as erased
            residual.ok = False
            residual.found_by_looser_match = loose
            notes.extend(loose_notes)
        outcomes = []
        for qualified in self._units(works):
            work = by_collection.get(qualified)
            outcome = self._outcome(qualified, work, after)
            if work is not None:
                done = systems.get(work.system, {}).get("status") == "done"
                outcome.status = "done" if done else "failed"
                outcome.rows_changed = counts.get(qualified, {}).get("changed", 0)
                outcome.rows_deleted = counts.get(qualified, {}).get("deleted", 0)
            outcomes.append(outcome)

        failed = [s for s, v in systems.items() if v["status"] != "done"]
        if not works and loose:
            status = "incomplete"
        elif not works:
            status = "nothing_found"
        elif failed:
            status = "failed" if len(failed) == len(systems) else "partial"
        elif not residual.ok:
            status = "incomplete"
        else:
            status = "completed"
        if not failed:
            journal.complete(key)
        return ErasureResult(
            subject=merged.as_dict(), status=status, run=key, resumed=resumed, collections=outcomes,
            systems=systems, residual=residual, statements=before_statements + after.statements, notes=notes,
        )

    def restriction_fields(self) -> list[str]:
        """The ``restriction: true`` flags of the map, as ``dataset.collection.field``."""
        return [f"{info.qualified}.{f.name}" for info in self.datamap.collections.values()
                for f in info.fields if f.restriction]

    def restrict(self, subject: Subject, *, lift: bool = False) -> CorrectionResult:
        """Set (or, with ``lift``, clear) every restriction flag on the subject's rows (GDPR
        Art. 18): the data stays, and the company's application stops using it. Reported as a
        correction of the flags; the map must declare at least one."""
        flags = self.restriction_fields()
        if not flags:
            raise CustosError("the data map declares no restriction flag (a field with restriction: true)",
                              option="restriction")
        return self.correct(subject, dict.fromkeys(flags, not lift), confirm_kept=True)

    def correct(
        self, subject: Subject, changes: Mapping[str, Any], *, confirm_kept: bool = False
    ) -> CorrectionResult:
        """Write new values into named fields (``dataset.collection.field``) of the subject's rows.

        An identity field's new value is written in the form its match rule finds (an email
        trimmed and lower-cased, a phone as E.164), so the person stays findable. A field
        kept by an exception (``keep_for``) is only changed with ``confirm_kept``, and the
        result names the exception.
        """
        parsed: dict[str, dict[str, Any]] = {}
        kept: list[KeptField] = []
        for name, value in changes.items():
            qualified, _, field_name = name.rpartition(".")
            info = self.datamap.collections.get(qualified)
            if info is None or info.collection.field(field_name) is None:
                raise CustosError(f"no field {name!r} in the data map (write dataset.collection.field)")
            data_field = info.field(field_name)
            if data_field.primary_key or data_field.references is not None:
                raise CustosError(f"{name} is a key; a correction changes personal data, not keys")
            if data_field.keep_for:
                exception = self.datamap.exceptions[data_field.keep_for]
                if not confirm_kept:
                    raise CustosError(
                        f"{name} is kept under exception {exception.key!r} ({exception.citation()}); "
                        "correcting it needs an explicit confirmation", option="confirm_kept",
                    )
                kept.append(KeptField(field_name, exception.description or exception.key,
                                      exception.key, exception.citation()))
            if data_field.identity and isinstance(value, str):
                value = stored_form(data_field.identity, value, self.datamap.rules.region)
            parsed.setdefault(qualified, {})[field_name] = value
        reach = self.find(subject)
        outcomes = []
        for qualified, fields in parsed.items():
            info = self.datamap.collections[qualified]
            found = reach.found[qualified]
            outcome = CollectionOutcome(collection=qualified, system=info.system, rows_found=len(found.rows),
                                        action="correct", fields_read=sorted(fields),
                                        fields_kept=[k for k in kept if k.field in fields])
            if found.rows:
                columns = self.store(info.system).describe([info.name])[info.name] or {}
                assignments = [Assignment(f, set_constant=True, constant=_typed(columns[f], v), fill_empty=True)
                               for f, v in fields.items()]
                with self.store(info.system).transaction() as tx:
                    outcome.rows_changed = tx.update(info.name, found.selector(), assignments)
                outcome.status = "done"
            else:
                outcome.status = "nothing_found"
            outcomes.append(outcome)
        status = "completed" if any(o.rows_found for o in outcomes) else "nothing_found"
        return CorrectionResult(subject.as_dict(), status, outcomes)


def _typed(column: ColumnInfo, value: Any) -> Any:
    from custos.stores.base import ColumnKind

    if value is None:
        if not column.nullable:
            raise CustosError(f"{column.name} cannot be empty")
        return None
    if column.kind in (ColumnKind.DATE, ColumnKind.DATETIME) and isinstance(value, str):
        from datetime import date, datetime

        try:
            return (date if column.kind is ColumnKind.DATE else datetime).fromisoformat(value)
        except ValueError:
            raise CustosError(f"{column.name} needs an ISO-8601 date, not {value!r}") from None
    converted = coerce(column.kind, value)
    if converted is None:
        raise CustosError(f"{value!r} is not a valid value for {column.name} ({column.type_name})")
    if column.kind.value == "string" and column.length and len(converted) > column.length:
        raise CustosError(f"{column.name} holds at most {column.length} characters")
    return converted


__all__ = ["AccessResult", "Engine"]
