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
from datetime import datetime, timedelta

import sqlalchemy as sa

from custos.engine.retention import Retention, RetentionReport
from custos.errors import CustosError
from custos.service import audit, holds
from custos.service.context import Service
from custos.store import RetentionRun


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
    try:
        with service.engine_lock:
            report = Retention(service.engine).run(moment, run_id, holds.engine_holds(service))
    except CustosError as exc:
        error = exc.message
    finished = service.clock()
    status = "done" if report is not None and report.ok else "failed"
    if report is not None and not report.ok:
        failed = [f"{r.collection} ({r.purpose}): {r.error or f'{r.remaining} row(s) still hold data'}"
                  for r in report.rules if r.status == "failed" or r.remaining]
        error = "; ".join(failed)
    with service.plane.write() as session:
        found = session.get(RetentionRun, run_id)
        assert found is not None
        record = found
        record.status, record.finished_at, record.error = status, finished, error
        record.report = report.to_dict() if report is not None else None
        detail: dict[str, object] = {"run": run_id, "status": status, "error": error}
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
