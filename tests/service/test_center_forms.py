"""The privacy center offers what its mails promise: an appeal form on a decided request's
page (the refusal mail says to choose Appeal there), and a correction request with the
information to correct named for people."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa

from custos.controlplane import Request
from tests import shop
from tests.service.conftest import Harness, start
from tests.service.test_lifecycle import WRITE
from tests.service.test_pages import token_in


def test_a_refused_request_can_be_appealed_from_its_page(tmp_path: Path) -> None:
    for harness in start(tmp_path, jurisdictions="[vcdpa]"):  # Virginia gives a right to appeal
        receipt = harness.submit(type="erasure", email=shop.ALICE)
        harness.verify(receipt, shop.ALICE, data_points={"shop.customers.full_name": "Alice Liddell"})
        denied = harness.client.post(f"/v1/admin/requests/{receipt['id']}/deny", headers=harness.key(*WRITE),
                                     json={"reason": "we must keep your invoices", "exception": "tax_records"})
        assert denied.status_code == 200, denied.text
        assert "choose Appeal" in harness.mails(shop.ALICE, "refusal")[-1].get_body(("plain",)).get_content()
        page = harness.client.get(f"/privacy-center/requests/{receipt['id']}", params={"token": receipt["token"]})
        assert "Appeal the decision" in page.text
        empty = harness.client.post(f"/privacy-center/requests/{receipt['id']}/appeal", data={
            "csrf_token": token_in(page.text), "token": receipt["token"], "statement": " "})
        assert empty.status_code == 422 and "why you disagree" in empty.text
        sent = harness.client.post(f"/privacy-center/requests/{receipt['id']}/appeal", follow_redirects=False,
                                   data={"csrf_token": token_in(page.text), "token": receipt["token"],
                                         "statement": "The invoices are older than seven years."})
        assert sent.status_code == 303, sent.text
        with harness.service.plane.read() as session:
            appeal = session.scalars(sa.select(Request).where(Request.type == "appeal")).one()
            assert appeal.appeal_of == receipt["id"]
        assert appeal.id in sent.headers["location"]
        stranger = harness.client.post(f"/privacy-center/requests/{receipt['id']}/appeal", data={
            "csrf_token": token_in(page.text), "token": "not-the-token", "statement": "let me in"})
        assert stranger.status_code == 404


def test_no_appeal_is_offered_where_the_law_gives_none(harness: Harness) -> None:
    receipt = harness.submit(type="erasure", email=shop.ALICE, jurisdiction="ccpa")
    harness.client.post(f"/v1/admin/requests/{receipt['id']}/deny", headers=harness.key(*WRITE),
                        json={"reason": "we must keep your invoices", "exception": "tax_records"})
    page = harness.client.get(f"/privacy-center/requests/{receipt['id']}", params={"token": receipt["token"]})
    assert "Why we did not carry it out" in page.text and "Appeal the decision" not in page.text
    assert "choose Appeal" not in harness.mails(shop.ALICE, "refusal")[-1].get_body(("plain",)).get_content()


def test_an_open_request_offers_no_appeal(harness: Harness) -> None:
    receipt = harness.submit(type="access", email=shop.BOB)
    page = harness.client.get(f"/privacy-center/requests/{receipt['id']}", params={"token": receipt["token"]})
    assert "Appeal the decision" not in page.text


def test_a_correction_from_the_privacy_center(harness: Harness) -> None:
    home = harness.client.get("/privacy-center")
    assert 'value="correction"' in home.text and "What it should say" in home.text
    assert "Full name (customers)" in home.text  # a label for people, not the column's name alone
    missing = harness.client.post("/privacy-center/requests", data={
        "type": "correction", "email": shop.ALICE, "csrf_token": token_in(home.text)})
    assert missing.status_code == 422 and "what it should say" in missing.text
    made = harness.client.post("/privacy-center/requests", follow_redirects=False, data={
        "type": "correction", "email": shop.ALICE, "csrf_token": token_in(home.text),
        "correct_field": "shop.customers.full_name", "correct_value": "Alice P. Liddell"})
    assert made.status_code == 303, made.text
    with harness.service.plane.read() as session:
        request = session.scalars(sa.select(Request).where(Request.type == "correction")).one()
    details = harness.service.vault.decrypt_json(request.details) if request.details else {}
    assert details.get("corrections") == {"shop.customers.full_name": "Alice P. Liddell"}


def test_the_confirmation_form_asks_only_for_what_the_law_needs(harness: Harness) -> None:
    ccpa = harness.submit(type="access", email=shop.ALICE, jurisdiction="ccpa")
    page = harness.client.get(f"/privacy-center/requests/{ccpa['id']}", params={"token": ccpa["token"]}).text
    # the fields the map marks verify: true, with their labels; no column names
    visible = re.sub(r"<[^>]+>", " ", page)  # what a person reads, not the form's field names
    assert "Full name" in visible and "Phone number" in visible and "shop.customers" not in visible
    assert "tickets" not in page and "Body" not in page
    assert "penalty of perjury" in page  # specific pieces under the CCPA: a signed declaration
    gdpr = harness.submit(type="access", email=shop.BOB, jurisdiction="gdpr")
    page = harness.client.get(f"/privacy-center/requests/{gdpr['id']}", params={"token": gdpr["token"]}).text
    assert "penalty of perjury" not in page
