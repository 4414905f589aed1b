"""The breach page in Chromium: record a breach, see the hours count down, count the people."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from custos.server import create_app
from tests.consent.browser import CHROMIUM
from tests.service.conftest import make_settings
from tests.service.test_retention_pages import _submit, console_in_browser


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing (install Debian's chromium)")
def test_the_breach_page_in_a_browser(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'custos.db'}")
    app = create_app(settings, run_jobs=False)
    with console_in_browser(app) as (browser, page, server):
        page.goto(f"{server.url}/admin/breaches")
        assert "No breach is registered." in page.evaluate("document.body.innerText")
        aware = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M")
        page.evaluate("document.querySelector('#summary').value = 'A laptop with an export of orders was stolen'")
        page.evaluate(f"document.querySelector('#aware_at').value = {json.dumps(aware)}")
        page.evaluate("document.querySelector('#targets').value = 'shop.orders shop.tickets'")
        _submit(page, "form[action='/admin/breaches'] button")
        text = page.evaluate("document.body.innerText")
        assert "A laptop with an export of orders was stolen" in text and "hours left" in text, text[:800]
        assert "People affected: not counted yet" in text
        _submit(page, "form[action$='/count'] button")
        text = page.evaluate("document.body.innerText")
        assert "People affected: 4" in text and "records: 7" in text, text[:800]
        shot = browser.command("Page.captureScreenshot", {"format": "png"}, session=page.session)
        (tmp_path / "breaches.png").write_bytes(base64.b64decode(shot["data"]))
