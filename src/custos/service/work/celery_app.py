"""Celery workers for scale-out deployments (``CUSTOS_BROKER_URL`` set).

The job table stays the source of truth: a Celery message only wakes a worker, which
then claims due jobs from the control-plane store exactly as the in-process runner does
(so a lost or duplicated message loses or repeats no work). ``custos serve`` sends the
wake-up after each commit that queued a job; retries are woken after their delay.
Plug-ins' tasks (``custos.hooks.Task``: authorized agents' status callbacks, which follow
the requests' state rather than a queue) run in background threads of the worker.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from celery import Celery  # type: ignore[import-untyped]
from celery.signals import worker_ready  # type: ignore[import-untyped]

from custos.config import Settings, get_settings
from custos.service.core import Service

TASK = "custos.run_jobs"
SWEEP = "custos.retention_sweep"
#: how often beat asks whether a retention sweep is due (the control plane keeps the schedule)
SWEEP_CHECK_SECONDS = 300.0


def make_celery(settings: Settings, **config: Any) -> Celery:
    """The Celery application for ``settings.broker_url`` with the job task registered."""
    app = Celery("custos", broker=settings.broker_url)
    app.conf.update(task_ignore_result=True, worker_prefetch_multiplier=1, task_acks_late=True,
                    broker_connection_retry_on_startup=True, **config)

    app.task(name=TASK)(run_jobs)
    app.task(name=SWEEP)(retention_sweep)
    app.conf.beat_schedule = {"retention": {"task": SWEEP, "schedule": SWEEP_CHECK_SECONDS}}
    return app


def retention_sweep() -> str | None:
    """The beat task: sweep the stores when the schedule says a sweep is due."""
    from custos.service import sweeps

    record = sweeps.run_if_due(worker_service())
    return record.id if record is not None else None


def run_jobs() -> int:
    """The Celery task: run the due jobs of the control-plane store."""
    from custos.service.work.jobs import run_pending

    return run_pending(worker_service())


@lru_cache(maxsize=1)
def worker_service() -> Service:
    """The worker process's service, built once from the environment."""
    return Service(get_settings())


def attach(service: Service, app: Celery) -> None:
    """Make ``service`` wake Celery workers when it queues a job."""

    def wake(delay: float) -> None:
        app.tasks[TASK].apply_async(countdown=delay or None)

    service.wake = wake


@worker_ready.connect  # type: ignore[untyped-decorator]
def _catch_up(sender: Any = None, **_: Any) -> None:
    """Run what was queued while no worker listened."""
    if sender is not None and TASK in sender.app.tasks:
        sender.app.send_task(TASK)


def run_worker(settings: Settings, concurrency: int = 1, beat: bool = True) -> None:
    """Start a Celery worker in this process (blocks), running the plug-ins' tasks beside it;
    with ``beat``, it also runs the schedule of retention sweeps (run it in one worker only)."""
    from custos.service.http.app import task_runners

    app = make_celery(settings)
    runners = task_runners(worker_service())
    for runner in runners:
        runner.start()
    try:
        schedule = Path(settings.state_dir) / "celerybeat-schedule"
        schedule.parent.mkdir(parents=True, exist_ok=True)
        app.worker_main(["worker", "--loglevel=INFO", f"--concurrency={concurrency}", "--pool=threads",
                         *(["--beat", f"--schedule={schedule}"] if beat else [])])
    finally:
        for runner in reversed(runners):
            runner.stop()
