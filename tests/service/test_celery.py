"""Celery wake-ups: the job table stays the source of truth, a message only wakes a worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from custos.service.work import celery_app as celery_jobs
from tests import shop
from tests.service.conftest import Harness


def test_queued_jobs_wake_the_celery_task(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = harness.service.settings.model_copy(update={"broker_url": "memory://"})
    app = celery_jobs.make_celery(settings, task_always_eager=True)
    monkeypatch.setattr(celery_jobs, "worker_service", lambda: harness.service)
    celery_jobs.attach(harness.service, app)
    receipt = harness.submit(type="opt_out_sale_sharing", email=shop.BOB)
    assert harness.status(receipt["id"]) == "completed"


def test_a_real_worker_runs_the_jobs(harness: Harness, tmp_path: Path) -> None:
    broker = os.environ.get("CUSTOS_TEST_REDIS_URL")
    if not broker:
        pytest.skip("a real Celery worker needs CUSTOS_TEST_REDIS_URL (e.g. set by .ci/run); not set here")
    settings = harness.service.settings
    env = {**os.environ, "CUSTOS_BROKER_URL": broker, "CUSTOS_DATABASE_URL": settings.database_url,
           "CUSTOS_DATAMAP": settings.datamap, "CUSTOS_STATE_DIR": settings.state_dir,
           "CUSTOS_OUTBOX_DIR": settings.outbox_dir, "PYTHONPATH": os.pathsep.join(sys.path)}
    script = ("import typer\nfrom custos.cli.service_commands import register\n"
              "app = typer.Typer()\nregister(app)\napp()\n")
    worker = subprocess.Popen([sys.executable, "-c", script, "worker"], env=env, cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        celery_jobs.attach(harness.service, celery_jobs.make_celery(settings.model_copy(update={"broker_url": broker})))
        receipt = harness.submit(type="opt_out_sale_sharing", email=shop.BOB)
        deadline = time.monotonic() + 30
        while harness.status(receipt["id"]) != "completed":
            assert time.monotonic() < deadline, "the worker did not run the job"
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(10)


def test_beat_asks_for_a_sweep_and_the_task_runs_one_when_due(harness: Harness,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from custos.service import sweeps

    settings = harness.service.settings.model_copy(update={"broker_url": "memory://"})
    app = celery_jobs.make_celery(settings, task_always_eager=True)
    schedule = app.conf.beat_schedule["retention"]
    assert schedule["task"] == celery_jobs.SWEEP and schedule["schedule"] == celery_jobs.SWEEP_CHECK_SECONDS
    monkeypatch.setattr(celery_jobs, "worker_service", lambda: harness.service)
    first = app.tasks[celery_jobs.SWEEP].apply().get()
    assert first is not None and sweeps.last(harness.service) is not None
    assert app.tasks[celery_jobs.SWEEP].apply().get() is None  # not due again for a day
