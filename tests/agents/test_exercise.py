"""A test agent pairs, sends each request type, and follows it to its final state."""

from __future__ import annotations

import re
from typing import Any

from custos.controlplane import Request
from custos.service.mail import read_outbox
from custos.service.requests import decisions, verification
from tests.agents.conftest import AGENT, BUSINESS, Harness
from tests.shop import ALICE

VERIFIED = {"email": ALICE, "email_verified": True, "phone_number": "+14155550101",
            "phone_number_verified": True, "name": "Liddell, Alice"}
ATTORNEY = {**VERIFIED, "power_of_attorney": "https://agent.example/poa/123"}


def custos_request(harness: Harness, request_id: str) -> Request:
    with harness.service.plane.read() as session:
        stored = session.get(Request, request_id)
        assert stored is not None
        return stored


def test_pairing_returns_a_token_that_the_agent_endpoint_accepts(harness: Harness) -> None:
    token = harness.agent.pair()
    assert len(token) >= 40
    answer = harness.client.get(f"/v1/agent/{AGENT}", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.json() == {}
    assert harness.client.get("/v1/agent/OTHER_AGENT", headers={"Authorization": f"Bearer {token}"}).status_code == 403
    # pairing again replaces the token
    harness.clock.advance(seconds=1)
    harness.agent.pair()
    assert harness.client.get(f"/v1/agent/{AGENT}", headers={"Authorization": f"Bearer {token}"}).status_code == 403


def test_discovery_document(harness: Harness) -> None:
    body = harness.client.get("/.well-known/data-rights.json").json()
    assert body["version"] == "1.0" and body["versions"] == ["0.9.4", "1.0"] and body["id"] == BUSINESS
    # what 0.9.4 agents (underscores) and 1.0 agents (hyphens) look for
    assert set(body["actions"]) == {"sale:opt_out", "sale:opt_in", "sale:opt-out", "sale:opt-in", "deletion",
                                    "access", "access:categories", "access:specific"}
    assert body["api_base"] == "http://testserver"
    # every key of the directory schema, null where nothing is configured
    for key in ("logo", "web_url", "privacy_policy_url", "technical_contact", "business_contact"):
        assert key in body


def test_opt_out_needs_no_verification_and_is_fulfilled(harness: Harness) -> None:
    harness.agent.pair()
    answer = harness.agent.exercise("sale:opt_out", email=ALICE, **{"agent-request-id": "aa-1"})
    assert answer["status"] == "in_progress" and answer["agent_request_id"] == "aa-1"
    assert answer["expected_by"] and answer["received_at"]
    stored = custos_request(harness, answer["request_id"])
    assert (stored.source, stored.agent_id, stored.type) == ("agent", AGENT, "opt_out_sale_sharing")
    harness.run_jobs()
    assert harness.agent.status(answer["request_id"])["status"] == "fulfilled"


def test_opt_in_is_recorded(harness: Harness) -> None:
    harness.agent.pair()
    answer = harness.agent.exercise("sale:opt_in", email=ALICE)
    assert answer["status"] == "fulfilled"
    assert harness.agent.status(answer["request_id"])["status"] == "fulfilled"


def test_categories_verified_by_the_agents_claims(harness: Harness) -> None:
    harness.agent.pair()
    answer = harness.agent.exercise("access:categories", **VERIFIED)
    assert answer["status"] == "in_progress" and "reason" not in answer
    assert custos_request(harness, answer["request_id"]).type == "categories"
    harness.run_jobs()
    final = harness.agent.status(answer["request_id"])
    assert final["status"] == "fulfilled"


def test_access_with_power_of_attorney_gets_a_results_url(harness: Harness) -> None:
    harness.agent.pair()
    for exercise in ("access", "access:specific"):
        harness.clock.advance(seconds=1)
        answer = harness.agent.exercise(exercise, **ATTORNEY)
        assert answer["status"] == "in_progress"
        harness.run_jobs()
        final = harness.agent.status(answer["request_id"])
        assert final["status"] == "fulfilled", final
        assert final["results_url"].startswith("http://testserver/v1/packages/")
        assert final["expires_at"]
        assert harness.client.get(final["results_url"].removeprefix("http://testserver")).status_code == 200


def test_deletion_waits_for_approval_then_is_fulfilled(harness: Harness) -> None:
    harness.agent.pair()
    answer = harness.agent.exercise("deletion", **ATTORNEY)
    assert answer["status"] == "in_progress"
    assert answer["processing_details"] == "awaiting review by the business"
    decisions.approve(harness.service, answer["request_id"], actor="user:operator@test")
    harness.run_jobs()
    assert harness.agent.status(answer["request_id"])["status"] == "fulfilled"
    assert custos_request(harness, answer["request_id"]).status == "completed"


def _code(harness: Harness, to: str) -> str:
    mails = [m for m in read_outbox(harness.outbox) if m["To"] == to and m["X-Custos-Mail"] == "code"]
    part = mails[-1].get_body(("plain",))
    assert part is not None
    body = str(part.get_content())
    match = re.search(r"^\s+(\d{6})\s*$", body, re.M)
    assert match, body
    return match.group(1)


def test_insufficient_claims_ask_the_person_to_verify(harness: Harness) -> None:
    harness.agent.pair()
    answer = harness.agent.exercise("access", email=ALICE, name="Alice Liddell")
    assert (answer["status"], answer["reason"]) == ("in_progress", "need_user_verification")
    request_id = answer["request_id"]
    assert answer["user_verification_url"] == f"http://testserver/privacy-center/requests/{request_id}"
    assert harness.client.get(answer["user_verification_url"].removeprefix("http://testserver")).status_code == 200
    verification.submit(harness.service, request_id, code=_code(harness, ALICE),
                        data_points={"shop.customers.full_name": "Alice Liddell",
                                     "shop.customers.phone": "+14155550101"},
                        declaration=verification.Declaration("Alice Liddell", True))
    assert harness.agent.status(request_id)["status"] == "in_progress"
    harness.run_jobs()
    assert harness.agent.status(request_id)["status"] == "fulfilled"


def test_failed_user_verification_is_denied_insuf_verification(harness: Harness) -> None:
    harness.agent.pair()
    request_id = harness.agent.exercise("access", email=ALICE)["request_id"]
    verification.submit(harness.service, request_id, code=_code(harness, ALICE), data_points={})
    final = harness.agent.status(request_id)
    assert (final["status"], final["reason"]) == ("denied", "insuf_verification")


def test_unverified_request_expires(harness: Harness) -> None:
    harness.agent.pair()
    request_id = harness.agent.exercise("access", email=ALICE)["request_id"]
    harness.clock.advance(days=60)
    assert harness.agent.status(request_id)["status"] == "expired"


def test_revocation(harness: Harness) -> None:
    harness.agent.pair()
    request_id = harness.agent.exercise("deletion", **ATTORNEY)["request_id"]
    answer = harness.agent.revoke(request_id)
    assert answer.status_code == 200 and answer.json()["status"] == "revoked"
    assert custos_request(harness, request_id).status == "cancelled"
    harness.clock.advance(seconds=1)
    again = harness.agent.revoke(request_id, reason="twice")
    assert again.status_code == 200 and again.json()["status"] == "revoked"  # idempotent, not a conflict


def test_revoking_a_running_request_is_a_conflict(harness: Harness) -> None:
    harness.agent.pair()
    request_id = harness.agent.exercise("sale:opt_out", email=ALICE)["request_id"]
    answer = harness.agent.revoke(request_id)
    assert answer.status_code == 409
    assert custos_request(harness, request_id).status == "in_progress"


def test_outside_jurisdiction(harness: Harness, monkeypatch: Any) -> None:
    harness.agent.pair()
    monkeypatch.setattr(type(harness.service), "jurisdictions", property(lambda self: ["gdpr"]))
    answer = harness.agent.exercise("access", **VERIFIED)
    assert (answer["status"], answer["reason"]) == ("denied", "outside_jurisdiction")
