"""Holds and sweeps through the admin API (their own scopes) and the console page, the page
driven in a real headless Chromium: a sweep's rows per collection, a hold placed from the
form and lifted with its button."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from custos.config import get_settings
from custos.server import create_app
from custos.service.auth import create_api_key, create_user
from tests.consent.browser import CHROMIUM, Browser, Served
from tests.engine.test_retention import build, document
from tests.service.conftest import Harness

PASSWORD = "cobalt-Lantern-harbour-91"


def _key(harness: Harness, *scopes: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_api_key(harness.service, 'test', list(scopes))}"}


def test_holds_need_their_own_scopes(harness: Harness) -> None:
    body = {"scope": "collection", "target": "shop.orders", "reason": "tax audit", "matter": "T-9"}
    assert harness.client.post("/v1/admin/holds", json=body,
                               headers=_key(harness, "requests:write", "requests:read")).status_code == 403
    assert harness.client.get("/v1/admin/holds", headers=_key(harness, "requests:read")).status_code == 403
    placed = harness.client.post("/v1/admin/holds", json=body, headers=_key(harness, "holds:write"))
    assert placed.status_code == 201, placed.text
    hold = placed.json()
    listed = harness.client.get("/v1/admin/holds", headers=_key(harness, "holds:read")).json()
    assert [h["matter"] for h in listed] == ["T-9"] and listed[0]["active"] is True
    bad = harness.client.post("/v1/admin/holds", json={**body, "target": "shop.nope"},
                              headers=_key(harness, "holds:write"))
    assert bad.status_code == 422 and "shop.nope" in bad.json()["error"]["message"]
    lifted = harness.client.post(f"/v1/admin/holds/{hold['id']}/lift", headers=_key(harness, "holds:write"))
    assert lifted.status_code == 200 and lifted.json()["active"] is False
    assert harness.client.post("/v1/admin/holds/99999/lift", headers=_key(harness, "holds:write")).status_code == 404


def test_a_sweep_from_the_api_is_recorded(harness: Harness) -> None:
    assert harness.client.post("/v1/admin/retention/run", headers=_key(harness, "holds:read")).status_code == 403
    run = harness.client.post("/v1/admin/retention/run", headers=_key(harness, "retention:run"))
    assert run.status_code == 200, run.text
    assert run.json()["status"] == "done" and run.json()["report"]["ok"] is True
    # the test shop's people have no activity dated: they are counted, never swept
    assert run.json()["report"]["totals"]["undated"] > 0 and run.json()["report"]["totals"]["due"] == 0
    status = harness.client.get("/v1/admin/retention", headers=_key(harness, "holds:read")).json()
    assert [r["id"] for r in status["runs"]] == [run.json()["id"]]
    assert status["next_run_at"] > run.json()["finished_at"]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    build(url)
    path = tmp_path / "shop.yaml"
    path.write_text(yaml.safe_dump(document(url)), encoding="utf-8")
    settings = get_settings(database_url=f"sqlite:///{tmp_path / 'custos.db'}", datamap=str(path),
                            state_dir=str(tmp_path / "state"), outbox_dir=str(tmp_path / "outbox"),
                            public_url="http://127.0.0.1")
    app = create_app(settings, run_jobs=False)
    create_user(app.state.service, "dpo@shop.test", PASSWORD, "admin")
    with Served(app) as server:
        yield server.url


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing (install Debian's chromium)")
def test_the_retention_page_in_a_browser(served: str, tmp_path: Path) -> None:
    browser = Browser()
    try:
        page = browser.page()
        page.goto(f"{served}/admin/login")
        page.evaluate(f"document.querySelector('input[name=email]').value = {json.dumps('dpo@shop.test')}")
        page.evaluate(f"document.querySelector('input[name=password]').value = {json.dumps(PASSWORD)}")
        _submit(page, "form button[type=submit]")
        page.goto(f"{served}/admin/retention")
        assert "No sweep has run yet" in page.evaluate("document.body.innerText")
        _submit(page, "form[action='/admin/retention/run'] button")
        text = page.evaluate("document.body.innerText")
        assert "Last sweep: done" in text and "shop.sessions" in text, text
        rows = page.evaluate("[...document.querySelectorAll('table')[0].querySelectorAll('tbody tr')]"
                             ".map(r => [...r.cells].map(c => c.innerText))")
        sessions = next(r for r in rows if r[0] == "shop.sessions")
        assert sessions[2] == sessions[3] == "3"  # due and deleted: all three are past 13 months by now
        page.evaluate("document.querySelector('#scope').value = 'collection'")
        page.evaluate("document.querySelector('#target').value = 'shop.orders'")
        page.evaluate("document.querySelector('#matter').value = 'T-3'")
        page.evaluate("document.querySelector('#reason').value = 'Open tax audit'")
        _submit(page, "form[action='/admin/holds'] button")
        text = page.evaluate("document.body.innerText")
        assert "collection: shop.orders" in text and "T-3" in text and "active" in text
        shot = browser.command("Page.captureScreenshot", {"format": "png"}, session=page.session)
        (tmp_path / "retention.png").write_bytes(base64.b64decode(shot["data"]))
        _submit(page, "form[action$='/lift'] button")
        assert "lifted" in page.evaluate("document.body.innerText")
    finally:
        browser.close()


def _submit(page: object, button: str) -> None:
    page.evaluate("window.__old = true")  # type: ignore[attr-defined]
    page.evaluate(f"document.querySelector({json.dumps(button)}).click()")  # type: ignore[attr-defined]
    page.wait_for("!window.__old && document.readyState === 'complete'", timeout=30)  # type: ignore[attr-defined]


@contextmanager
def console_in_browser(app: Any) -> Iterator[tuple[Any, Any, Any]]:
    """The app served, an admin signed in to its console in Chromium: (browser, page, server)."""
    create_user(app.state.service, "dpo@shop.test", PASSWORD, "admin")
    browser = Browser()
    try:
        with Served(app) as server:
            page = browser.page()
            sign_in(page, server.url)
            yield browser, page, server
    finally:
        browser.close()


def sign_in(page: object, base: str, email: str = "dpo@shop.test", password: str = PASSWORD) -> None:
    """Sign in to the console in the browser, as a person types it."""
    page.goto(f"{base}/admin/login")  # type: ignore[attr-defined]
    page.evaluate(f"document.querySelector('input[name=email]').value = {json.dumps(email)}")  # type: ignore[attr-defined]
    page.evaluate(f"document.querySelector('input[name=password]').value = {json.dumps(password)}")  # type: ignore[attr-defined]
    _submit(page, "form button[type=submit]")
