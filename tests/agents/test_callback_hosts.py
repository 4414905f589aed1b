"""Where status callbacks may go: each agent's allow-list of callback hosts (SSRF protection)."""

from __future__ import annotations

import socket
from typing import Any

import pytest
import sqlalchemy as sa

from custos.agents import callbacks
from custos.agents.models import CallbackDelivery
from tests.agents.conftest import AGENT, OTHER, CallbackServer, Harness
from tests.shop import ALICE


def send(harness: Harness, agent: Any, url: str) -> Any:
    if not agent.token:
        agent.pair()
    harness.clock.advance(seconds=1)
    message = agent.envelope(exercise="sale:opt_out", regime="ccpa", email=ALICE, status_callback=url)
    return agent.post(agent.signed(message))


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/cb", "http://localhost/cb", "http://api.localhost/cb", "http://10.0.0.5/cb",
    "http://192.168.1.1/cb", "http://169.254.169.254/latest/meta-data", "http://[::1]/cb", "http://0.0.0.0/cb",
    "http://[::ffff:127.0.0.1]/cb", "http://100.64.0.1/cb",
])
def test_private_addresses_are_refused_unless_listed(harness: Harness, url: str) -> None:
    harness.other.pair()
    before = harness.snapshot()
    answer = send(harness, harness.other, url)
    assert answer.status_code == 400 and answer.json()["fatal"] is True
    assert "private" in answer.json()["message"]
    assert harness.snapshot() == before


def test_public_hosts_are_taken_from_an_agent_without_a_list(harness: Harness) -> None:
    assert send(harness, harness.other, "https://agent.example/cb").status_code == 200


def test_a_listed_agent_is_held_to_its_list(harness: Harness, callback_server: CallbackServer) -> None:
    refused = send(harness, harness.agent, "https://agent.example/cb")
    assert refused.status_code == 400 and "not one of the callback hosts" in refused.json()["message"]
    assert send(harness, harness.agent, callback_server.url).status_code == 200


def test_wildcard_entries_and_the_admin_endpoint(harness: Harness) -> None:
    admin = harness.admin("agents:write", "requests:read")
    entry = {a["id"]: a for a in harness.client.get("/v1/admin/agents", headers=admin).json()}[OTHER]
    body = {k: entry[k] for k in ("id", "name", "verify_key")}
    bad = harness.client.put(f"/v1/admin/agents/{OTHER}", headers=admin,
                             json={**body, "callback_hosts": ["http://agent.example/"]})
    assert bad.status_code == 422
    saved = harness.client.put(f"/v1/admin/agents/{OTHER}", headers=admin,
                               json={**body, "callback_hosts": ["*.Agent.Example"]})
    assert saved.status_code == 200 and saved.json()["callback_hosts"] == ["*.agent.example"]
    assert send(harness, harness.other, "https://hooks.agent.example/cb").status_code == 200
    assert send(harness, harness.other, "https://agent.example.evil.test/cb").status_code == 400


def test_a_host_removed_from_the_list_gets_no_more_callbacks(
    harness: Harness, callback_server: CallbackServer,
) -> None:
    answer = send(harness, harness.agent, callback_server.url)
    assert answer.status_code == 200
    admin = harness.admin("agents:write", "requests:read")
    entry = {a["id"]: a for a in harness.client.get("/v1/admin/agents", headers=admin).json()}[AGENT]
    body = {k: entry[k] for k in ("id", "name", "verify_key")}
    assert harness.client.put(f"/v1/admin/agents/{AGENT}", headers=admin,
                              json={**body, "callback_hosts": ["hooks.agent.example"]}).status_code == 200
    harness.run_jobs()
    assert callbacks.run_pending(harness.service) == 1
    assert callback_server.received == []
    with harness.service.plane.read() as session:
        delivery = session.scalars(sa.select(CallbackDelivery)).one()
    assert delivery.state == "pending" and "not one of the callback hosts" in (delivery.last_error or "")


def test_names_resolving_to_private_addresses_are_refused_at_delivery(monkeypatch: pytest.MonkeyPatch) -> None:
    def resolve(host: str, port: int, **_: Any) -> list[Any]:
        return [(2, 1, 6, "", ("10.1.2.3", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    assert callbacks.callback_refusal([], "https://internal.agent.example/cb") is None
    refusal = callbacks._resolution_refusal([], "https://internal.agent.example/cb")
    assert refusal is not None and "non-public" in refusal
    assert callbacks._resolution_refusal(["internal.agent.example"], "https://internal.agent.example/cb") is None
