"""A service on a small shop: control plane on SQLite (and PostgreSQL when configured), fixed clock."""

from __future__ import annotations

import re
import shutil
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    # Starlette asks for httpx2 when only httpx is installed; the client works either way.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

import sqlalchemy as sa

from custos.config import Settings, get_settings
from custos.controlplane import migrate
from custos.datamap import DataMap, load_datamap
from custos.server import create_app
from custos.service import Service
from custos.service.auth import create_api_key
from custos.service.mail import read_outbox
from custos.service.work.jobs import run_pending
from tests import shop
from tests.clock import Clock
from tests.conftest import Databases


@dataclass
class Harness:
    client: TestClient
    service: Service
    clock: Clock
    outbox: Path
    shop_url: str

    def run_jobs(self) -> int:
        return run_pending(self.service)

    def mails(self, to: str | None = None, kind: str | None = None) -> list[Any]:
        found = []
        for message in read_outbox(self.outbox):
            if to and message["To"] != to:
                continue
            if kind and message["X-Custos-Mail"] != kind:
                continue
            found.append(message)
        return found

    def code(self, to: str) -> str:
        body = self.mails(to, "code")[-1].get_body(("plain",)).get_content()
        match = re.search(r"^\s+(\d{6})\s*$", body, re.M)
        assert match, body
        return match.group(1)

    def key(self, *scopes: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {create_api_key(self.service, 'test', list(scopes))}"}

    def verify(self, receipt: dict[str, Any], email: str, **body: Any) -> dict[str, Any]:
        answer = self.client.post(f"/v1/requests/{receipt['id']}/verify", json={"code": self.code(email), **body})
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def submit(self, **body: Any) -> dict[str, Any]:
        answer = self.client.post("/v1/requests", json=body)
        assert answer.status_code == 202, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def status(self, request_id: str) -> str:
        admin = self.key("requests:read")
        answer = self.client.get(f"/v1/admin/requests/{request_id}", headers=admin)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["status"])


def make_settings(tmp: Path, database_url: str, jurisdictions: str = "[ccpa, gdpr]", **extra: Any) -> Settings:
    shop_url = f"sqlite:///{tmp / 'shop.db'}"
    crm_url = f"sqlite:///{tmp / 'crm.db'}"
    shop.build(shop_url, crm_url)
    path = shop.write_map(tmp, shop_url, crm_url, shop.MAP.replace("[ccpa, gdpr]", jurisdictions))
    values: dict[str, Any] = {
        "database_url": database_url, "datamap": str(path), "state_dir": str(tmp / "state"),
        "outbox_dir": str(tmp / "outbox"), "public_url": "http://testserver", "rate_limit_per_minute": 10_000,
        **extra,
    }
    return get_settings(**values)


@dataclass
class Template:
    """The shop, its data map and a migrated control plane, built once per session.

    Each test gets pristine copies of the databases at the same paths, so the data map
    (slow to load) is loaded once.
    """

    folder: Path
    datamap: DataMap

    def reset(self, tmp: Path) -> tuple[str, str]:
        for name in ("shop.db", "crm.db"):
            for suffix in ("-wal", "-shm", "-journal"):  # a stale log would be replayed into the copy
                (self.folder / f"{name}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(self.folder / f"pristine-{name}", self.folder / name)
        shutil.copyfile(self.folder / "pristine-custos.db", tmp / "custos.db")
        return str(self.folder / "custos.yaml"), f"sqlite:///{self.folder / 'shop.db'}"


@pytest.fixture(autouse=True)
def _quick_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters: the tests check the logic, not the hash's cost."""
    from argon2 import PasswordHasher

    from custos.service import auth

    monkeypatch.setattr(auth, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(auth, "_DUMMY_HASH", auth._HASHER.hash("dummy"))


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    folder = tmp_path_factory.mktemp("service-template")
    shop.build(f"sqlite:///{folder / 'pristine-shop.db'}", f"sqlite:///{folder / 'pristine-crm.db'}")
    path = shop.write_map(folder, f"sqlite:///{folder / 'shop.db'}", f"sqlite:///{folder / 'crm.db'}")
    engine = sa.create_engine(f"sqlite:///{folder / 'pristine-custos.db'}")
    migrate(engine)
    engine.dispose()
    return Template(folder, load_datamap(path))


def start(
    tmp: Path, database_url: str | None = None, template: Template | None = None, **extra: Any
) -> Iterator[Harness]:
    """A harness; with ``template``, on copies of the session's shop (fast), else built afresh."""
    clock = Clock()
    datamap = None
    if template is not None and "jurisdictions" not in extra:
        map_path, shop_url = template.reset(tmp)
        values: dict[str, Any] = {
            "database_url": database_url or f"sqlite:///{tmp / 'custos.db'}", "datamap": map_path,
            "state_dir": str(tmp / "state"), "outbox_dir": str(tmp / "outbox"), "public_url": "http://testserver",
            "rate_limit_per_minute": 10_000, **extra}
        settings = get_settings(**values)
        datamap = template.datamap
    else:
        settings = make_settings(tmp, database_url or f"sqlite:///{tmp / 'custos.db'}", **extra)
        shop_url = f"sqlite:///{tmp / 'shop.db'}"
    app = create_app(settings, clock=clock, run_jobs=False, datamap=datamap)
    with TestClient(app) as client:
        yield Harness(client, app.state.service, clock, Path(settings.outbox_dir), shop_url)


@pytest.fixture
def harness(tmp_path: Path, template: Template) -> Iterator[Harness]:
    """The service on SQLite."""
    yield from start(tmp_path, template=template)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_harness(request: pytest.FixtureRequest, tmp_path: Path, template: Template) -> Iterator[Harness]:
    """The service with its control plane on each store kind (PostgreSQL when configured)."""
    databases = Databases(str(request.param), tmp_path)
    try:
        url = databases.new() if request.param != "sqlite" else None
        yield from start(tmp_path, url, template=template)
    finally:
        databases.close()
