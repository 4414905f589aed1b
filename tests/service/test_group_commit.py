"""Requests that arrive together are written together, and writers in several processes
take turns: nothing is lost, nothing is written twice, and the audit chain stays whole."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from custos.controlplane import AuditEntry, ControlPlane, Identity, Request, VerificationAttempt
from custos.service import audit
from custos.service.errors import InvalidRequestError
from custos.service.requests.intake import Intake, create_many
from tests.conftest import Databases
from tests.service.conftest import Harness


def test_concurrent_requests_are_all_recorded_in_fewer_transactions(harness: Harness) -> None:
    sent = 48
    answers: list[tuple[int, dict[str, Any]]] = []
    lock = threading.Lock()

    def submit(n: int) -> None:
        answer = harness.client.post("/v1/requests", json={"type": "access", "email": f"together-{n}@example.com"})
        with lock:
            answers.append((answer.status_code, answer.json()))

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(sent)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [status for status, _ in answers] == [202] * sent
    assert len({body["id"] for _, body in answers}) == sent
    assert harness.service.intake.batches < sent  # some arrived together and shared a commit
    with harness.service.plane.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Request)) == sent
        assert session.scalar(sa.select(sa.func.count()).select_from(Identity)) == sent
        assert session.scalar(sa.select(sa.func.count()).select_from(VerificationAttempt)) == sent
        received = session.scalars(sa.select(AuditEntry.request_id).where(AuditEntry.action == "request.received"))
        assert sorted(received) == sorted(body["id"] for _, body in answers)
        assert audit.verify(session).ok
    for n in range(sent):  # every person got one mail: the acknowledgement with the code
        assert [m["X-Custos-Mail"] for m in harness.mails(f"together-{n}@example.com")] == ["code"]


def test_a_bad_request_in_a_batch_fails_alone(harness: Harness) -> None:
    good = Intake(type="access", identities={"email": "good-one@example.com"})
    unknown_law = Intake(type="access", identities={"email": "law@example.com"}, jurisdiction="atlantis")
    no_email = Intake(type="erasure", identities={"phone": "+14155550123"})
    results = create_many(harness.service, [unknown_law, good, no_email])
    assert isinstance(results[0], InvalidRequestError) and "atlantis" in str(results[0])
    assert isinstance(results[2], InvalidRequestError) and "email" in str(results[2])
    created = results[1]
    assert not isinstance(created, BaseException) and created[0].status == "identity_unverified"
    with harness.service.plane.read() as session:
        emails = {harness.service.vault.decrypt_text(i.value_encrypted) for i in session.scalars(sa.select(Identity))}
        assert emails == {"good-one@example.com"}
        assert session.scalar(sa.select(sa.func.count()).select_from(Request)) == 1
        assert audit.verify(session).ok


def _append_many(url: str, worker: int, count: int) -> None:
    plane = ControlPlane(url)
    try:
        for n in range(count):
            with plane.write() as session:
                audit.append(session, "test.entry", actor=f"process-{worker}", detail={"n": n})
    finally:
        plane.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_writers_in_several_processes_take_turns(kind: str, tmp_path: Path) -> None:
    databases = Databases(kind, tmp_path)
    try:
        url = databases.new() if kind != "sqlite" else f"sqlite:///{tmp_path / 'custos.db'}"
        plane = ControlPlane(url)
        plane.migrate()
        workers, each = 3, 40
        context = multiprocessing.get_context("spawn")
        processes = [context.Process(target=_append_many, args=(url, w, each)) for w in range(workers)]
        for process in processes:
            process.start()
        for process in processes:
            process.join(120)
        assert [p.exitcode for p in processes] == [0] * workers  # no writer failed on a busy database
        with plane.read() as session:
            report = audit.verify(session)
            actors = session.scalars(sa.select(AuditEntry.actor)).all()
        plane.close()
        assert report.ok, report.problems
        assert report.entries == workers * each
        assert sorted(set(actors)) == [f"process-{w}" for w in range(workers)]
    finally:
        databases.close()
