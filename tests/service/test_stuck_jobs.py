"""A job whose process dies is never stuck: its lease runs out, it runs again, and the request
is answered. Tested with a real ``kill -9`` of a worker process on SQLite and PostgreSQL
control planes, and of a Celery worker."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from custos.controlplane import Job, Request
from tests import shop
from tests.service.conftest import Harness
from tests.service.test_lifecycle import ALICE_POINTS, DECLARATION, WRITE


def _worker_that_hangs(settings: dict[str, Any], ready: str) -> None:
    """A worker process that takes the job and then hangs inside it, until it is killed."""
    from custos import plugins
    from custos.config import get_settings
    from custos.hooks import hookimpl
    from custos.server import create_app
    from custos.service.work.jobs import run_pending

    def hang(service: Any, job: Any) -> None:
        Path(ready).write_text(str(job.id))
        time.sleep(3600)

    class Hanging:  # a plug-in whose handler replaces the built-in one for request jobs
        @hookimpl
        def custos_job_handlers(self) -> dict[str, Any]:
            return {"execute": hang}

    plugins.register(Hanging())
    app = create_app(get_settings(**settings), run_jobs=False, migrate=False)
    run_pending(app.state.service)


def approved_erasure(harness: Harness) -> str:
    receipt = harness.submit(type="erasure", email=shop.ALICE)
    harness.verify(receipt, shop.ALICE, data_points=ALICE_POINTS, declaration=DECLARATION)
    approved = harness.client.post(f"/v1/admin/requests/{receipt['id']}/approve", headers=harness.key(*WRITE))
    assert approved.json()["status"] == "in_progress"
    return str(receipt["id"])


def kill_a_worker_mid_job(harness: Harness, tmp_path: Path) -> int:
    settings = harness.service.settings
    values = {"database_url": settings.database_url, "datamap": str(settings.datamap),
              "state_dir": settings.state_dir, "outbox_dir": settings.outbox_dir,
              "public_url": settings.public_url, "secret_key": settings.secret_key}
    ready = tmp_path / "ready"
    process = multiprocessing.get_context("spawn").Process(target=_worker_that_hangs, args=(values, str(ready)))
    process.start()
    deadline = time.monotonic() + 60
    while not ready.exists() and time.monotonic() < deadline and process.is_alive():
        time.sleep(0.05)
    assert ready.exists(), "the worker never took the job"
    assert process.pid is not None
    os.kill(process.pid, signal.SIGKILL)
    process.join(10)
    return int(ready.read_text())


def killed_mid_erasure(harness: Harness, tmp_path: Path) -> tuple[str, datetime]:
    """An approved erasure whose worker was killed: the request id and the job's lease end."""
    request_id = approved_erasure(harness)
    job_id = kill_a_worker_mid_job(harness, tmp_path)
    with harness.service.plane.read() as session:
        job = session.get(Job, job_id)
        assert job is not None and job.status == "running" and job.lease_until is not None
        return request_id, job.lease_until


def test_a_job_whose_worker_was_killed_runs_again_after_its_lease(any_harness: Harness, tmp_path: Path) -> None:
    harness = any_harness
    request_id, lease_until = killed_mid_erasure(harness, tmp_path)
    # within the lease nobody takes it: the worker might only be slow
    harness.clock.now = datetime.now(UTC)
    assert harness.run_jobs() == 0
    # once the lease has run out it is due again, and the erasure is done
    harness.clock.now = lease_until + timedelta(seconds=1)
    assert harness.run_jobs() == 2  # the erasure, then the notice to the carrier that received her data
    detail = harness.client.get(f"/v1/admin/requests/{request_id}", headers=harness.key(*WRITE)).json()
    assert detail["status"] == "completed"
    entries = harness.client.get("/v1/admin/audit", params={"request_id": request_id},
                                 headers=harness.key("audit:read")).json()
    assert "job.reclaimed" in [e["action"] for e in entries]


def test_an_operator_can_retry_a_stuck_request(any_harness: Harness, tmp_path: Path) -> None:
    harness = any_harness
    request_id, lease_until = killed_mid_erasure(harness, tmp_path)
    harness.clock.now = lease_until + timedelta(seconds=1)
    queue = harness.client.get("/v1/admin/requests", headers=harness.key(*WRITE)).json()
    assert [item["stuck"] for item in queue if item["id"] == request_id] == [True]  # the operator sees it
    answer = harness.client.post(f"/v1/admin/requests/{request_id}/retry", headers=harness.key(*WRITE))
    assert answer.status_code == 200, answer.text  # it answered 409 "only a failed request" before
    assert harness.run_jobs() == 2  # the erasure, then the notice to the carrier that received her data
    with harness.service.plane.read() as session:
        request = session.get(Request, request_id)
        assert request is not None and request.status == "completed"
        jobs = session.scalars(sa.select(Job).where(Job.request_id == request_id, Job.kind == "execute")
                               .order_by(Job.id)).all()
        assert [j.status for j in jobs] == ["failed", "done"]


HANGING_CELERY_WORKER = """
import os, pathlib, time
from custos import plugins
from custos.hooks import hookimpl

class Hanging:  # the erasure job takes its lease, says so, and hangs until the process is killed
    @hookimpl
    def custos_job_handlers(self):
        def hang(service, job):
            pathlib.Path(os.environ["READY_FILE"]).write_text(str(job.id))
            time.sleep(3600)
        return {"execute": hang}

plugins.register(Hanging())
import typer
from custos.cli.service_commands import register
app = typer.Typer()
register(app)
app()
"""


def test_a_job_whose_celery_worker_was_killed_runs_again_after_its_lease(any_harness: Harness,
                                                                        tmp_path: Path) -> None:
    broker = os.environ.get("CUSTOS_TEST_REDIS_URL")
    if not broker:
        pytest.skip("a real Celery worker needs CUSTOS_TEST_REDIS_URL (e.g. set by .ci/run); not set here")
    harness = any_harness
    request_id = approved_erasure(harness)
    settings = harness.service.settings
    ready = tmp_path / "ready"
    env = {**os.environ, "CUSTOS_BROKER_URL": broker, "CUSTOS_DATABASE_URL": settings.database_url,
           "CUSTOS_DATAMAP": settings.datamap, "CUSTOS_STATE_DIR": settings.state_dir,
           "CUSTOS_OUTBOX_DIR": settings.outbox_dir, "CUSTOS_PUBLIC_URL": settings.public_url,
           "READY_FILE": str(ready), "PYTHONPATH": os.pathsep.join(sys.path)}
    worker = subprocess.Popen([sys.executable, "-c", HANGING_CELERY_WORKER, "worker", "--no-beat"], env=env,
                              cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.1)
        assert ready.exists(), "the Celery worker never took the job"
    finally:
        worker.send_signal(signal.SIGKILL)  # kill -9 mid-job: no clean-up runs
        worker.wait(10)
    job_id = int(ready.read_text())
    with harness.service.plane.read() as session:
        job = session.get(Job, job_id)
        assert job is not None and job.status == "running" and job.lease_until is not None
        lease_until = job.lease_until
    harness.clock.now = lease_until + timedelta(seconds=1)
    assert harness.run_jobs() == 2  # the erasure, then the notice to the carrier that received her data
    assert harness.status(request_id) == "completed"
