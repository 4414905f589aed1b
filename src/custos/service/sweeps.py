"""Retention sweeps as the service runs them: recorded, audited, on a schedule.

A sweep runs under the engine lock (one at a time with requests), honours the active
legal holds, and records its report (counts per collection, never values) as a
``RetentionRun`` and in the audit log. The worker asks ``due`` on every turn: a sweep
is due once ``retention_every_hours`` have passed since the last one that finished, or
``retention_retry_minutes`` after one that failed, so a store that was unreachable is
tried again without waiting a day.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from custos.controlplane import Identity, Request, RetentionRun
from custos.engine.ledger import ReplayReport
from custos.engine.minors import find_minors
from custos.engine.replay import replay
from custos.engine.retention import Retention, RetentionReport
from custos.errors import CustosError
from custos.service import audit, holds
from custos.service.core import Service
from custos.service.requests.intake import Intake, create
from custos.service.requests.lifecycle import OPEN


def plan(service: Service) -> RetentionReport:
    """What a sweep now would do (nothing changes, nothing is recorded)."""
    with service.engine_lock:
        return Retention(service.engine).plan(service.clock(), holds.engine_holds(service))


def run(service: Service, *, trigger: str, actor: str = "system") -> tuple[RetentionRun, RetentionReport | None]:
    """Sweep the stores now; the run is recorded whatever happens."""
    moment = service.clock()
    run_id = str(uuid.uuid4())
    with service.plane.write() as session:
        record = RetentionRun(id=run_id, trigger=trigger, status="running", started_at=moment)
        session.add(record)
        audit.append(session, "retention.started", actor=actor, at=moment, detail={"run": run_id, "trigger": trigger})
    report: RetentionReport | None = None
    error: str | None = None
    found_minors: MinorsReport | None = None
    try:
        with service.engine_lock:
            report = Retention(service.engine).run(moment, run_id, holds.engine_holds(service))
        found_minors = minors(service, actor=actor)
    except CustosError as exc:
        error = exc.message
    finished = service.clock()
    if report is not None and not report.ok:
        failed = [f"{r.collection} ({r.purpose}): {r.error or f'{r.remaining} row(s) still hold data'}"
                  for r in report.rules if r.status == "failed" or r.remaining]
        error = "; ".join([*failed, *([error] if error else [])])
    status = "done" if report is not None and report.ok and error is None else "failed"
    with service.plane.write() as session:
        found = session.get(RetentionRun, run_id)
        assert found is not None
        record = found
        record.status, record.finished_at, record.error = status, finished, error
        record.report = report.to_dict() if report is not None else None
        if record.report is not None and found_minors is not None:
            record.report["minors"] = found_minors.to_dict()
        detail: dict[str, object] = {"run": run_id, "status": status, "error": error}
        if found_minors is not None:
            detail["minors"] = found_minors.to_dict()
        if report is not None:
            detail["totals"] = report.totals()
            detail["collections"] = {f"{r.collection}:{r.purpose}": {
                "due": r.due, "deleted": r.deleted, "anonymized": r.anonymized, "held": r.held,
                "status": r.status} for r in report.rules if r.due or r.status != "done"}
        audit.append(session, "retention.run", actor=actor, at=finished, detail=detail)
        session.flush()
        session.expunge(record)
    return record, report


def last(service: Service) -> RetentionRun | None:
    with service.plane.read() as session:
        record = session.scalars(sa.select(RetentionRun).where(RetentionRun.status != "running")
                                 .order_by(RetentionRun.started_at.desc()).limit(1)).first()
        if record is not None:
            session.expunge(record)
        return record


def next_at(service: Service) -> datetime:
    """When the next scheduled sweep is due."""
    previous = last(service)
    if previous is None:
        return service.clock()
    settings = service.settings
    wait = (timedelta(minutes=settings.retention_retry_minutes) if previous.status == "failed"
            else timedelta(hours=settings.retention_every_hours))
    return (previous.finished_at or previous.started_at) + wait


def due(service: Service) -> bool:
    return next_at(service) <= service.clock()


def run_if_due(service: Service) -> RetentionRun | None:
    """The worker's turn: sweep when the schedule says so (a map without retention never sweeps)."""
    if not due(service):
        return None
    resolution = Retention(service.engine).resolution
    if not resolution.rules and not resolution.problems:
        return None  # the map sets no retention period
    record, _ = run(service, trigger="schedule")
    return record


def replay_ledger(service: Service, since: datetime, *, actor: str) -> ReplayReport:
    """Re-apply every erasure and retention change since ``since`` (stores restored from a backup)."""
    with service.engine_lock:
        engine = service.engine
        report = replay(engine, engine.ledger, since)
    with service.plane.write() as session:
        audit.append(session, "ledger.replayed", actor=actor, at=service.clock(),
                     detail={"since": since, **report.to_dict()})
    return report


@dataclass
class MinorsReport:
    age: int
    source: str
    found: int = 0
    erased: int = 0
    reviews_opened: int = 0
    already_open: int = 0
    held: int = 0
    by_collection: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def age_limit(service: Service) -> tuple[int, str] | None:
    """The highest age limit of the organisation's rule sets, with its provision."""
    limits = [(r.children.age, r.children.source) for r in (service.rule_set(k) for k in service.jurisdictions)
              if r.children is not None]
    return max(limits) if limits else None


def minors(service: Service, *, dry_run: bool = False, actor: str = "system") -> MinorsReport | None:
    """Find people under the age limit without a parent's consent; erase them or open an
    erasure request for an operator to review, as the map says. ``None``: the map looks for nobody."""
    limit = age_limit(service)
    if limit is None or not any(c.collection.minors for c in service.datamap.collections.values()):
        return None
    report = MinorsReport(*limit)
    moment = service.clock()
    with service.engine_lock:
        found = find_minors(service.engine, moment.date(), report.age)
    active = holds.active(service)
    seen: set[frozenset[str]] = set()
    for minor in found:
        hmacs = frozenset(service.vault.lookup_hash(k, v) for k, values in minor.subject.identities.items()
                          for v in values)
        if hmacs in seen:
            continue
        seen.add(hmacs)
        report.found += 1
        report.by_collection[minor.collection] = report.by_collection.get(minor.collection, 0) + 1
        if holds.holding_person(active, set(hmacs)):
            report.held += 1
            continue
        if dry_run:
            continue
        if minor.then == "erase":
            with service.engine_lock:
                if holds.blocking_erasure(service, set(hmacs), minor.subject, active):
                    report.held += 1
                    continue
                result = service.engine.erase(minor.subject, run_key="minor:" + min(hmacs))
            report.erased += 1
            with service.plane.write() as session:
                audit.append(session, "minor.erased", actor=actor, at=service.clock(),
                             detail={"collection": minor.collection, "status": result.status,
                                     "rows_changed": result.rows_changed, "rows_deleted": result.rows_deleted,
                                     "age_limit": report.age, "source": report.source})
            continue
        if _open_review(service, set(hmacs)):
            report.already_open += 1
            continue
        identities = {k: sorted(v)[0] for k, v in minor.subject.identities.items()}
        created, _token, _mails = create(service, Intake(
            type="erasure", identities=identities, source="minors", pre_verified=True,
            verified_level="controller", needs_approval=True, acknowledge=False,
            statement=f"Found under the age of {report.age} without a parent's consent ({report.source})"))
        report.reviews_opened += 1
        with service.plane.write() as session:
            audit.append(session, "minor.review_opened", actor=actor, request_id=created.id, at=service.clock(),
                         detail={"collection": minor.collection, "age_limit": report.age, "source": report.source})
    return report


def _open_review(service: Service, hmacs: set[str]) -> bool:
    with service.plane.read() as session:
        count = session.scalar(
            sa.select(sa.func.count()).select_from(Request).join(Identity, Identity.request_id == Request.id)
            .where(Request.source == "minors", Request.status.in_(sorted(OPEN)),
                   Identity.value_hmac.in_(sorted(hmacs))))
        return bool(count)
