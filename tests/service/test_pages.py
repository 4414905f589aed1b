"""The privacy center and the admin console, as a browser without JavaScript uses them."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from custos.service.auth import create_user
from custos.service.http.pages.rendering import CSRF_COOKIE
from tests import shop
from tests.service.conftest import Harness, Template, start


def token_in(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def test_privacy_center_journey(harness: Harness) -> None:
    client = harness.client
    home = client.get("/privacy-center")
    assert home.status_code == 200
    assert '<label for="email">' in home.text
    made = client.post("/privacy-center/requests", follow_redirects=False,
                       data={"type": "access", "email": shop.ALICE, "jurisdiction": "ccpa",
                             "csrf_token": token_in(home.text)})
    assert made.status_code == 303, made.text
    page = client.get(made.headers["location"])
    assert "identity unverified" in page.text
    form = {"csrf_token": token_in(page.text), "token": made.headers["location"].split("token=")[1],
            "code": harness.code(shop.ALICE), "dp:shop.customers.full_name": "Alice Liddell",
            "dp:shop.customers.phone": "+1 415 555 0101", "signed_name": "Alice Liddell", "declare": "yes"}
    request_path = made.headers["location"].split("?")[0]
    verified = client.post(f"{request_path}/verify", data=form, follow_redirects=False)
    assert verified.status_code == 303, verified.text
    harness.run_jobs()
    page = client.get(made.headers["location"])
    link = re.search(r'id="download" href="http://testserver([^"]+)"', page.text)
    assert link, page.text
    download = client.get(link.group(1))
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        assert "data.json" in archive.namelist()


def test_forms_without_the_csrf_token_are_refused(harness: Harness) -> None:
    harness.client.get("/privacy-center")
    answer = harness.client.post("/privacy-center/requests", data={"type": "access", "email": shop.ALICE})
    assert answer.status_code == 403
    answer = harness.client.post("/privacy-center/requests",
                                 data={"type": "access", "email": shop.ALICE, "csrf_token": "forged"})
    assert answer.status_code == 403


def test_wrong_code_shows_the_error_on_the_page(harness: Harness) -> None:
    home = harness.client.get("/privacy-center")
    made = harness.client.post("/privacy-center/requests", follow_redirects=False,
                               data={"type": "categories", "email": shop.BOB, "csrf_token": token_in(home.text)})
    path = made.headers["location"].split("?")[0]
    code = "000000" if harness.code(shop.BOB) != "000000" else "111111"
    answer = harness.client.post(f"{path}/verify", data={"csrf_token": token_in(home.text), "code": code})
    assert answer.status_code == 422
    assert "does not match" in answer.text


def test_console_needs_a_session_and_csrf(harness: Harness) -> None:
    client = harness.client
    receipt = harness.submit(type="access", email=shop.ALICE)
    for path in ("/admin", f"/admin/requests/{receipt['id']}"):
        assert client.get(path, follow_redirects=False).headers["location"] == "/admin/login"
    assert client.post(f"/admin/requests/{receipt['id']}/deny", data={"reason": "x"},
                       follow_redirects=False).headers["location"] == "/admin/login"
    create_user(harness.service, "op@test.example", "a long enough password", "operator")
    harness.clock.advance(days=44)
    form = client.get("/admin/login")
    signed = client.post("/admin/login", follow_redirects=False, data={
        "email": "op@test.example", "password": "a long enough password", "csrf_token": token_in(form.text)})
    assert signed.status_code == 303
    queue = client.get("/admin")
    assert "due soon" in queue.text and receipt["id"][:8] in queue.text
    detail = client.get(f"/admin/requests/{receipt['id']}")
    assert "A confirmation code was mailed to the person" in detail.text  # the history in words
    url = f"/admin/requests/{receipt['id']}/deny"
    assert client.post(url, data={"reason": "duplicate"}).status_code == 403
    denied = client.post(url, follow_redirects=False,
                         data={"reason": "duplicate of an earlier request", "csrf_token": token_in(detail.text)})
    assert denied.status_code == 303
    assert harness.status(receipt["id"]) == "denied"


def test_auditor_console_is_read_only(harness: Harness) -> None:
    create_user(harness.service, "audit@test.example", "a long enough password", "auditor")
    form = harness.client.get("/admin/login")
    harness.client.post("/admin/login", data={"email": "audit@test.example", "password": "a long enough password",
                                              "csrf_token": token_in(form.text)})
    receipt = harness.submit(type="access", email=shop.ALICE)
    detail = harness.client.get(f"/admin/requests/{receipt['id']}")
    assert "Decide" not in detail.text
    queue = harness.client.get("/admin")
    answer = harness.client.post(f"/admin/requests/{receipt['id']}/deny",
                                 data={"reason": "no", "csrf_token": token_in(queue.text)})
    assert answer.status_code == 403


def test_every_console_page_sends_anonymous_callers_to_sign_in(harness: Harness) -> None:
    from custos.service.http.pages.console import router

    checked = 0
    for route in router.routes:
        path = getattr(route, "path", "")
        if path.endswith("/login"):
            continue
        url = path.replace("{request_id}", "00000000-0000-4000-8000-000000000000").replace("{action}", "deny")
        for method in sorted(getattr(route, "methods", set()) - {"HEAD"}):
            answer = harness.client.request(method, url, follow_redirects=False)
            assert answer.status_code == 303 and answer.headers["location"] == "/admin/login", (method, path)
            checked += 1
    assert checked >= 4


def test_cookies_are_secure_behind_a_tls_proxy(tmp_path: Path, template: Template) -> None:
    """Behind a TLS proxy Custos sees plain http; CUSTOS_PUBLIC_URL says the site is https."""
    for harness in start(tmp_path, template=template, public_url="https://privacy.example"):
        create_user(harness.service, "op@test.example", "a long enough password", "operator")
        form = harness.client.get("/admin/login")  # reaches Custos as plain http
        assert "secure" in form.headers["set-cookie"].lower()  # the CSRF cookie
        token = token_in(form.text)
        harness.client.cookies.set(CSRF_COOKIE, token)  # as the browser sends it over TLS to the proxy
        signed = harness.client.post("/admin/login", follow_redirects=False, data={
            "email": "op@test.example", "password": "a long enough password", "csrf_token": token})
        assert signed.status_code == 303 and "secure" in signed.headers["set-cookie"].lower()
