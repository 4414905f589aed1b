"""What a DRP request becomes at intake: refusals as ordinary denied requests, the opt-in as a
request recorded in the consent store, one transaction for a request and its DRP record,
final states such as ``no_match`` and ``claim_not_covered``, and the scope of the admin
endpoints."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.agents import exercise
from custos.agents.models import AgentRequest
from custos.consent import Consent, history_for_identities
from custos.controlplane import AuditEntry, Job, Request
from custos.service.auth import ROLES
from custos.service.requests import decisions
from tests.agents.conftest import AGENT, Harness
from tests.agents.test_exercise import ATTORNEY, VERIFIED, custos_request
from tests.shop import ALICE


def actions(harness: Harness, request_id: str) -> list[str]:
    with harness.service.plane.read() as session:
        return list(session.scalars(sa.select(AuditEntry.action).where(AuditEntry.request_id == request_id)
                                    .order_by(AuditEntry.id)))


def in_admin_queue(harness: Harness, request_id: str) -> dict[str, Any]:
    queue = harness.client.get("/v1/admin/requests", headers=harness.admin("requests:read")).json()
    found = [item for item in queue if item["id"] == request_id]
    assert len(found) == 1, queue
    item: dict[str, Any] = found[0]
    return item


def test_outside_jurisdiction_is_an_ordinary_denied_request(harness: Harness, monkeypatch: Any) -> None:
    harness.agent.pair()
    monkeypatch.setattr(type(harness.service), "jurisdictions", property(lambda self: ["gdpr"]))
    answer = harness.agent.exercise("access", **{**VERIFIED, "agent-request-id": "oj-1"})
    assert (answer["status"], answer["reason"]) == ("denied", "outside_jurisdiction")
    assert answer["agent_request_id"] == "oj-1" and "CCPA" in answer["processing_details"]
    stored = custos_request(harness, answer["request_id"])
    assert (stored.status, stored.source, stored.agent_id, stored.type) == ("denied", "agent", AGENT, "access")
    assert stored.jurisdiction == "gdpr" and "CCPA" in (stored.denial_reason or "")
    assert in_admin_queue(harness, stored.id)["status"] == "denied"
    trail = actions(harness, stored.id)
    for action in ("request.received", "request.refused_at_intake", "request.status", "agent.request"):
        assert action in trail, trail
    assert harness.agent.status(stored.id)["reason"] == "outside_jurisdiction"


def test_too_many_requests_is_an_ordinary_denied_request(harness: Harness) -> None:
    harness.agent.pair()
    for _ in range(2):
        harness.clock.advance(seconds=1)
        assert harness.agent.exercise("access:categories", **VERIFIED)["status"] == "in_progress"
    harness.clock.advance(seconds=1)
    third = harness.agent.exercise("access:categories", **VERIFIED)
    assert (third["status"], third["reason"]) == ("denied", "too_many_requests")
    stored = custos_request(harness, third["request_id"])
    assert (stored.status, stored.source, stored.type) == ("denied", "agent", "categories")
    assert "1798.130(b)" in (stored.denial_reason or "")
    assert in_admin_queue(harness, stored.id)["status"] == "denied"
    assert "request.frequency" in actions(harness, stored.id)


def test_a_type_the_rule_set_does_not_provide_for_is_claim_not_covered(harness: Harness, monkeypatch: Any) -> None:
    harness.agent.pair()
    monkeypatch.setattr(type(harness.service), "jurisdictions", property(lambda self: ["gdpr"]))
    message = harness.agent.envelope(exercise="sale:opt_out", email=ALICE)  # no regime: voluntary
    answer = harness.agent.post(harness.agent.signed(message))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["status"], body["reason"]) == ("denied", "claim_not_covered")
    stored = custos_request(harness, body["request_id"])
    assert (stored.status, stored.type, stored.jurisdiction) == ("denied", "opt_out_sale_sharing", "gdpr")
    assert stored.due_at is None  # the rule set sets no clock for a type it does not provide for


def test_deletion_refused_under_an_exception_is_claim_not_covered(harness: Harness) -> None:
    harness.agent.pair()
    request_id = harness.agent.exercise("deletion", **ATTORNEY)["request_id"]
    decisions.deny(harness.service, request_id, actor="user:operator@test",
                   reason="tax records must be kept", exception="tax_records")
    final = harness.agent.status(request_id)
    assert (final["status"], final["reason"]) == ("denied", "claim_not_covered")
    assert final["processing_details"] == "tax records must be kept"


def test_a_completed_request_that_found_nothing_is_no_match(harness: Harness) -> None:
    harness.agent.pair()
    first = harness.agent.exercise("deletion", **ATTORNEY)["request_id"]
    harness.clock.advance(seconds=1)
    second = harness.agent.exercise("deletion", **ATTORNEY)["request_id"]
    for request_id in (first, second):
        decisions.approve(harness.service, request_id, actor="user:operator@test")
        harness.run_jobs()
    assert harness.agent.status(first)["status"] == "fulfilled"
    assert custos_request(harness, second).status == "completed"
    final = harness.agent.status(second)
    assert (final["status"], final["reason"]) == ("denied", "no_match")
    assert final["processing_details"]


def test_opt_in_is_an_ordinary_request_recorded_as_consent(harness: Harness) -> None:
    harness.agent.pair()
    answer = harness.agent.exercise("sale:opt_in", email=ALICE, **{"agent-request-id": "in-1"})
    assert answer["status"] == "fulfilled" and answer["agent_request_id"] == "in-1"
    stored = custos_request(harness, answer["request_id"])
    assert (stored.type, stored.status, stored.source, stored.agent_id) == (
        "opt_in_sale_sharing", "completed", "agent", AGENT)
    assert stored.due_at is not None
    assert in_admin_queue(harness, stored.id)["type"] == "opt_in_sale_sharing"
    assert "request.result" in actions(harness, stored.id)
    with harness.service.plane.read() as session:
        jobs = list(session.scalars(sa.select(Job).where(Job.request_id == stored.id)))
    assert [job.status for job in jobs] == ["done"]
    assert harness.run_jobs() == 0
    proof = history_for_identities(Consent(harness.service), {"email": [ALICE]})
    assert {k: (v["granted"], v["method"]) for k, v in proof["current"].items()} == {
        "sale": (True, "agent"), "sharing": (True, "agent")}
    assert {e["evidence"]["request_id"] for e in proof["events"]} == {stored.id}
    assert harness.agent.status(stored.id)["status"] == "fulfilled"


@pytest.mark.parametrize("exercise_name", ["access:categories", "sale:opt_in"])
def test_a_failure_between_the_two_writes_leaves_neither(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, exercise_name: str,
) -> None:
    harness.agent.pair()
    written = exercise.write_record
    seen: list[str] = []

    def crash(session: Session, record: AgentRequest, request: Request, *, verified_by_agent: bool) -> None:
        assert session.get(Request, request.id) is request  # the Custos request is written by now
        written(session, record, request, verified_by_agent=verified_by_agent)
        seen.append(request.id)
        raise RuntimeError("the process stops here")

    monkeypatch.setattr(exercise, "write_record", crash)
    before = harness.snapshot()
    with pytest.raises(RuntimeError, match="the process stops here"):
        harness.agent.exercise(exercise_name, **VERIFIED)
    after = harness.snapshot()
    assert seen
    for table in ("requests", "agent_requests", "jobs", "audit_log"):
        if table in before:
            assert after[table] == before[table], table
    with harness.service.plane.read() as session:
        assert session.get(Request, seen[0]) is None
        assert session.get(AgentRequest, seen[0]) is None
    monkeypatch.setattr(exercise, "write_record", written)
    harness.clock.advance(seconds=1)
    assert harness.agent.exercise(exercise_name, **VERIFIED)["status"] in ("in_progress", "fulfilled")


def test_a_failure_while_refusing_at_intake_leaves_neither(
    harness: Harness, monkeypatch: pytest.MonkeyPatch,
) -> None:
    harness.agent.pair()
    monkeypatch.setattr(type(harness.service), "jurisdictions", property(lambda self: ["gdpr"]))

    def crash(session: Session, record: AgentRequest, request: Request, *, verified_by_agent: bool) -> None:
        raise RuntimeError("the process stops here")

    monkeypatch.setattr(exercise, "write_record", crash)
    before = harness.snapshot()
    with pytest.raises(RuntimeError):
        harness.agent.exercise("access", **VERIFIED)
    after = harness.snapshot()
    assert (after["requests"], after["agent_requests"]) == (before["requests"], before["agent_requests"])


def test_every_drp_record_has_its_custos_request(harness: Harness, monkeypatch: Any) -> None:
    harness.agent.pair()
    for name in ("sale:opt_out", "sale:opt_in", "access:categories", "deletion"):
        harness.clock.advance(seconds=1)
        harness.agent.exercise(name, **ATTORNEY)
    monkeypatch.setattr(type(harness.service), "jurisdictions", property(lambda self: ["gdpr"]))
    harness.clock.advance(seconds=1)
    harness.agent.exercise("access", **ATTORNEY)
    with harness.service.plane.read() as session:
        records = list(session.scalars(sa.select(AgentRequest)))
        assert len(records) == 5
        for record in records:
            assert record.request_id == record.id and session.get(Request, record.id) is not None


def test_agents_are_managed_with_agents_write(harness: Harness) -> None:
    assert "agents:write" in ROLES["admin"]
    assert all("agents:write" not in ROLES[role] for role in ROLES if role != "admin")
    entry = harness.client.get("/v1/admin/agents", headers=harness.admin("requests:read")).json()[0]
    body = {k: entry[k] for k in ("id", "name", "verify_key")}
    path = f"/v1/admin/agents/{entry['id']}"
    assert harness.client.put(path, json=body, headers=harness.admin("users:write")).status_code == 403
    assert harness.client.post(f"{path}/suspend", headers=harness.admin("users:write")).status_code == 403
    assert harness.client.put(path, json=body, headers=harness.admin("agents:write")).status_code == 200
