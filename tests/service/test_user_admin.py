"""Operators leave and keys leak: a console user can be disabled, their password changed, and
an API key revoked, each taking effect at once and each in the audit log."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from custos.cli import app
from custos.controlplane import AuditEntry
from custos.service.auth import (
    change_password,
    create_user,
    from_session,
    login,
    revoke_api_key,
    set_active,
)
from custos.service.errors import AuthenticationError, InvalidRequestError, NotFoundError
from tests.service.conftest import Harness

PASSWORD = "a long enough password"
NEW = "cobalt lantern harbour ninety"


def _actions(harness: Harness) -> list[str]:
    with harness.service.plane.read() as session:
        return list(session.scalars(sa.select(AuditEntry.action)))


def test_a_disabled_user_is_signed_out_and_cannot_sign_in(harness: Harness) -> None:
    create_user(harness.service, "op@test.example", PASSWORD, "operator")
    cookie, _ = login(harness.service, "op@test.example", PASSWORD)
    set_active(harness.service, "OP@test.example", False)
    assert from_session(harness.service, cookie) is None
    with pytest.raises(AuthenticationError):
        login(harness.service, "op@test.example", PASSWORD)
    set_active(harness.service, "op@test.example", True)
    assert login(harness.service, "op@test.example", PASSWORD)
    assert {"user.disabled", "user.enabled"} <= set(_actions(harness))


def test_a_new_password_ends_the_sessions_opened_before(harness: Harness) -> None:
    create_user(harness.service, "op@test.example", PASSWORD, "operator")
    cookie, _ = login(harness.service, "op@test.example", PASSWORD)
    harness.clock.advance(seconds=1)
    with pytest.raises(InvalidRequestError):
        change_password(harness.service, "op@test.example", "password123")
    change_password(harness.service, "op@test.example", NEW)
    assert from_session(harness.service, cookie) is None
    with pytest.raises(AuthenticationError):
        login(harness.service, "op@test.example", PASSWORD)
    harness.clock.advance(seconds=1)
    fresh, _ = login(harness.service, "op@test.example", NEW)
    assert from_session(harness.service, fresh) is not None
    assert "user.password_changed" in _actions(harness)


def test_a_revoked_key_stops_working(harness: Harness) -> None:
    headers = harness.key("requests:read")
    assert harness.client.get("/v1/admin/requests", headers=headers).status_code == 200
    revoke_api_key(harness.service, headers["Authorization"].removeprefix("Bearer "))
    assert harness.client.get("/v1/admin/requests", headers=headers).status_code == 401
    with pytest.raises(NotFoundError):
        revoke_api_key(harness.service, "nothing")
    assert "apikey.revoked" in _actions(harness)


def test_the_commands(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUSTOS_DATABASE_URL", harness.service.settings.database_url)
    create_user(harness.service, "op@test.example", PASSWORD, "operator")
    runner = CliRunner()
    assert runner.invoke(app, ["user", "disable", "--email", "op@test.example"]).exit_code == 0
    with pytest.raises(AuthenticationError):
        login(harness.service, "op@test.example", PASSWORD)
    missing = runner.invoke(app, ["user", "disable", "--email", "nobody@test.example"])
    assert missing.exit_code != 0 and "no console user" in missing.stderr
    key = harness.key("requests:read")["Authorization"].removeprefix("Bearer ")
    assert runner.invoke(app, ["apikey", "revoke", key.split("_")[1]]).exit_code == 0
    assert harness.client.get("/v1/admin/requests", headers={"Authorization": f"Bearer {key}"}).status_code == 401
