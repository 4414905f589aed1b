"""Every admin endpoint refuses anonymous callers and callers without the right role.

The table is built from the app's own OpenAPI document, so a new admin route without a
guard fails here.
"""

from __future__ import annotations

import uuid

import pytest

from custos.service.auth import create_user
from tests import shop
from tests.service.conftest import Harness

GUARDED_PREFIXES = ("/v1/admin/", "/v1/opencompliance_requests", "/v1/opengdpr_requests")
READ_ONLY = {"get", "head"}


def guarded_routes(harness: Harness) -> list[tuple[str, str]]:
    paths = harness.client.get("/openapi.json").json()["paths"]
    routes = [(method, path) for path, methods in paths.items() for method in methods
              if path.startswith(GUARDED_PREFIXES)]
    assert len(routes) >= 12, routes
    return routes


def call(harness: Harness, method: str, path: str, headers: dict[str, str] | None = None) -> int:
    url = path.replace("{request_id}", str(uuid.uuid4())).replace("{subject_request_id}", str(uuid.uuid4()))
    kwargs: dict[str, object] = {"headers": headers or {}}
    if method in ("post", "put", "patch"):
        kwargs["json"] = {}
    return harness.client.request(method.upper(), url, **kwargs).status_code  # type: ignore[arg-type]


def test_anonymous_callers_are_refused_everywhere(harness: Harness) -> None:
    for method, path in guarded_routes(harness):
        assert call(harness, method, path) == 401, (method, path)
        assert call(harness, method, path, {"Authorization": "Bearer ck_nope_nope"}) == 401, (method, path)


def test_keys_without_the_scope_are_refused_everywhere(harness: Harness) -> None:
    for method, path in guarded_routes(harness):
        scope = "opendsr" if path.startswith("/v1/admin/") else "requests:write"
        assert call(harness, method, path, harness.key(scope)) == 403, (method, path)


@pytest.mark.parametrize("role", ["auditor"])
def test_read_only_role_cannot_change_anything(harness: Harness, role: str) -> None:
    create_user(harness.service, f"{role}@test.example", "a long enough password", role)
    answer = harness.client.post("/v1/auth/login", json={"email": f"{role}@test.example",
                                                          "password": "a long enough password"})
    assert answer.status_code == 200, answer.text
    csrf = {"X-CSRF-Token": answer.json()["csrf_token"]}
    for method, path in guarded_routes(harness):
        if not path.startswith("/v1/admin/") or path.endswith("/logout"):
            continue
        status = call(harness, method, path, csrf)
        if method in READ_ONLY:
            # let through: found, not found, or missing a required query parameter
            assert status in (200, 404, 422), (method, path, status)
        else:
            assert status == 403, (method, path, status)


def test_operator_session_needs_the_csrf_token(harness: Harness) -> None:
    create_user(harness.service, "op@test.example", "a long enough password", "operator")
    wrong = harness.client.post("/v1/auth/login", json={"email": "op@test.example", "password": "wrong"})
    assert wrong.status_code == 401
    answer = harness.client.post("/v1/auth/login", json={"email": "op@test.example",
                                                          "password": "a long enough password"})
    csrf = answer.json()["csrf_token"]
    receipt = harness.submit(type="access", email=shop.ALICE)
    url = f"/v1/admin/requests/{receipt['id']}/deny"
    body = {"reason": "duplicate request"}
    assert harness.client.get("/v1/admin/requests").status_code == 200
    assert harness.client.post(url, json=body).status_code == 403
    assert harness.client.post(url, json=body, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert harness.client.post(url, json=body, headers={"X-CSRF-Token": csrf}).status_code == 200


def test_unknown_users_are_refused_like_wrong_passwords(harness: Harness) -> None:
    unknown = harness.client.post("/v1/auth/login", json={"email": "who@test.example", "password": "x"})
    assert unknown.status_code == 401
    assert unknown.json() == {"error": {"code": "unauthenticated", "message": "the email or password is not right"}}


def test_signing_out_ends_the_session_on_the_server(harness: Harness) -> None:
    """The old cookie answered 200 for up to 8 hours after either sign-out."""
    create_user(harness.service, "out@test.example", "a long enough password", "operator")
    login = harness.client.post("/v1/auth/login", json={"email": "out@test.example",
                                                        "password": "a long enough password"})
    cookie, token = harness.client.cookies.get("custos_session"), login.json()["csrf_token"]
    assert cookie and harness.client.get("/v1/admin/requests").status_code == 200
    ended = harness.client.post("/v1/admin/session/logout", headers={"X-CSRF-Token": token})
    assert ended.status_code == 204
    harness.client.cookies.set("custos_session", cookie)  # a copy kept by someone else
    assert harness.client.get("/v1/admin/requests").status_code == 401
    entries = harness.client.get("/v1/admin/audit", headers=harness.key("audit:read")).json()
    assert "logout" in [e["action"] for e in entries]


def test_sign_in_backs_off_per_account_across_the_json_and_the_form(harness: Harness) -> None:
    """Throttling was per client address only; an account now slows down after five failures,
    whichever way the guesses come, without being locked out for good."""
    import re

    create_user(harness.service, "adm@test.example", "a long enough password", "admin")
    for _ in range(5):
        wrong = harness.client.post("/v1/auth/login", json={"email": "adm@test.example", "password": "not it"})
        assert wrong.status_code == 401
    again = harness.client.post("/v1/auth/login", json={"email": "adm@test.example", "password": "not it"})
    assert again.status_code == 429  # the sixth waits a second, the next two, then four …
    form = harness.client.get("/admin/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    throttled = harness.client.post("/admin/login", data={"email": "adm@test.example", "password": "x",
                                                          "csrf_token": token.group(1)})
    assert throttled.status_code == 429 and "too many failed sign-ins" in throttled.text
    harness.clock.advance(minutes=6)  # backed off, never locked out: the right password works
    right = harness.client.post("/v1/auth/login", json={"email": "adm@test.example",
                                                        "password": "a long enough password"})
    assert right.status_code == 200


def test_a_public_request_cannot_pass_for_a_registered_agent(harness: Harness) -> None:
    """The public intake took "agent": {"name"} as given: anyone could record a request as
    coming from a registered agent."""
    from custos.controlplane import Request

    answer = harness.client.post("/v1/requests", json={
        "type": "access", "email": shop.ALICE, "agent": {"name": "CR_AA_DRP_ID_001", "permission": "signed"}})
    assert answer.status_code == 202
    with harness.service.plane.read() as session:
        stored = session.get(Request, answer.json()["id"])
        assert stored is not None
        assert (stored.source, stored.agent_id) == ("declared_agent", "declared:CR_AA_DRP_ID_001")
