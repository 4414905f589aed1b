"""The agents file and the admin endpoints that manage the trusted agents."""

from __future__ import annotations

from pathlib import Path

import pytest
from nacl.signing import SigningKey

from custos.agents import registry
from custos.agents.signing import encoded_verify_key
from custos.errors import ConfigError
from tests.agents.conftest import AGENT, Harness


def test_file_in_yaml_and_toml(tmp_path: Path) -> None:
    key = encoded_verify_key(SigningKey.generate())
    toml = tmp_path / "agents.toml"
    toml.write_text(f'[business]\nid = "ACME"\n\n[[agents]]\nid = "AA"\nname = "Agent"\nverify_key = "{key}"\n')
    parsed = registry.read_file(str(toml))
    assert parsed.business.id == "ACME" and parsed.agents[0].id == "AA"
    assert registry.read_file("").agents == []


@pytest.mark.parametrize("text,where", [
    ("agents: [{id: AA, name: A, verify_key: abc}]", "agents.0.verify_key"),
    ("agents: [{id: AA, name: A, verify_key: x, colour: red}]", "agents.0"),
    ("bogus: 1", "bogus"),
    ("agents: [", "not valid YAML"),
])
def test_file_errors_name_what_is_wrong(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "agents.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=where.replace(".", r"\.")):
        registry.read_file(str(path))


def test_admin_lists_adds_suspends_and_resumes(harness: Harness) -> None:
    reader, admin = harness.admin("requests:read"), harness.admin("agents:write", "requests:read")
    listed = harness.client.get("/v1/admin/agents", headers=reader).json()
    assert {a["id"]: a["source"] for a in listed} == {AGENT: "file", "OTHER_AGENT": "file"}
    new = {"id": "NEW_AGENT", "name": "New", "verify_key": encoded_verify_key(SigningKey.generate())}
    assert harness.client.put("/v1/admin/agents/NEW_AGENT", json=new, headers=reader).status_code == 403
    answer = harness.client.put("/v1/admin/agents/NEW_AGENT", json=new, headers=admin)
    assert answer.status_code == 200 and answer.json()["source"] == "admin"
    assert harness.client.put("/v1/admin/agents/X", json=new, headers=admin).status_code == 422
    bad = harness.client.put("/v1/admin/agents/NEW_AGENT", json={**new, "verify_key": "AAAA"}, headers=admin)
    assert bad.status_code == 422
    harness.agent.pair()
    assert harness.client.post(f"/v1/admin/agents/{AGENT}/suspend", headers=admin).json()["paired"] is False
    assert harness.client.get(f"/v1/agent/{AGENT}", headers=harness.agent.headers()).status_code == 403
    assert harness.client.post(f"/v1/admin/agents/{AGENT}/resume", headers=admin).json()["active"] is True
    harness.clock.advance(seconds=1)
    harness.agent.pair()
    assert harness.client.post("/v1/admin/agents/NOPE/suspend", headers=admin).status_code == 404
