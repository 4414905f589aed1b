"""Choices written together: one transaction and one audit entry for many, nothing lost, state cached."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa

from custos.consent import proof
from custos.consent.models import ConsentEvent
from custos.consent.submission import Submission, write_batch
from custos.controlplane import AuditEntry
from custos.service import audit
from custos.service.errors import InvalidRequestError
from tests.consent.conftest import Harness


def item(subject: str, choices: dict[str, bool], **extra: Any) -> Submission:
    values: dict[str, Any] = {"method": "banner", "notice_version": None, "user_agent": "UA/1", "signal": None}
    values.update(extra)
    return Submission(subject=subject, choices=choices, **values)


def test_a_batch_is_one_audit_entry_covering_every_choice(harness: Harness) -> None:
    results = write_batch(harness.consent, [
        item("device-batch-0001", {"analytics": True}),
        item("device-batch-0002", {"analytics": False, "advertising": False}),
        item("device-batch-0001", {"analytics": False}),  # the same subject twice: the later wins
        item("device-batch-0003", {"nonsense": True}),  # refused alone
        item("device-batch-0004", {}, signal="gpc"),
    ])
    assert isinstance(results[3], InvalidRequestError)
    first, second, third, _, fourth = results
    assert not isinstance(first, BaseException) and not isinstance(third, BaseException)
    assert not isinstance(second, BaseException) and not isinstance(fourth, BaseException)
    assert third.state["analytics"].granted is False and first.recorded == 1 and second.recorded == 2
    assert fourth.recorded == 4 and all(not s.granted for s in fourth.state.values())
    with harness.consent.service.plane.read() as session:
        events = session.scalars(sa.select(ConsentEvent).order_by(ConsentEvent.id)).all()
        entries = session.scalars(sa.select(AuditEntry).where(AuditEntry.action.like("consent.recorded%"))).all()
        assert audit.verify(session).ok
    assert len(events) == 8
    assert len(entries) == 1 and entries[0].action == "consent.recorded.batch"
    records = entries[0].detail["records"]
    assert {e.choice_id for e in events} == {r["choice_id"] for r in records}
    assert {e.evidence["audit_seq"] for e in events} == {entries[0].seq}
    gpc = [e for e in events if e.subject == "device-batch-0004"]
    assert {e.method for e in gpc} == {"gpc"} and gpc[0].evidence["signal"] == "Sec-GPC: 1"
    exported = proof.export(harness.consent, "device-batch-0001")
    assert [e["granted"] for e in exported["events"]] == [True, False]
    assert {e["audit"]["entry_hash"] for e in exported["events"]} == {entries[0].entry_hash}


def test_concurrent_posts_all_stored_and_audited(harness: Harness) -> None:
    sent = 40
    answers: list[int] = []

    def post(n: int) -> None:
        answer = harness.client.post("/v1/consent", json={
            "subject": f"device-many-{n:04d}", "choices": {"analytics": n % 2 == 0, "advertising": False}})
        answers.append(answer.status_code)

    threads = [threading.Thread(target=post, args=(n,)) for n in range(sent)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [201] * sent
    with harness.consent.service.plane.read() as session:
        events = session.scalars(sa.select(ConsentEvent)).all()
        seqs = {e.evidence["audit_seq"] for e in events}
        audited = session.scalars(sa.select(AuditEntry).where(AuditEntry.seq.in_(seqs))).all()
        assert audit.verify(session).ok
    assert len(events) == 2 * sent  # every acknowledged choice is stored
    choice_ids: set[str] = set()
    for entry in audited:
        details = entry.detail["records"] if entry.action == "consent.recorded.batch" else [entry.detail]
        choice_ids.update(d["choice_id"] for d in details)
    assert {e.choice_id for e in events} <= choice_ids  # and every one is in the audit chain


def test_get_is_served_from_memory_and_never_stale(harness: Harness) -> None:
    subject = "device-cache-0001"
    harness.post({"subject": subject, "choices": {"analytics": True}})
    assert harness.consent.states.get(subject) is not None  # the write left the fresh state there
    assert harness.client.get("/v1/consent", params={"subject": subject}).json()["choices"]["analytics"]["granted"]
    harness.post({"subject": subject, "choices": {"analytics": False}})
    state = harness.client.get("/v1/consent", params={"subject": subject}).json()
    assert state["choices"]["analytics"]["granted"] is False
    # A link joins another device's state: the cached entry must not hide it.
    other = "device-cache-0002"
    harness.post({"subject": other, "choices": {"advertising": False}})
    harness.client.get("/v1/consent", params={"subject": subject})
    writer = harness.key("requests:write")
    for device in (subject, other):
        linked = harness.client.post("/v1/consent/links", headers=writer,
                                     json={"subject": device, "identities": {"email": "pat@example.com"}})
        assert linked.status_code == 200, linked.text
    state = harness.client.get("/v1/consent", params={"subject": subject}).json()
    assert state["choices"]["advertising"]["granted"] is False
    # A choice on the other device shows on this one at once.
    harness.post({"subject": other, "choices": {"analytics": True}})
    state = harness.client.get("/v1/consent", params={"subject": subject}).json()
    assert state["choices"]["analytics"]["granted"] is True


def test_a_write_between_read_and_store_keeps_the_stale_read_out(harness: Harness) -> None:
    cache = harness.consent.states
    generation = cache.generation
    cache.invalidate(["device-race-0001"])  # a commit lands while a reader was reading
    assert not cache.put("device-race-0001", ["device-race-0001"], {}, generation)
    assert cache.get("device-race-0001") is None


def test_recorder_answers_only_after_commit_and_reports_errors_alone(harness: Harness) -> None:
    recorder = harness.consent.recorder
    good = recorder.submit(item("device-rec-0001", {"analytics": True}))
    bad = recorder.submit(item("device-rec-0002", {"analytics": True}, notice_version="f" * 64))
    assert good.result(10).recorded == 1
    with pytest.raises(InvalidRequestError):
        bad.result(10)
    with harness.consent.service.plane.read() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ConsentEvent)) == 1


def test_a_second_consent_object_on_the_same_service_shares_the_cache(harness: Harness) -> None:
    from custos.consent import Choice, Consent, record

    subject = "device-shared-001"
    harness.post({"subject": subject, "choices": {"analytics": True}})
    assert harness.consent.states.get(subject) is not None
    other = Consent(harness.consent.service)  # as a rights request or an agent builds one
    record(other, Choice(subject=subject, choices={"analytics": False}, method="api",
                         notice_version=harness.consent.notice_version()))
    state = harness.client.get("/v1/consent", params={"subject": subject}).json()
    assert state["choices"]["analytics"]["granted"] is False
