"""Every refused message: 403 with no body (or a 400 error state), never a 5xx, nothing written."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from nacl.signing import SigningKey

from tests.agents.conftest import AGENT, Harness
from tests.shop import ALICE


def refused(harness: Harness, send: Callable[[], Any], status: int = 403) -> Any:
    before = harness.snapshot()
    answer = send()
    assert answer.status_code == status, answer.text
    if status == 403:
        assert answer.content == b""
    assert harness.snapshot() == before
    return answer


def exercise(harness: Harness, **overrides: Any) -> dict[str, Any]:
    return {**harness.agent.envelope(exercise="deletion", email=ALICE), **overrides}


@pytest.fixture
def paired(harness: Harness) -> Harness:
    harness.agent.pair()
    harness.other.pair()
    return harness


def test_bad_signature(paired: Harness) -> None:
    signed = bytearray(base64.b64decode(paired.agent.signed(exercise(paired))))
    signed[5] ^= 0xFF
    refused(paired, lambda: paired.agent.post(base64.b64encode(bytes(signed))))


def test_message_altered_after_signing(paired: Harness) -> None:
    signed = base64.b64decode(paired.agent.signed(exercise(paired)))
    altered = signed.replace(b"deletion", b"access\x20\x20")
    refused(paired, lambda: paired.agent.post(base64.b64encode(altered)))


def test_wrong_key(paired: Harness) -> None:
    refused(paired, lambda: paired.agent.post(paired.agent.signed(exercise(paired), SigningKey.generate())))
    # signed by the other (listed) agent but sent with this agent's token
    refused(paired, lambda: paired.agent.post(paired.other.signed(exercise(paired), paired.other.key)))


def test_not_a_signed_message(paired: Harness) -> None:
    for body in (b"", b"not base64!!", base64.b64encode(b"short"), b"\xff\xfe" * 10, b"A" * 200_000):
        refused(paired, partial(paired.agent.post, body))


def test_expired_window(paired: Harness) -> None:
    now = paired.clock()
    late = exercise(paired, **{"issued-at": (now - timedelta(minutes=12)).isoformat(),
                               "expires-at": (now - timedelta(minutes=2)).isoformat()})
    refused(paired, lambda: paired.agent.post(paired.agent.signed(late)))


def test_bad_windows(paired: Harness) -> None:
    """Issued in the future, a window longer than allowed, empty or inverted windows."""
    now = paired.clock()
    for issued, expires in ((60, 70), (-1, 60), (0, 0), (0, -5)):
        message = exercise(paired, **{"issued-at": (now + timedelta(minutes=issued)).isoformat(),
                                      "expires-at": (now + timedelta(minutes=expires)).isoformat()})
        refused(paired, partial(paired.agent.post, paired.agent.signed(message)))


def test_malformed_envelope_claims(paired: Harness) -> None:
    for claim, value in (("issued-at", "yesterday"), ("expires-at", 12), ("issued-at", "2026-03-02T15:00:00"),
                         ("agent-id", None), ("business-id", ["TEST_SHOP"])):
        message = exercise(paired, **{claim: value})
        refused(paired, partial(paired.agent.post, paired.agent.signed(message)))


def test_replayed_message(paired: Harness) -> None:
    body = paired.agent.signed(exercise(paired))
    assert paired.agent.post(body).status_code == 200
    refused(paired, partial(paired.agent.post, body))


def test_replayed_pairing(paired: Harness) -> None:
    paired.clock.advance(seconds=1)
    body = paired.agent.signed(paired.agent.envelope())
    assert paired.client.post(f"/v1/agent/{AGENT}", content=body).status_code == 200
    refused(paired, lambda: paired.client.post(f"/v1/agent/{AGENT}", content=body))


def test_wrong_business_id(paired: Harness) -> None:
    refused(paired, lambda: paired.agent.post(paired.agent.signed(exercise(paired, **{"business-id": "ACME"}))))


def test_wrong_agent_id_claim(paired: Harness) -> None:
    refused(paired, lambda: paired.agent.post(paired.agent.signed(exercise(paired, **{"agent-id": "OTHER_AGENT"}))))


def test_pairing_refusals(harness: Harness) -> None:
    agent = harness.agent
    refused(harness, lambda: harness.client.post("/v1/agent/UNKNOWN", content=agent.signed(agent.envelope())))
    refused(harness, lambda: harness.client.post(f"/v1/agent/{AGENT}",
                                                 content=agent.signed(agent.envelope(), SigningKey.generate())))
    refused(harness, lambda: harness.client.post(
        f"/v1/agent/{AGENT}", content=agent.signed({**agent.envelope(), "business-id": "ACME"})))
    refused(harness, lambda: harness.client.post(f"/v1/agent/{'X' * 500}", content=b"x"))


def test_missing_or_unknown_token(paired: Harness) -> None:
    body = paired.agent.signed(exercise(paired))
    refused(paired, lambda: paired.client.post("/v1/data-rights-request", content=body))
    refused(paired, lambda: paired.client.post("/v1/data-rights-request", content=body,
                                               headers={"Authorization": "Bearer nope"}))


def test_another_agents_request(paired: Harness) -> None:
    request_id = paired.agent.exercise("deletion", email=ALICE)["request_id"]
    refused(paired, lambda: paired.client.get(f"/v1/data-rights-request/{request_id}",
                                              headers=paired.other.headers()))
    refused(paired, lambda: paired.other.revoke(request_id))
    refused(paired, lambda: paired.client.get("/v1/data-rights-request/no-such-id", headers=paired.agent.headers()))
    assert paired.agent.status(request_id)["status"] == "in_progress"


def test_revoke_signed_with_the_wrong_key(paired: Harness) -> None:
    request_id = paired.agent.exercise("deletion", email=ALICE)["request_id"]
    refused(paired, lambda: paired.client.request(
        "DELETE", f"/v1/data-rights-request/{request_id}", headers=paired.agent.headers(),
        content=paired.agent.signed({"reason": "x"}, SigningKey.generate())))


def test_malformed_json_inside_a_valid_signature(paired: Harness) -> None:
    for payload in (b"{not json", b"[1, 2]", b"\"text\"", b"\xff\xfe", b"{\"a\": " * 5000, b"NaN"):
        body = base64.b64encode(paired.agent.key.sign(payload).__bytes__())
        answer = refused(paired, partial(paired.agent.post, body), status=400)
        assert answer.json()["code"] == "400" and answer.json()["fatal"] is True
    pairing = base64.b64encode(paired.agent.key.sign(b"{oops").__bytes__())
    refused(paired, lambda: paired.client.post(f"/v1/agent/{AGENT}", content=pairing), status=400)


INVALID: list[dict[str, Any]] = [
    {"exercise": "sale:everything"}, {"exercise": None}, {"regime": "gdpr"}, {"email": None},
    {"email": "not an address"}, {"email": 42}, {"email_verified": "yes"}, {"status_callback": "ftp://x"},
    {"status_callback": ["http://x"]}, {"address": 12}, {"drp.version": "2.0"}, {"agent-request-id": {"a": 1}},
    {"relationships": "customer"}, {"phone_number": "12"}, {"address": {"street_address": 5}},
]


def test_invalid_requests_are_400_and_change_nothing(paired: Harness) -> None:
    for overrides in INVALID:
        message = {k: v for k, v in exercise(paired, **overrides).items() if v is not None}
        answer = refused(paired, partial(paired.agent.post, paired.agent.signed(message)), status=400)
        assert answer.json()["fatal"] is True, overrides


def test_request_needing_verification_without_an_email(paired: Harness) -> None:
    message = {**paired.agent.envelope(exercise="access", phone_number="+14155550101")}
    answer = paired.agent.post(paired.agent.signed(message))
    assert answer.status_code == 400


def test_suspended_agent_is_refused(paired: Harness) -> None:
    admin = paired.admin("agents:write")
    assert paired.client.post(f"/v1/admin/agents/{AGENT}/suspend", headers=admin).status_code == 200
    refused(paired, lambda: paired.agent.post(paired.agent.signed(exercise(paired))))
    refused(paired, lambda: paired.client.post(f"/v1/agent/{AGENT}", content=paired.agent.signed(
        paired.agent.envelope())))


def test_rate_limit_per_agent(paired: Harness) -> None:
    admin = paired.admin("agents:write", "requests:read")
    listed = {a["id"]: a for a in paired.client.get("/v1/admin/agents", headers=admin).json()}
    entry = {k: listed[AGENT][k] for k in ("id", "name", "verify_key", "technical_contact")}
    answer = paired.client.put(f"/v1/admin/agents/{AGENT}", headers=admin,
                               json={**entry, "rate_limit_per_minute": 3})
    assert answer.status_code == 200, answer.text
    request_id = paired.agent.exercise("sale:opt_out", email=ALICE)["request_id"]
    paired.agent.status(request_id)
    limited = paired.client.get(f"/v1/data-rights-request/{request_id}", headers=paired.agent.headers())
    assert limited.status_code == 429 and limited.json()["fatal"] is False
    paired.clock.advance(seconds=61)
    paired.agent.status(request_id)
