"""Shared fixtures: a clean database per store kind, and the sample schema tests run on.

SQLite always runs. PostgreSQL and MariaDB run when ``CUSTOS_TEST_POSTGRES_URL`` and
``CUSTOS_TEST_MYSQL_URL`` name a server; otherwise those cases skip with the reason.
``.ci/run`` sets both and fails when a server does not answer, so CI never skips them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from custos.stores.sql import normalize_url

STORE_KINDS = ["sqlite", "postgresql", "mysql"]
_ENV = {"postgresql": "CUSTOS_TEST_POSTGRES_URL", "mysql": "CUSTOS_TEST_MYSQL_URL"}


def _server_url(kind: str) -> str:
    variable = _ENV[kind]
    url = os.environ.get(variable)
    if not url:
        pytest.skip(f"{kind} tests need {variable} (e.g. set by .ci/run); not set here")
    return url


class Databases:
    """Creates throw-away databases on one server and drops them at the end."""

    def __init__(self, kind: str, tmp: Path) -> None:
        self.kind = kind
        self.tmp = tmp
        self.created: list[str] = []
        self.admin: sa.Engine | None = None
        if kind != "sqlite":
            self.admin = sa.create_engine(normalize_url(_server_url(kind)), isolation_level="AUTOCOMMIT")

    def new(self) -> str:
        name = f"custos_t_{uuid.uuid4().hex[:12]}"
        if self.kind == "sqlite":
            path = self.tmp / f"{name}.db"
            sa.create_engine(f"sqlite:///{path}").connect().close()
            return f"sqlite:///{path}"
        assert self.admin is not None
        with self.admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
        self.created.append(name)
        return normalize_url(str(self.admin.url.render_as_string(hide_password=False))).set(
            database=name
        ).render_as_string(hide_password=False)

    def close(self) -> None:
        if self.admin is None:
            return
        with self.admin.connect() as conn:
            for name in self.created:
                if self.kind == "postgresql":
                    conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                else:
                    conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        self.admin.dispose()


@pytest.fixture(params=STORE_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def databases(store_kind: str, tmp_path: Path) -> Iterator[Databases]:
    dbs = Databases(store_kind, tmp_path)
    yield dbs
    dbs.close()


@pytest.fixture
def db_url(databases: Databases) -> str:
    """A fresh, empty database of the store kind under test."""
    return databases.new()


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own state folder and secret key; nothing leaks between tests."""
    monkeypatch.setenv("CUSTOS_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("CUSTOS_SECRET_KEY", "test-secret-key-0123456789abcdef0123456789")
    monkeypatch.delenv("CUSTOS_DATAMAP", raising=False)
