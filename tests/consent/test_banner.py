"""The banner in a real headless Chromium: scripts wait for consent, choices persist, GPC is honored.

Skips, saying why, when /usr/bin/chromium is absent; CI installs it (.ci/system-packages).
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from custos.consent import STATIC
from custos.datamap import DataMap
from tests.consent.browser import CHROMIUM, Browser, Page, Served
from tests.consent.conftest import build_app

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="browser tests need Debian's chromium at /usr/bin/chromium "
    "(apt-get install -y chromium chromium-driver; CI does it in .ci/system-packages)")

SITE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>Shop</title>
<script src="/consent/static/custos-banner.js" defer></script>
<script type="text/plain" data-purpose="analytics" src="/site/analytics.js"></script>
</head><body><h1>Shop {page}</h1><a href="#" data-custos-open>Privacy choices</a></body></html>"""


class Site:
    """A shop's pages, served beside Custos; the analytics script reports each run."""

    def __init__(self) -> None:
        self.hits = 0

    def mount(self, app: FastAPI) -> None:
        @app.get("/site/{page}", include_in_schema=False)
        def site(page: str, lang: str = "en") -> Response:
            if page == "analytics.js":
                self.hits += 1
                return PlainTextResponse("window.analyticsRan = (window.analyticsRan || 0) + 1;",
                                         media_type="text/javascript")
            return HTMLResponse(SITE.format(page=page, lang=lang))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("browser tests need /usr/bin/chromium")
    chromium = Browser()
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def served(tmp_path: Path, datamap: DataMap) -> Iterator[tuple[Served, Site]]:
    app = build_app(tmp_path, datamap, clock=None)
    site = Site()
    site.mount(app)
    with Served(app) as server:
        yield server, site


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    tab = browser.page()
    try:
        yield tab
    finally:
        tab.close()


def open_site(page: Page, served: Served, name: str = "home") -> None:
    page.goto(f"{served.url}/site/{name}")
    page.wait_for("window.custos && window.custos.consent && document.readyState === 'complete'")


def server_state(served: Served, subject: str, **headers: str) -> dict[str, object]:
    import httpx

    answer = httpx.get(f"{served.url}/v1/consent", params={"subject": subject}, headers=headers)
    assert answer.status_code == 200
    result: dict[str, object] = answer.json()
    return result


def test_banner_is_small() -> None:
    script = (STATIC / "custos-banner.js").read_bytes()
    style = (STATIC / "custos-banner.css").read_bytes()
    # Unminified and gzipped is an upper bound of minified and gzipped.
    assert len(gzip.compress(script, 9)) + len(gzip.compress(style, 9)) < 15_000


@needs_chromium
def test_reject_all_keeps_analytics_from_running(page: Page, served: tuple[Served, Site]) -> None:
    server, site = served
    open_site(page, server)
    page.wait_for("document.querySelector('#custos-banner')")
    assert page.evaluate("document.querySelector('#custos-banner').getAttribute('role')") == "dialog"
    labels = page.evaluate("[...document.querySelectorAll('#custos-banner .custos-btn')].map(b => b.textContent)")
    assert labels == ["Accept all", "Reject all", "Choose"]
    # Equal weight: the three buttons have one size and one style.
    looks = page.evaluate("""[...document.querySelectorAll('#custos-banner .custos-btn')].map(b => {
        const s = getComputedStyle(b), r = b.getBoundingClientRect();
        return [Math.round(r.width), Math.round(r.height), s.backgroundColor, s.color, s.fontWeight, s.borderWidth];
    })""")
    assert looks[0] == looks[1] == looks[2]
    # By keyboard: focus starts on the first button; Tab to "Reject all", Enter.
    assert page.evaluate("document.activeElement.dataset.action") == "accept"
    page.key("Tab", 9)
    assert page.evaluate("document.activeElement.dataset.action") == "reject"
    page.key("Enter", 13)
    page.wait_for("!document.querySelector('#custos-banner')")
    assert page.evaluate("custos.consent.has('analytics')") is False
    page.reload()
    page.wait_for("document.getElementById('custos-reopen')")
    assert page.evaluate("typeof window.analyticsRan") == "undefined"
    assert page.evaluate("!!document.querySelector('#custos-banner')") is False  # the choice was kept
    assert site.hits == 0
    subject = page.evaluate("custos.consent.subject()")
    state = server_state(server, subject)
    choices = state["choices"]
    assert isinstance(choices, dict)
    assert choices["analytics"]["granted"] is False and choices["analytics"]["method"] == "banner"


@needs_chromium
def test_accept_runs_reload_keeps_and_withdrawal_stops_on_next_page(page: Page, served: tuple[Served, Site]) -> None:
    server, site = served
    open_site(page, server)
    page.wait_for("document.querySelector('#custos-banner [data-action=accept]')")
    page.evaluate("""new Promise(done => {
        custos.consent.on(detail => { window.changed = detail.changed; done(true); });
        document.querySelector('#custos-banner [data-action=accept]').click();
    })""")
    page.wait_for("window.analyticsRan === 1")
    assert page.evaluate("window.changed.includes('analytics')") is True
    assert site.hits == 1
    page.reload()
    page.wait_for("window.analyticsRan === 1")  # a reload keeps the choice: no banner, the script runs
    assert page.evaluate("!!document.querySelector('#custos-banner')") is False
    assert site.hits == 2
    # Withdraw from the reopen link: the second layer lists each purpose with its description.
    page.evaluate("document.querySelector('[data-custos-open]').click()")
    page.wait_for("document.querySelector('#custos-p-analytics')")
    description = page.evaluate("document.querySelector('#custos-p-analytics-d').textContent")
    assert description == "Counting visits to learn which pages help <b>people</b>."  # shown, not run as HTML
    page.evaluate("document.querySelector('#custos-p-analytics').click()")
    page.evaluate("document.querySelector('#custos-banner [data-action=choose]').click()")
    page.wait_for("custos.consent.has('analytics') === false")
    open_site(page, server, "next")
    page.wait_for("document.getElementById('custos-reopen')")
    assert page.evaluate("typeof window.analyticsRan") == "undefined"
    assert site.hits == 2
    state = server_state(server, page.evaluate("custos.consent.subject()"))
    choices = state["choices"]
    assert isinstance(choices, dict) and choices["analytics"]["granted"] is False


@needs_chromium
def test_gpc_banner_says_opt_out_honored_and_server_has_the_record(page: Page, served: tuple[Served, Site]) -> None:
    server, _ = served
    page.with_gpc()
    open_site(page, server)
    page.wait_for("document.querySelector('[data-custos-gpc]')")
    assert "Opt-Out Request Honored" in page.evaluate("document.querySelector('[data-custos-gpc]').textContent")
    assert page.evaluate("document.querySelector('[data-custos-gpc]').getAttribute('role')") == "status"
    subject = page.evaluate("custos.consent.subject()")
    page.wait_for(f"fetch('/v1/consent?subject={subject}').then(r => r.json()).then(s => s.gpc_honored)")
    state = server_state(server, subject, **{"Sec-GPC": "1"})
    choices = state["choices"]
    assert isinstance(choices, dict)
    for key in ("sale", "sharing", "targeted_advertising", "advertising"):
        assert choices[key]["granted"] is False and choices[key]["method"] == "gpc"
    # Accepting everything cannot turn targeted advertising back on while GPC is sent.
    page.evaluate("document.querySelector('#custos-banner [data-action=accept]').click()")
    page.wait_for("custos.consent.has('analytics') === true")
    assert page.evaluate("custos.consent.has('advertising')") is False


@needs_chromium
def test_second_language(page: Page, served: tuple[Served, Site]) -> None:
    server, _ = served
    page.goto(f"{server.url}/site/home?lang=de")
    page.wait_for("document.querySelector('#custos-banner')")
    labels = page.evaluate("[...document.querySelectorAll('#custos-banner .custos-btn')].map(b => b.textContent)")
    assert labels == ["Alle akzeptieren", "Alle ablehnen", "Auswählen"]


@needs_chromium
def test_after_reject_all_the_banner_may_not_ask_for_twelve_months(page: Page, served: tuple[Served, Site]) -> None:
    server, _ = served
    open_site(page, server)
    page.wait_for("document.querySelector('#custos-banner')")
    assert page.evaluate("custos.consent.mayAsk('advertising')") is True
    page.evaluate("document.querySelector('#custos-banner [data-action=reject]').click()")
    page.wait_for("!document.querySelector('#custos-banner')")
    assert page.evaluate("custos.consent.mayAsk('advertising')") is False  # an opt-out purpose
    assert page.evaluate("custos.consent.mayAsk('analytics')") is True  # a cookie purpose: not the CCPA rule
    days = page.evaluate("Math.round((Date.parse(JSON.parse(localStorage.getItem('custos.consent'))"
                         ".wait.advertising) - Date.now()) / 864e5)")
    assert days == 365
    subject = page.evaluate("custos.consent.subject()")
    page.wait_for(f"fetch('/v1/consent?subject={subject}').then(r => r.json())"
                  ".then(s => s.ask_again_after && !!s.ask_again_after.advertising)")
    state = server_state(server, subject)
    wait = state["ask_again_after"]
    assert isinstance(wait, dict) and {"advertising", "sale", "sharing", "targeted_advertising"} <= set(wait)
    page.reload()
    page.wait_for("document.getElementById('custos-reopen')")
    assert page.evaluate("custos.consent.mayAsk('sale')") is False  # kept across pages
