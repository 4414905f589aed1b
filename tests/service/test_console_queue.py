"""The operator's queue: filter by type, status, law and deadline, find a request by the
start of its reference, fifty to a page; and the page in Chromium at desktop and phone widths."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from custos.server import create_app
from custos.service.auth import create_user
from tests import shop
from tests.consent.browser import CHROMIUM, Browser, Served
from tests.service.conftest import Harness, make_settings
from tests.service.test_pages import token_in

PASSWORD = "a long enough password"


def _sign_in(harness: Harness, *, new: bool = True) -> None:
    if new:
        create_user(harness.service, "op@test.example", PASSWORD, "operator")
    form = harness.client.get("/admin/login")
    harness.client.post("/admin/login", data={"email": "op@test.example", "password": PASSWORD,
                                              "csrf_token": token_in(form.text)})


def _references(html: str) -> list[str]:
    return [part.split('"')[0] for part in html.split('href="/admin/requests/')[1:]]


def test_the_queue_filters_and_finds(harness: Harness) -> None:
    erasure = harness.submit(type="erasure", email=shop.ALICE, jurisdiction="gdpr")
    access = harness.submit(type="access", email=shop.BOB, jurisdiction="ccpa")
    _sign_in(harness)
    assert _references(harness.client.get("/admin", params={"type": "erasure"}).text) == [erasure["id"]]
    assert _references(harness.client.get("/admin", params={"law": "ccpa"}).text) == [access["id"]]
    found = harness.client.get("/admin", params={"q": access["id"][:6]}).text
    assert _references(found) == [access["id"]]
    assert "No request matches." in harness.client.get("/admin", params={"q": "zzzz"}).text
    assert _references(harness.client.get("/admin", params={"due": "overdue"}).text) == []
    harness.clock.advance(days=50)  # past both deadlines (and past the session's eight hours)
    _sign_in(harness, new=False)
    assert sorted(_references(harness.client.get("/admin", params={"due": "overdue"}).text)) == sorted(
        [erasure["id"], access["id"]])


def test_the_queue_is_paged(harness: Harness) -> None:
    for i in range(55):
        harness.submit(type="access", email=f"person{i}@example.com", jurisdiction="ccpa")
    _sign_in(harness)
    first = harness.client.get("/admin", params={"type": "access"}).text
    assert len(_references(first)) == 50 and "page 1 of 2" in first and "type=access&amp;page=2" in first
    second = harness.client.get("/admin", params={"type": "access", "page": 2}).text
    assert len(_references(second)) == 5 and not set(_references(first)) & set(_references(second))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'custos.db'}")
    app = create_app(settings, run_jobs=False)
    create_user(app.state.service, "op@test.example", PASSWORD, "operator")
    from custos.service.requests.intake import Intake, create

    for i in range(3):
        create(app.state.service, Intake(type="erasure", identities={"email": f"p{i}@example.com"}))
    with Served(app) as server:
        yield server.url


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing (install Debian's chromium)")
def test_the_queue_at_desktop_and_phone_widths(served: str, tmp_path: Path) -> None:
    browser = Browser()
    try:
        page = browser.page()
        page.goto(f"{served}/admin/login")
        page.evaluate("document.querySelector('input[name=email]').value = 'op@test.example'")
        page.evaluate(f"document.querySelector('input[name=password]').value = '{PASSWORD}'")
        page.evaluate("window.__old = true")
        page.evaluate("document.querySelector('form button[type=submit]').click()")
        page.wait_for("!window.__old && document.readyState === 'complete'", timeout=30)
        for name, width, height in (("desktop", 1280, 800), ("phone", 390, 844)):
            page.send("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": name == "phone"})
            page.goto(f"{served}/admin?status=open")
            assert page.evaluate("document.querySelectorAll('tbody tr').length") == 3
            # nothing wider than the screen: the filters wrap, the table fits or scrolls in its own box
            assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, name
            shot = browser.command("Page.captureScreenshot", {"format": "png"}, session=page.session)
            (tmp_path / f"queue-{name}.png").write_bytes(base64.b64decode(shot["data"]))
    finally:
        browser.close()
