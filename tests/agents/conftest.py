"""A small shop served with the DRP endpoints, a test agent signing with PyNaCl, and a
loopback HTTP server receiving status callbacks."""

from __future__ import annotations

import json
import shutil
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from nacl.signing import SigningKey

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from custos.agents import install
from custos.agents.models import AgentRequest, AgentToken, SeenMessage
from custos.agents.signing import encoded_verify_key, sign
from custos.config import get_settings
from custos.controlplane import AuditEntry, Job, Request, migrate
from custos.datamap import DataMap, load_datamap
from custos.server import create_app
from custos.service import Service
from custos.service.auth import create_api_key
from custos.service.work.jobs import run_pending
from tests import shop
from tests.clock import Clock

BUSINESS = "TEST_SHOP"
AGENT = "TEST_AGENT"
OTHER = "OTHER_AGENT"


@dataclass
class TestAgent:
    """An authorized agent as an agent app implements it: signs with its Ed25519 key."""

    __test__ = False

    id: str
    key: SigningKey
    client: TestClient
    clock: Clock
    token: str = ""
    version: str = "0.9.4"

    def envelope(self, **claims: Any) -> dict[str, Any]:
        issued = self.clock()
        return {"agent-id": self.id, "business-id": BUSINESS, "issued-at": issued.isoformat(),
                "expires-at": (issued + timedelta(minutes=10)).isoformat(), "drp.version": self.version, **claims}

    def signed(self, message: dict[str, Any], key: SigningKey | None = None) -> bytes:
        return sign(key or self.key, message)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Content-Type": "text/plain"}

    def pair(self) -> str:
        answer = self.client.post(f"/v1/agent/{self.id}", content=self.signed(self.envelope()),
                                  headers={"Content-Type": "text/plain"})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["agent-id"] == self.id
        self.token = str(body["token"])
        return self.token

    def post(self, body: bytes) -> Any:
        return self.client.post("/v1/data-rights-request", content=body, headers=self.headers())

    def exercise(self, exercise: str, **claims: Any) -> dict[str, Any]:
        answer = self.post(self.signed(self.envelope(exercise=exercise, regime="ccpa", **claims)))
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def status(self, request_id: str) -> dict[str, Any]:
        answer = self.client.get(f"/v1/data-rights-request/{request_id}", headers=self.headers())
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def revoke(self, request_id: str, reason: str = "changed my mind") -> Any:
        return self.client.request("DELETE", f"/v1/data-rights-request/{request_id}",
                                   content=self.signed({"reason": reason}), headers=self.headers())


@dataclass
class CallbackServer:
    """A real HTTP server on loopback recording the callbacks it receives."""

    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    failures_left: int = 0


@dataclass
class Harness:
    client: TestClient
    service: Service
    clock: Clock
    agent: TestAgent
    other: TestAgent
    outbox: Path

    def run_jobs(self) -> int:
        return run_pending(self.service)

    def admin(self, *scopes: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {create_api_key(self.service, 'admin', list(scopes))}"}

    def snapshot(self) -> dict[str, int]:
        """Row counts of the control plane's tables (to show nothing changed)."""
        counts = {}
        with self.service.plane.read() as session:
            for model in (Request, AgentRequest, SeenMessage, Job, AuditEntry, AgentToken):
                counts[model.__tablename__] = session.execute(
                    sa.select(sa.func.count()).select_from(model)).scalar_one()
        return counts


@dataclass
class Template:
    folder: Path
    datamap: DataMap


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    folder = tmp_path_factory.mktemp("agents-template")
    shop.build(f"sqlite:///{folder / 'pristine-shop.db'}", f"sqlite:///{folder / 'pristine-crm.db'}")
    path = shop.write_map(folder, f"sqlite:///{folder / 'shop.db'}", f"sqlite:///{folder / 'crm.db'}")
    engine = sa.create_engine(f"sqlite:///{folder / 'pristine-custos.db'}")
    migrate(engine)
    engine.dispose()
    return Template(folder, load_datamap(path))


@pytest.fixture(autouse=True)
def _quick_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher

    from custos.service import auth

    monkeypatch.setattr(auth, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(auth, "_DUMMY_HASH", auth._HASHER.hash("dummy"))


@pytest.fixture
def harness(tmp_path: Path, template: Template) -> Iterator[Harness]:
    for name in ("shop.db", "crm.db"):
        shutil.copyfile(template.folder / f"pristine-{name}", template.folder / name)
    shutil.copyfile(template.folder / "pristine-custos.db", tmp_path / "custos.db")
    keys = {AGENT: SigningKey.generate(), OTHER: SigningKey.generate()}
    agents_file = tmp_path / "agents.yaml"
    agents_file.write_text(yaml.safe_dump({
        "business": {"id": BUSINESS},
        "agents": [{"id": agent_id, "name": agent_id.title(), "verify_key": encoded_verify_key(key),
                    "technical_contact": "tech@agent.example",
                    # the callback server of the tests listens on loopback, so it is listed
                    "callback_hosts": ["127.0.0.1"] if agent_id == AGENT else []}
                   for agent_id, key in keys.items()],
    }))
    settings = get_settings(
        database_url=f"sqlite:///{tmp_path / 'custos.db'}", datamap=str(template.folder / "custos.yaml"),
        state_dir=str(tmp_path / "state"), outbox_dir=str(tmp_path / "outbox"), public_url="http://testserver",
        rate_limit_per_minute=10_000, agents_file=str(agents_file))
    clock = Clock()
    app = create_app(settings, clock=clock, run_jobs=False, datamap=template.datamap, extensions=False)
    install(app)
    with TestClient(app) as client:
        yield Harness(client, app.state.service, clock, TestAgent(AGENT, keys[AGENT], client, clock),
                      TestAgent(OTHER, keys[OTHER], client, clock), Path(settings.outbox_dir))


@pytest.fixture
def callback_server() -> Iterator[CallbackServer]:
    server_state = CallbackServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            if server_state.failures_left > 0:
                server_state.failures_left -= 1
                self.send_response(503)
            else:
                server_state.received.append(body)
                self.send_response(200)
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_state.url = f"http://127.0.0.1:{server.server_address[1]}/update_status"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
