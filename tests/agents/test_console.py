"""Managing agents from the admin console: listed, added, suspended and resumed by admins only."""

from __future__ import annotations

import base64
import re

from nacl.signing import SigningKey

from custos.service.auth import create_user
from tests.agents.conftest import Harness


def sign_in(harness: Harness, role: str) -> str:
    email = f"{role}@agents.example"
    create_user(harness.service, email, "a long enough password", role)
    answer = harness.client.post("/v1/auth/login", json={"email": email, "password": "a long enough password"})
    assert answer.status_code == 200, answer.text
    page = harness.client.get("/admin/agents")
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    return match.group(1) if match else ""


def test_admin_adds_suspends_and_resumes_an_agent(harness: Harness) -> None:
    token = sign_in(harness, "admin")
    page = harness.client.get("/admin/agents")
    assert harness.agent.id in page.text  # the agent from the agents file is listed
    key = base64.b64encode(bytes(SigningKey.generate().verify_key)).decode()
    saved = harness.client.post("/admin/agents", data={
        "agent_id": "new-agent", "name": "New <Agent>", "verify_key": key, "csrf_token": token,
        "callback_hosts": "callbacks.new-agent.example"}, follow_redirects=False)
    assert saved.status_code == 303
    page = harness.client.get("/admin/agents").text
    assert "New &lt;Agent&gt;" in page and "<Agent>" not in page  # escaped
    assert "callbacks.new-agent.example" in page
    bad = harness.client.post("/admin/agents", data={
        "agent_id": "bad agent", "name": "x", "verify_key": "nope", "csrf_token": token})
    assert bad.status_code == 422 and "was not saved" in bad.text
    suspended = harness.client.post("/admin/agents/new-agent/suspend", data={"csrf_token": token},
                                    follow_redirects=False)
    assert suspended.status_code == 303
    assert "suspended" in harness.client.get("/admin/agents").text
    forged = harness.client.post("/admin/agents/new-agent/resume", data={"csrf_token": "forged"})
    assert forged.status_code == 403


def test_operators_see_agents_but_cannot_change_them(harness: Harness) -> None:
    token = sign_in(harness, "operator")
    page = harness.client.get("/admin/agents").text
    assert harness.agent.id in page and "Save the agent" not in page
    refused = harness.client.post(f"/admin/agents/{harness.agent.id}/suspend", data={"csrf_token": token})
    assert refused.status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(harness: Harness) -> None:
    assert harness.client.get("/admin/agents", follow_redirects=False).status_code == 303
