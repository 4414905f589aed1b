"""The scan as the service runs it: asked for over the API or the console, or on a schedule,
run as a job with its progress recorded per table, the report kept, every step audited."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from custos.controlplane import Job
from custos.discovery.drift import Drift, drift
from custos.discovery.models import Scan
from custos.discovery.scan import DEFAULT_SAMPLE, ScanReport, scan
from custos.errors import CustosError
from custos.service import audit
from custos.service.core import Service
from custos.service.errors import ConflictError, InvalidRequestError, NotFoundError
from custos.service.work.jobs import enqueue
from custos.stores import Store, open_store

JOB = "discovery.scan"
_OPEN = ("queued", "running")


def request(service: Service, *, actor: str, systems: list[str] | None = None, sample: int = DEFAULT_SAMPLE,
            all_tables: bool = False, trigger: str = "request") -> Scan:
    """Queue a scan; one scan runs at a time, so asking while one is open is refused."""
    unknown = sorted(set(systems or ()) - set(service.datamap.systems))
    if unknown:
        raise InvalidRequestError(f"the data map has no system {', '.join(unknown)}")
    if not 1 <= sample <= 100_000:
        raise InvalidRequestError(f"sample must be between 1 and 100000 rows, not {sample}")
    moment = service.clock()
    with service.plane.write() as session:
        running = session.scalars(sa.select(Scan).where(Scan.status.in_(_OPEN)).limit(1)).first()
        if running is not None:
            raise ConflictError(f"scan {running.id} is still {running.status}; wait for it to finish")
        record = Scan(status="queued", trigger=trigger, systems=list(systems or service.datamap.systems),
                      sample=sample, all_tables=all_tables, progress={"done": 0, "total": None, "table": None},
                      requested_by=actor, created_at=moment)
        session.add(record)
        session.flush()
        enqueue(session, service, JOB, None, {"scan": record.id})
        audit.append(session, "scan.requested", actor=actor, at=moment,
                     detail={"scan": record.id, "systems": record.systems, "sample": sample,
                             "all_tables": all_tables, "trigger": trigger})
        session.expunge(record)
    return record


def run(service: Service, job: Job) -> None:
    """Job handler: scan, recording progress after each table and the report at the end."""
    scan_id = str((job.payload or {}).get("scan", ""))
    record = load(service, scan_id)
    with service.plane.write() as session:
        stored = session.get(Scan, scan_id)
        assert stored is not None
        stored.status, stored.started_at = "running", service.clock()
    stores: dict[str, Store] = {}
    lock = threading.Lock()

    def store_of(system: str) -> Store:
        with lock:
            if system not in stores:
                stores[system] = open_store(system, service.datamap.systems[system].url)
            return stores[system]

    def progress(system: str, table: str, done: int, total: int) -> None:
        with service.plane.write() as session:
            stored = session.get(Scan, scan_id)
            if stored is not None:
                stored.progress = {"done": done, "total": total, "table": f"{system}.{table}" if table else None}

    report: ScanReport | None = None
    found: list[Drift] = []
    error: str | None = None
    try:
        report = scan(service.datamap, store_of, systems=record.systems, sample=record.sample,
                      all_tables=record.all_tables, progress=progress)
        found = drift(service.datamap, report)
    except CustosError as exc:
        error = exc.message
    finally:
        for store in stores.values():
            store.close()
    with service.plane.write() as session:
        stored = session.get(Scan, scan_id)
        assert stored is not None
        stored.finished_at = service.clock()
        stored.status = "done" if report is not None else "failed"
        stored.error = error
        if report is not None:
            stored.report = report.to_dict()
            stored.drift = [d.to_dict() for d in found]
            stored.drift_count = len(found)
        audit.append(session, "scan.completed" if report is not None else "scan.failed", actor="system",
                     at=stored.finished_at,
                     detail={"scan": scan_id, "tables": len(report.tables) if report else 0,
                             "drift": len(found), "kinds": sorted({d.kind for d in found}), "error": error})


def load(service: Service, scan_id: str) -> Scan:
    with service.plane.read() as session:
        record = session.get(Scan, scan_id)
        if record is None:
            raise NotFoundError(f"no scan {scan_id}")
        session.expunge(record)
        return record


def recent(service: Service, limit: int = 20) -> list[Scan]:
    with service.plane.read() as session:
        records = list(session.scalars(sa.select(Scan).order_by(Scan.created_at.desc()).limit(limit)))
        for record in records:
            session.expunge(record)
        return records


def latest(service: Service) -> Scan | None:
    """The last scan that finished (its report is what the console shows)."""
    with service.plane.read() as session:
        record = session.scalars(sa.select(Scan).where(Scan.status == "done")
                                 .order_by(Scan.finished_at.desc()).limit(1)).first()
        if record is not None:
            session.expunge(record)
        return record


def report_of(record: Scan) -> tuple[ScanReport, list[Drift]] | None:
    if record.report is None:
        return None
    drifts = [Drift(**item) for item in (record.drift or [])]
    return ScanReport.from_dict(record.report), drifts


def scheduled(service: Service) -> int:
    """The worker's turn: queue a scan when ``scan_every_hours`` have passed since the last one."""
    every = service.settings.scan_every_hours
    if not every:
        return 0
    with service.plane.read() as session:
        last: Any = session.scalars(sa.select(Scan).order_by(Scan.created_at.desc()).limit(1)).first()
        if last is not None and (last.status in _OPEN or last.created_at + timedelta(hours=every) > service.clock()):
            return 0
    try:
        request(service, actor="system", trigger="schedule")
    except ConflictError:
        return 0
    return 1
