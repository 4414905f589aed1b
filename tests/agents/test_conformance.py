"""The message shapes of the published Data Rights Protocol, 0.9.4 and 1.0, replayed as an
agent nobody on the project wrote would send them: pairing, agent information, each action in
both spellings, status, revoke (twice, as the same signed bytes) and the discovery document."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.agents.conftest import AGENT, Harness
from tests.shop import ALICE

VERIFIED = {"email": ALICE, "email_verified": True, "phone_number": "+14155550101",
            "phone_number_verified": True, "name": "Liddell, Alice"}
ACTIONS = ["sale:opt-out", "sale:opt_out", "sale:opt-in", "sale:opt_in", "deletion", "access",
           "access:categories", "access:specific"]


def rfc3339(value: str) -> bool:
    """A timestamp every ISO 8601 parser reads: a numeric offset, not ``Z``."""
    return value[-6] in "+-" and datetime.fromisoformat(value).utcoffset() is not None


@pytest.mark.parametrize("version", ["0.9.4", "1.0"])
@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_in_both_spellings_and_versions(harness: Harness, version: str, action: str) -> None:
    harness.agent.version = version
    token = harness.agent.pair()
    info = harness.client.get(f"/v1/agent/{AGENT}", headers={"Authorization": f"Bearer {token}"})
    assert info.status_code == 200
    answer = harness.agent.exercise(action, **VERIFIED, **{"agent-request-id": f"{version}-{action}"})
    assert answer["status"] in ("open", "in_progress", "fulfilled") and answer["agent_request_id"] == f"{version}-{action}"
    assert rfc3339(answer["received_at"]) and ("expected_by" not in answer or rfc3339(answer["expected_by"]))
    status = harness.agent.status(answer["request_id"])
    assert status["request_id"] == answer["request_id"]


@pytest.mark.parametrize("version", ["0.9.4", "1.0"])
def test_a_repeated_revoke_answers_the_status(harness: Harness, version: str) -> None:
    harness.agent.version = version
    harness.agent.pair()
    request_id = harness.agent.exercise("deletion", **VERIFIED, power_of_attorney="https://a.example/poa")["request_id"]
    first = harness.agent.revoke(request_id, reason="same bytes")
    again = harness.agent.revoke(request_id, reason="same bytes")  # deterministic signature: identical body
    assert first.status_code == again.status_code == 200
    assert first.json()["status"] == again.json()["status"] == "revoked"


def test_an_unknown_major_version_is_refused_naming_the_spoken_ones(harness: Harness) -> None:
    harness.agent.pair()
    body = harness.agent.signed(harness.agent.envelope(exercise="access", regime="ccpa", **VERIFIED,
                                                       **{"drp.version": "2.0"}))
    answer = harness.agent.post(body)
    assert answer.status_code == 400 and "0.9.4 and 1.0" in answer.text


def test_discovery_carries_every_key_even_when_unset(harness: Harness) -> None:
    body = harness.client.get("/.well-known/data-rights.json").json()
    for key in ("id", "name", "logo", "api_base", "supported_actions", "web_url", "technical_contact",
                "business_contact"):
        assert key in body
