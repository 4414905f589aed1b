"""Queued work in the control-plane store, and the in-process runner that does it.

A job is claimed in its own transaction, run, then marked done; a failure is retried with
a growing delay up to ``CUSTOS_JOB_ATTEMPTS`` times and then marked failed, and a request
whose execution failed becomes ``failed`` (visible in the queue, retryable by an operator),
never silently completed. ``run_pending`` does the work synchronously (tests, ``custos
worker``); ``JobRunner`` runs it in a background thread of ``custos serve``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos import plugins
from custos.controlplane import Job
from custos.service import audit
from custos.service.core import Service
from custos.service.work.polling import Poller

log = logging.getLogger("custos.service.work.jobs")

Handler = Callable[[Service, Job], None]


def enqueue(session: Session, service: Service, kind: str, request_id: str | None, payload: dict[str, Any]) -> Job:
    """Queue a job in ``session``'s transaction: it runs only if the transaction commits."""
    moment = service.clock()
    session.flush()  # the request it names is written first (the two tables have no relationship to order them)
    job = Job(kind=kind, request_id=request_id, payload=payload, status="queued", attempts=0,
              max_attempts=service.settings.job_attempts, run_after=moment, created_at=moment,
              updated_at=moment)
    session.add(job)
    session.flush()
    _wake_after_commit(session, service, 0)
    return job


def _wake_after_commit(session: Session, service: Service, delay: float) -> None:
    wake = service.wake
    if wake is not None:
        session.info.setdefault("after_commit", []).append(lambda: wake(delay))


def handlers() -> dict[str, Handler]:
    """The job handlers the plug-ins give (``custos_job_handlers``), by job kind."""
    found: dict[str, Handler] = plugins.merged(plugins.hook().custos_job_handlers())
    return found


def _worker() -> str:
    """This process, as a job's lease names it (asked each time: a forked worker is another process)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


def _lease(service: Service) -> timedelta:
    return timedelta(seconds=service.settings.job_lease_seconds)


def _lapsed(moment: Any) -> sa.ColumnElement[bool]:
    """Running under a lease that ran out: its worker died."""
    return sa.and_(Job.status == "running", Job.lease_until.is_not(None), Job.lease_until < moment)


def _due(moment: Any) -> sa.ColumnElement[bool]:
    """Queued and due, or lapsed."""
    return sa.or_(sa.and_(Job.status == "queued", Job.run_after <= moment), _lapsed(moment))


def claim(service: Service) -> Job | None:
    """Take the oldest due job under a lease, marking it running; ``None`` when nothing is due.

    A running job whose lease has lapsed is taken again: its worker died (``kill -9``, a
    crash, a lost machine). It counts as an attempt, and an erasure resumes from its journal.
    """
    moment = service.clock()
    with service.plane.write() as session:
        job = session.scalars(
            sa.select(Job).where(_due(moment)).order_by(Job.id).limit(1).with_for_update(skip_locked=True)
        ).first()
        if job is None:
            return None
        if job.status == "running":
            audit.append(session, "job.reclaimed", actor="system", request_id=job.request_id,
                         detail={"job": job.id, "kind": job.kind, "worker": job.worker,
                                 "lease_until": job.lease_until.isoformat() if job.lease_until else None})
            if job.attempts >= job.max_attempts:
                job.max_attempts = job.attempts + 1  # a death is not the job's failure: one more try
        job.status = "running"
        job.attempts += 1
        job.updated_at = moment
        job.lease_until = moment + _lease(service)
        job.worker = _worker()
        return job


class Heartbeat:
    """Renews a running job's lease every third of its length until the work ends."""

    def __init__(self, service: Service, job_id: int) -> None:
        self.service, self.job_id = service, job_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"custos-job-{job_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _beat(self) -> None:
        interval = self.service.settings.job_lease_seconds / 3
        while not self._stop.wait(interval):
            try:
                with self.service.plane.write() as session:
                    session.execute(sa.update(Job).where(Job.id == self.job_id, Job.status == "running",
                                                         Job.worker == _worker())
                                    .values(lease_until=self.service.clock() + _lease(self.service)))
            except Exception as exc:  # a missed beat only shortens the lease; the work goes on
                log.warning("could not renew the lease of job %s: %s", self.job_id, exc)


def run_pending(service: Service, limit: int | None = None) -> int:
    """Run due jobs until none is left (or ``limit`` ran); returns how many ran."""
    table = handlers()
    ran = 0
    while limit is None or ran < limit:
        job = claim(service)
        if job is None:
            break
        ran += 1
        try:
            with Heartbeat(service, job.id):
                table[job.kind](service, job)
        except Exception as exc:  # a job's failure must be recorded, whatever it was
            log.warning("job %s (%s) failed: %s", job.id, job.kind, exc)
            _failed(service, job, f"{type(exc).__name__}: {exc}")
        else:
            with service.plane.write() as session:
                stored = session.get(Job, job.id)
                assert stored is not None
                stored.status, stored.updated_at, stored.lease_until = "done", service.clock(), None
    return ran


def _failed(service: Service, job: Job, error: str) -> None:
    from custos.service.requests.lifecycle import load, transition

    with service.plane.write() as session:
        stored = session.get(Job, job.id)
        assert stored is not None
        stored.last_error = error[:2000]
        stored.updated_at = service.clock()
        stored.lease_until = None
        if stored.attempts < stored.max_attempts:
            stored.status = "queued"
            stored.run_after = service.clock() + timedelta(seconds=2 ** stored.attempts)
            _wake_after_commit(session, service, 2 ** stored.attempts)
            audit.append(session, "job.retry", actor="system", request_id=job.request_id,
                         detail={"job": job.id, "kind": job.kind, "attempt": stored.attempts, "error": error[:500]})
            return
        stored.status = "failed"
        audit.append(session, "job.failed", actor="system", request_id=job.request_id,
                     detail={"job": job.id, "kind": job.kind, "attempts": stored.attempts, "error": error[:500]})
        if job.kind == "execute" and job.request_id:
            request = load(session, job.request_id)
            if request.status == "in_progress":
                transition(session, service, request, "failed", actor="system", error=error[:500])


def retry(service: Service, request_id: str, *, actor: str) -> None:
    """Run a failed request again (an erasure resumes where it stopped)."""
    from custos.service.errors import ConflictError
    from custos.service.requests.lifecycle import load, transition

    with service.plane.write() as session:
        request = load(session, request_id)
        if request.status == "in_progress" and stuck(session, service, request_id):
            # its worker died: the lapsed job is closed and the request runs again at once
            for job in stuck(session, service, request_id):
                job.status, job.lease_until, job.updated_at = "failed", None, service.clock()
                job.last_error = "its worker stopped before it finished; retried by an operator"
            audit.append(session, "job.retry_stuck", actor=actor, request_id=request_id, detail={})
            enqueue(session, service, "execute", request.id, {"retry": True})
            return
        if request.status != "failed":
            raise ConflictError(f"only a failed or stuck request can be retried; this one is {request.status}")
        transition(session, service, request, "in_progress", actor=actor, retry=True)
        enqueue(session, service, "execute", request.id, {"retry": True})


def stuck(session: Session, service: Service, request_id: str | None = None) -> list[Job]:
    """Running jobs whose lease ran out: their worker died and nobody has taken them again yet."""
    query = sa.select(Job).where(_lapsed(service.clock()))
    if request_id is not None:
        query = query.where(Job.request_id == request_id)
    return list(session.scalars(query.order_by(Job.id)))


class JobRunner(Poller):
    """A background thread that runs due jobs, polling the store when idle."""

    def __init__(self, service: Service, interval: float = 0.5) -> None:
        self.service = service
        super().__init__("custos-jobs", lambda: run_pending(service, limit=20), interval)
