"""The banner's second step for people under 16, in a real headless Chromium.

A site that knows the visitor's age band says so on the banner's tag (``data-age-band``).
A grant of sale or sharing then waits for a confirmation dialog: the person at 13 to 15,
a parent under 13, ticks the agreement and confirms. Until then the purpose's scripts do
not run; cancelling records a denial.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from custos.consent.models import ConsentEvent, SubjectAge
from custos.datamap import DataMap
from tests.consent.browser import Page, Served
from tests.consent.conftest import Clock, build_app
from tests.consent.test_banner import browser, needs_chromium, page, server_state

__all__ = ["browser", "page"]  # the browser fixtures of test_banner, one Chromium per module

pytestmark = needs_chromium

SHOP = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>Shop</title>
<script src="/consent/static/custos-banner.js" data-age-band="{band}" defer></script>
<script type="text/plain" data-purpose="analytics" src="/minors/analytics.js"></script>
<script type="text/plain" data-purpose="sale" src="/minors/sale.js"></script>
</head><body><h1>Shop</h1></body></html>"""


class Shop:
    """A shop page whose visitor's age band the shop knows; the sale script reports each run.

    Scripts come by ``src``: the service's Content-Security-Policy forbids inline ones on its pages.
    """

    def __init__(self) -> None:
        self.sale_hits = 0

    def mount(self, app: FastAPI) -> None:
        @app.get("/minors/{name}", include_in_schema=False)
        def shop(name: str, band: str = "", lang: str = "en") -> Response:
            if name == "analytics.js":
                return PlainTextResponse("window.analyticsRan = true;", media_type="text/javascript")
            if name == "sale.js":
                self.sale_hits += 1
                return PlainTextResponse("window.saleRan = (window.saleRan || 0) + 1;", media_type="text/javascript")
            return HTMLResponse(SHOP.format(band=band, lang=lang))


class Running:
    def __init__(self, server: Served, shop: Shop, app: FastAPI, clock: Clock) -> None:
        self.server = server
        self.shop = shop
        self.app = app
        self.clock = clock

    def events(self, subject: str, purpose: str) -> list[ConsentEvent]:
        with self.app.state.consent.service.plane.read() as session:
            return list(session.scalars(sa.select(ConsentEvent).where(
                ConsentEvent.subject == subject, ConsentEvent.purpose == purpose).order_by(ConsentEvent.id)))

    def declarations(self, subject: str) -> list[tuple[str, str]]:
        with self.app.state.consent.service.plane.read() as session:
            return [(a.age_band, a.declared_by) for a in session.scalars(
                sa.select(SubjectAge).where(SubjectAge.subject == subject).order_by(SubjectAge.id))]


@pytest.fixture
def shop(tmp_path: Path, datamap: DataMap) -> Iterator[Running]:
    clock = Clock()
    app = build_app(tmp_path, datamap, clock)
    site = Shop()
    site.mount(app)
    with Served(app) as server:
        yield Running(server, site, app, clock)


def accept_all(tab: Page, shop: Running, band: str, lang: str = "en") -> None:
    tab.goto(f"{shop.server.url}/minors/home?band={band}&lang={lang}")
    tab.wait_for("document.querySelector('#custos-banner [data-action=accept]')")
    tab.evaluate("document.querySelector('#custos-banner [data-action=accept]').click()")
    tab.wait_for("document.querySelector('#custos-minor')")


def dialog(tab: Page) -> dict[str, Any]:
    found: dict[str, Any] = tab.evaluate("""(() => {
        const box = document.querySelector('#custos-minor');
        return {
            role: box.getAttribute('role'),
            modal: box.getAttribute('aria-modal'),
            title: document.getElementById(box.getAttribute('aria-labelledby')).textContent,
            focused: box.contains(document.activeElement) ? document.activeElement.id : null,
            agreement: document.querySelector('label[for=custos-minor-agree]').textContent,
            listed: [...box.querySelectorAll('li')].map(item => item.dataset.purposeKey),
            confirm_disabled: box.querySelector('[data-action=confirm]').disabled,
        };
    })()""")
    return found


def status(tab: Page) -> str:
    text: str = tab.wait_for("document.getElementById('custos-status').textContent")
    return text


def test_teen_confirms_and_the_sale_script_runs_only_then(page: Page, shop: Running) -> None:
    accept_all(page, shop, "13_15")
    shown = dialog(page)
    assert shown["role"] == "dialog" and shown["modal"] == "true"
    assert shown["title"] == "Confirm selling or sharing"
    assert shown["focused"] == "custos-minor-agree"
    assert shown["agreement"].startswith("I am 13 to 15 and I agree")
    assert {"sale", "sharing"} <= set(shown["listed"])
    listed = page.evaluate("document.querySelector('#custos-minor li[data-purpose-key=sale]').textContent")
    assert listed.startswith("Sale of personal information")
    # The other purposes accepted are in effect at once; sale waits for the second step.
    page.wait_for("window.analyticsRan === true")
    assert page.evaluate("custos.consent.has('analytics')") is True
    assert page.evaluate("custos.consent.has('sale') || custos.consent.has('sharing')") is False
    assert page.evaluate("typeof window.saleRan") == "undefined" and shop.shop.sale_hits == 0
    subject = page.evaluate("custos.consent.subject()")
    assert shop.events(subject, "sale") == []

    # By keyboard: Space ticks the agreement, Tab reaches Confirm, Enter confirms.
    page.key(" ", 32)
    assert page.evaluate("document.activeElement.checked") is True
    page.key("Tab", 9)
    assert page.evaluate("document.activeElement.dataset.action") == "confirm"
    page.key("Enter", 13)
    page.wait_for("window.saleRan === 1")
    assert page.evaluate("!!document.querySelector('#custos-minor')") is False
    assert page.evaluate("custos.consent.has('sale') && custos.consent.has('sharing')") is True
    assert status(page) == "Confirmed: selling and sharing are on for the purposes listed."
    assert shop.shop.sale_hits == 1

    events = shop.events(subject, "sale")
    assert [e.granted for e in events] == [True]
    assert events[0].method == "banner" and events[0].evidence["age_band"] == "13_15"
    assert events[0].evidence["two_step"]["confirmed_by"] == "self"
    assert shop.declarations(subject) == [("13_15", "self")]
    choices = server_state(shop.server, subject)["choices"]
    assert isinstance(choices, dict)
    assert choices["sale"]["granted"] is True and choices["sharing"]["granted"] is True

    page.reload()  # the confirmed choice holds on the next page: no banner, no dialog, the script runs
    page.wait_for("window.saleRan === 1")
    assert page.evaluate("!!document.querySelector('#custos-banner, #custos-minor')") is False


def test_parent_cancels_and_sale_stays_off(page: Page, shop: Running) -> None:
    accept_all(page, shop, "under_13")
    shown = dialog(page)
    assert shown["agreement"].startswith("I am this person's parent or guardian and I agree")
    page.evaluate("document.querySelector('#custos-minor [data-action=cancel]').click()")
    page.wait_for("!document.querySelector('#custos-minor')")
    assert status(page) == "Not confirmed: selling and sharing stay off."
    assert page.evaluate("custos.consent.has('sale')") is False
    assert page.evaluate("custos.consent.has('analytics')") is True
    subject = page.evaluate("custos.consent.subject()")
    page.wait_for(f"fetch('/v1/consent?subject={subject}').then(r => r.json())"
                  ".then(s => s.choices.sale && s.choices.sale.granted === false)")
    assert [e.granted for e in shop.events(subject, "sale")] == [False]
    assert [e.granted for e in shop.events(subject, "sharing")] == [False]

    page.reload()
    page.wait_for("document.getElementById('custos-reopen')")
    assert page.evaluate("!!document.querySelector('#custos-banner, #custos-minor')") is False
    assert page.evaluate("typeof window.saleRan") == "undefined" and shop.shop.sale_hits == 0
    assert all(not e.granted for e in shop.events(subject, "sale"))


def test_parent_must_tick_the_agreement_before_confirm_works(page: Page, shop: Running) -> None:
    accept_all(page, shop, "under_13")
    assert dialog(page)["confirm_disabled"] is True
    page.evaluate("document.querySelector('#custos-minor [data-action=confirm]').click()")
    assert page.evaluate("!!document.querySelector('#custos-minor')") is True
    subject = page.evaluate("custos.consent.subject()")
    assert shop.events(subject, "sale") == [] and page.evaluate("custos.consent.has('sale')") is False

    page.evaluate("document.getElementById('custos-minor-agree').click()")
    assert dialog(page)["confirm_disabled"] is False
    page.evaluate("document.getElementById('custos-minor-agree').click()")
    assert dialog(page)["confirm_disabled"] is True

    # Focus stays in the dialog: Tab from its last control comes back to the agreement.
    page.evaluate("document.querySelector('#custos-minor [data-action=cancel]').focus()")
    page.key("Tab", 9)
    assert page.evaluate("document.activeElement.id") == "custos-minor-agree"
    # Escape cancels: sale is denied, never granted.
    page.key("Escape", 27)
    page.wait_for("!document.querySelector('#custos-minor')")
    assert status(page) == "Not confirmed: selling and sharing stay off."
    page.wait_for(f"fetch('/v1/consent?subject={subject}').then(r => r.json())"
                  ".then(s => s.choices.sale && s.choices.sale.granted === false)")
    assert [e.granted for e in shop.events(subject, "sale")] == [False]
    assert page.evaluate("typeof window.saleRan") == "undefined" and shop.shop.sale_hits == 0


def test_the_dialog_speaks_german(page: Page, shop: Running) -> None:
    accept_all(page, shop, "13_15", lang="de")
    shown = dialog(page)
    assert shown["title"] == "Verkauf oder Weitergabe bestätigen"
    assert shown["agreement"].startswith("Ich bin 13 bis 15 Jahre alt und stimme zu")
    labels = page.evaluate("[...document.querySelectorAll('#custos-minor .custos-btn')].map(b => b.textContent)")
    assert labels == ["Bestätigen", "Abbrechen"]


def test_an_expired_request_is_asked_again_then_confirmed(page: Page, shop: Running) -> None:
    accept_all(page, shop, "13_15")
    shop.clock.advance(minutes=31)  # the token of the first step lasts 30 minutes
    page.evaluate("document.getElementById('custos-minor-agree').click()")
    page.evaluate("document.querySelector('#custos-minor [data-action=confirm]').click()")
    page.wait_for("(document.querySelector('#custos-minor [role=alert]') || {}).textContent"
                  " === 'The request expired. Please confirm again.'")
    shown = dialog(page)
    assert shown["confirm_disabled"] is True and shown["focused"] == "custos-minor-agree"
    subject = page.evaluate("custos.consent.subject()")
    assert shop.events(subject, "sale") == [] and page.evaluate("typeof window.saleRan") == "undefined"
    page.evaluate("document.getElementById('custos-minor-agree').click()")
    page.evaluate("document.querySelector('#custos-minor [data-action=confirm]').click()")
    page.wait_for("window.saleRan === 1")
    events = shop.events(subject, "sale")
    assert [e.granted for e in events] == [True]
    assert events[0].evidence["two_step"]["requested_at"] == shop.clock.now.isoformat()
