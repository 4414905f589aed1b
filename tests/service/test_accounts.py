"""Verification through the company's signed-in accounts: a JWT from its site, checked with its key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from custos.controlplane import AuditEntry, Request
from custos.errors import ConfigError
from custos.server import create_app
from custos.service.accounts import load_key
from tests import shop
from tests.service.conftest import Clock, Harness, Template, start
from tests.service.test_pages import token_in

ISSUER = "https://shop.test.example"
AUDIENCE = "http://testserver"
SECRET = "an HMAC secret the shop and Custos share, 48 bytes"


def _pem(private: Any) -> str:
    return str(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode())


@dataclass(frozen=True)
class Signer:
    """How the company's site signs account tokens, and the key Custos is given to check them."""

    algorithm: str
    private: Any
    public: str

    def token(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private, algorithm=self.algorithm)


_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
_EC = ec.generate_private_key(ec.SECP256R1())
_ED = ed25519.Ed25519PrivateKey.generate()
SIGNERS = {
    "HS256": Signer("HS256", SECRET, SECRET),
    "RS256": Signer("RS256", _RSA, _pem(_RSA)),
    "ES256": Signer("ES256", _EC, _pem(_EC)),
    "EdDSA": Signer("EdDSA", _ED, _pem(_ED)),
}


def account_settings(signer: Signer) -> dict[str, Any]:
    return {"account_token_key": signer.public, "account_token_issuer": ISSUER}


def claims(harness: Harness, **changes: Any) -> dict[str, Any]:
    """Claims of a token issued now, a minute after the customer signed in; ``None`` leaves a claim out."""
    now = int(harness.clock.now.timestamp())
    values: dict[str, Any] = {"sub": "1", "email": shop.ALICE, "auth_time": now - 60, "iat": now - 5,
                              "exp": now + 300, "iss": ISSUER, "aud": AUDIENCE}
    values.update(changes)
    return {name: value for name, value in values.items() if value is not None}


def hs256_signed_with(key: bytes, payload: dict[str, Any]) -> str:
    """A token whose header says HS256, signed with ``key`` as the HMAC secret."""
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = part(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = part(json.dumps(payload).encode())
    signature = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{part(signature)}"


@pytest.fixture
def hs256(tmp_path: Path, template: Template) -> Iterator[Harness]:
    yield from start(tmp_path, template=template, **account_settings(SIGNERS["HS256"]))


@pytest.fixture(params=sorted(SIGNERS))
def signed(request: pytest.FixtureRequest, tmp_path: Path, template: Template) -> Iterator[tuple[Harness, Signer]]:
    signer = SIGNERS[str(request.param)]
    for harness in start(tmp_path, template=template, **account_settings(signer)):
        yield harness, signer


def with_account(harness: Harness, token: str, **body: Any) -> Any:
    return harness.client.post("/v1/requests", json={"jurisdiction": "ccpa", **body},
                               headers={"X-Account-Token": token})


def requests_stored(harness: Harness) -> int:
    with harness.service.plane.read() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(Request)) or 0)


def audit_trail(harness: Harness, action: str) -> list[AuditEntry]:
    with harness.service.plane.read() as session:
        return list(session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)
                                    .order_by(AuditEntry.seq)))


def all_audit_text(harness: Harness) -> str:
    with harness.service.plane.read() as session:
        return json.dumps([entry.detail for entry in session.scalars(sa.select(AuditEntry))])


def package_of(harness: Harness, receipt: dict[str, Any]) -> dict[str, Any]:
    status = harness.client.get(f"/v1/requests/{receipt['id']}", params={"token": receipt["token"]}).json()
    assert status["status"] == "completed", status
    download = harness.client.get(status["package"]["url"].removeprefix("http://testserver"))
    assert download.status_code == 200, download.text
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        everything = b"".join(archive.read(name) for name in archive.namelist())
        data: dict[str, Any] = json.loads(archive.read("data.json"))
    data["_all_files"] = everything.decode("utf-8", "replace")
    return data


# -- a valid token ------------------------------------------------------------------------


def test_a_valid_token_makes_a_verified_request_that_completes(signed: tuple[Harness, Signer]) -> None:
    harness, signer = signed
    answer = with_account(harness, signer.token(claims(harness)), type="access")
    assert answer.status_code == 202, answer.text
    receipt = answer.json()
    assert (receipt["status"], receipt["verification"]) == ("in_progress", "nothing more")
    assert harness.mails(shop.ALICE, "acknowledgement") and not harness.mails(shop.ALICE, "code")
    harness.run_jobs()
    detail = harness.client.get(f"/v1/admin/requests/{receipt['id']}", headers=harness.key("requests:read")).json()
    assert (detail["status"], detail["verified_level"], detail["source"]) == ("completed", "account", "api")
    passed = [entry.detail for entry in audit_trail(harness, "verification.account")]
    assert passed == [{"outcome": "passed", "level": "account", "algorithm": signer.algorithm, "issuer": ISSUER,
                       "identities": ["email", "user_id"], "authenticated_seconds_ago": 60}]


def test_a_deletion_through_the_account_runs_after_approval(hs256: Harness) -> None:
    token = SIGNERS["HS256"].token(claims(hs256, sub="3", email=shop.BOB, phone="+1 415 555 0103"))
    receipt = with_account(hs256, token, type="erasure", email="  Bob@Example.com ").json()
    assert receipt["status"] == "verified"
    approved = hs256.client.post(f"/v1/admin/requests/{receipt['id']}/approve",
                                 headers=hs256.key("requests:read", "requests:write"))
    assert approved.status_code == 200, approved.text
    hs256.run_jobs()
    assert hs256.status(receipt["id"]) == "completed"
    engine = sa.create_engine(hs256.shop_url)
    with engine.connect() as conn:
        names = dict(conn.execute(sa.text("select id, full_name from customers")).all())
    engine.dispose()
    assert names[3] is None and names[1] == "Alice Liddell"


def test_the_access_package_holds_the_person_and_nobody_else(hs256: Harness) -> None:
    receipt = with_account(hs256, SIGNERS["HS256"].token(claims(hs256)), type="access").json()
    hs256.run_jobs()
    package = package_of(hs256, receipt)
    assert package["subject"]["email"] == shop.ALICE
    customers = package["datasets"]["shop"]["customers"]
    assert sorted(row["id"] for row in customers) == [1, 2]
    for stranger in ("bob@example.com", "Bob Builder", "3 Bob St", "Happy birthday", "Carol", "Guest question",
                     "Bob's note"):
        assert stranger not in package["_all_files"]


def test_the_account_id_reaches_data_where_the_map_names_it(tmp_path: Path) -> None:
    """The token's identities are all proven: the account id finds the person even under a new email."""
    shop_url, crm_url = f"sqlite:///{tmp_path / 'shop.db'}", f"sqlite:///{tmp_path / 'crm.db'}"
    shop.build(shop_url, crm_url)
    customers_id = "      - name: customers\n        fields:\n          - {name: id, primary_key: true}"
    assert shop.MAP.count(customers_id) == 1
    text = shop.MAP.replace(customers_id, customers_id.replace("primary_key: true}", "primary_key: true, identity: user_id}"))
    path = shop.write_map(tmp_path, shop_url, crm_url, text)
    from fastapi.testclient import TestClient

    from custos.config import get_settings

    settings = get_settings(
        database_url=f"sqlite:///{tmp_path / 'custos.db'}", datamap=str(path), state_dir=str(tmp_path / "state"),
        outbox_dir=str(tmp_path / "outbox"), public_url=AUDIENCE, rate_limit_per_minute=10_000,
        **account_settings(SIGNERS["EdDSA"]))
    clock = Clock()
    app = create_app(settings, clock=clock, run_jobs=False)
    with TestClient(app) as client:
        harness = Harness(client, app.state.service, clock, Path(settings.outbox_dir), shop_url)
        token = SIGNERS["EdDSA"].token(claims(harness, sub="3", email="bob.new@example.com"))
        receipt = with_account(harness, token, type="access").json()
        harness.run_jobs()
        package = package_of(harness, receipt)
    assert package["subject"] == {"email": "bob.new@example.com", "user_id": "3"}
    assert [row["id"] for row in package["datasets"]["shop"]["customers"]] == [3]
    assert "Bob Builder" in package["_all_files"]
    for stranger in ("Alice Liddell", "alice@example.com", "1 Rabbit Hole", "For Dinah", "Carol", "VIP"):
        assert stranger not in package["_all_files"]


# -- refusals -----------------------------------------------------------------------------

Case = Callable[[Harness], str]
REFUSALS: dict[str, tuple[Case, dict[str, Any], int, str, str]] = {
    "bad_signature": (lambda h: jwt.encode(claims(h), SECRET.upper(), algorithm="HS256"), {}, 401,
                      "account_token_signature", "signature does not verify"),
    "alg_none": (lambda h: jwt.encode(claims(h), None, algorithm="none"), {}, 401,
                 "account_token_algorithm", "not signed with HS256"),
    "expired": (lambda h: SIGNERS["HS256"].token(claims(h, exp=int(h.clock.now.timestamp()) - 120)), {}, 401,
                "account_token_expired", "expired 2 minutes ago"),
    "stale_auth_time": (lambda h: SIGNERS["HS256"].token(claims(h, auth_time=int(h.clock.now.timestamp()) - 3600)),
                        {}, 401, "account_token_stale_auth_time", "the sign-in is 1 hour old"),
    "wrong_audience": (lambda h: SIGNERS["HS256"].token(claims(h, aud="https://other.example")), {}, 401,
                       "account_token_audience", "audience (aud) is not http://testserver"),
    "wrong_issuer": (lambda h: SIGNERS["HS256"].token(claims(h, iss="https://evil.example")), {}, 401,
                     "account_token_issuer", "issuer (iss)"),
    "no_auth_time": (lambda h: SIGNERS["HS256"].token(claims(h, auth_time=None)), {}, 401,
                     "account_token_claims", "no 'auth_time' claim"),
    "not_a_jwt": (lambda h: "not-a-token", {}, 401, "account_token_format", "not a signed JWT"),
    "mismatched_email": (lambda h: SIGNERS["HS256"].token(claims(h)), {"email": shop.BOB}, 400,
                         "account_mismatch", "the email in the request is not the signed-in account's email"),
    "mismatched_account_id": (lambda h: SIGNERS["HS256"].token(claims(h)), {"identities": {"user_id": "3"}}, 400,
                              "account_mismatch", "the user_id in the request is not the signed-in account's"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_a_refused_token_stores_nothing_and_names_the_problem(hs256: Harness, case: str) -> None:
    make, body, status, code, message = REFUSALS[case]
    token = make(hs256)
    answer = with_account(hs256, token, type="access", **body)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code
    assert message in answer.json()["error"]["message"]
    assert "Traceback" not in answer.text
    assert requests_stored(hs256) == 0 and hs256.mails() == []
    check = "identity_mismatch" if code == "account_mismatch" else code.removeprefix("account_token_")
    refused = audit_trail(hs256, "verification.account_refused")
    assert [(entry.request_id, entry.detail["check"], entry.detail["source"]) for entry in refused] == [
        (None, check, "api")]
    assert message in refused[0].detail["reason"]
    assert token not in all_audit_text(hs256)


def test_hs256_signed_with_the_public_key_is_refused(tmp_path: Path, template: Template) -> None:
    for harness in start(tmp_path, template=template, **account_settings(SIGNERS["RS256"])):
        forged = hs256_signed_with(SIGNERS["RS256"].public.encode(), claims(harness))
        answer = with_account(harness, forged, type="access")
        assert answer.status_code == 401
        assert answer.json()["error"] == {"code": "account_token_algorithm",
                                          "message": "the account token is not signed with RS256, the "
                                                     "algorithm of the configured key"}
        assert requests_stored(harness) == 0


def test_without_a_configured_key_account_tokens_are_not_accepted(harness: Harness) -> None:
    answer = with_account(harness, SIGNERS["HS256"].token(claims(harness)), type="access")
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "account_token_not_accepted"
    assert requests_stored(harness) == 0


def test_an_agent_cannot_carry_the_persons_account_token(hs256: Harness) -> None:
    answer = with_account(hs256, SIGNERS["HS256"].token(claims(hs256)), type="access",
                          agent={"name": "Agent", "permission": "signed"})
    assert answer.status_code == 422
    assert "agent" in answer.json()["error"]["message"]
    assert requests_stored(hs256) == 0


def test_requests_without_the_header_still_need_the_code(hs256: Harness) -> None:
    receipt = hs256.submit(type="access", email=shop.ALICE, jurisdiction="ccpa")
    assert receipt["status"] == "identity_unverified"
    assert hs256.mails(shop.ALICE, "code")


# -- the privacy center -------------------------------------------------------------------


def test_the_privacy_center_form_carries_the_sign_in(hs256: Harness) -> None:
    client = hs256.client
    token = SIGNERS["HS256"].token(claims(hs256))
    home = client.get("/privacy-center", params={"account_token": token})
    assert home.status_code == 200, home.text
    assert "Signed in as alice@example.com: no code needed" in home.text
    assert f'name="account_token" value="{token}"' in home.text
    form = {"type": "access", "email": shop.ALICE, "jurisdiction": "ccpa", "account_token": token}
    assert client.post("/privacy-center/requests", data=form).status_code == 403
    made = client.post("/privacy-center/requests", data={**form, "csrf_token": token_in(home.text)},
                       follow_redirects=False)
    assert made.status_code == 303, made.text
    request_id = made.headers["location"].split("/")[-1].split("?")[0]
    assert hs256.status(request_id) == "in_progress" and not hs256.mails(shop.ALICE, "code")
    assert [entry.request_id for entry in audit_trail(hs256, "verification.account")] == [request_id]
    hs256.run_jobs()
    page = client.get(made.headers["location"])
    assert re.search(r'id="download" href="http://testserver/v1/packages/', page.text), page.text


def test_the_privacy_center_turns_away_a_stale_sign_in(hs256: Harness) -> None:
    client = hs256.client
    stale = SIGNERS["HS256"].token(claims(hs256, auth_time=int(hs256.clock.now.timestamp()) - 1200))
    home = client.get("/privacy-center", params={"account_token": stale})
    assert home.status_code == 401
    assert "Your sign-in could not be used: the sign-in is 20 minutes old" in home.text
    assert 'name="account_token"' not in home.text and "We send a confirmation code" in home.text
    answer = client.post("/privacy-center/requests", data={
        "type": "access", "email": shop.ALICE, "account_token": stale, "csrf_token": token_in(home.text)})
    assert answer.status_code == 401 and "sign in again" in answer.text
    assert requests_stored(hs256) == 0
    checks = [entry.detail for entry in audit_trail(hs256, "verification.account_refused")]
    assert [(c["check"], c["source"]) for c in checks] == [("stale_auth_time", "privacy_center")] * 2


def test_the_token_expires_between_the_page_and_the_form(hs256: Harness) -> None:
    token = SIGNERS["HS256"].token(claims(hs256))
    home = hs256.client.get("/privacy-center", params={"account_token": token})
    hs256.clock.advance(minutes=10)
    answer = hs256.client.post("/privacy-center/requests", data={
        "type": "access", "email": shop.ALICE, "account_token": token, "csrf_token": token_in(home.text)})
    assert answer.status_code == 401 and "expired" in answer.text
    assert requests_stored(hs256) == 0


# -- the key ------------------------------------------------------------------------------


def test_keys_that_cannot_be_relied_on_are_configuration_errors() -> None:
    private_pem = _ED.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
    weak_rsa = _pem(rsa.generate_private_key(public_exponent=65537, key_size=1024))
    for key, message in ((private_pem, "is a private key"), ("short secret", "use at least 32"),
                         (weak_rsa, "1024-bit RSA key"), ("-----BEGIN PUBLIC KEY-----\nnope\n", "not a PEM")):
        with pytest.raises(ConfigError, match=message):
            load_key(key)
    assert load_key(SIGNERS["EdDSA"].public.replace("\n", "\\n")).algorithm == "EdDSA"
    assert load_key(SIGNERS["ES256"].public).algorithm == "ES256"
    assert load_key(SECRET).algorithm == "HS256"
