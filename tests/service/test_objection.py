"""An objection to direct marketing stops it at once (GDPR Art. 21(3)): the consent purposes
that market to the person are withdrawn, the newsletter first; purposes that do not market
are left for an operator to weigh (Art. 21(1))."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from custos.consent.purposes import consent_purposes
from custos.consent.requests import choices_for
from custos.datamap import load_datamap
from custos.demo import MAP_FILE
from custos.rules import RequestType
from tests import shop
from tests.service.conftest import Harness, start
from tests.service.test_lifecycle import WRITE


def test_an_objection_withdraws_the_marketing_purposes_only() -> None:
    from importlib.resources import files

    datamap = load_datamap(str(files("custos.demo") / MAP_FILE))
    consent = SimpleNamespace(purposes=consent_purposes(datamap), service=SimpleNamespace(datamap=datamap),
                              opt_out_keys=[])
    withdrawn = choices_for(consent, RequestType.OBJECTION)
    # the demo shop's newsletter and its advertising both market to the person
    assert withdrawn == {"newsletter": False, "advertising": False}
    assert choices_for(consent, RequestType.RESTRICTION) == {}


SECURITY = """  - key: security
    name: Keep accounts safe from fraud
    lawful_basis: legitimate_interests
    legitimate_interest: stopping fraud against the shop and its customers
    uses: [essential.service.security]
    subjects: [customer]
    categories: [user.contact]
    sources: [the_subject]
recipients:"""


@pytest.fixture
def harness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    monkeypatch.setattr(shop, "MAP", shop.MAP.replace("\nrecipients:\n", "\n" + SECURITY + "\n", 1))
    yield from start(tmp_path, jurisdictions="[gdpr]")


def _objected(harness: Harness) -> str:
    receipt = harness.submit(type="objection", email=shop.ALICE, jurisdiction="gdpr",
                             statement="I do not want my logins profiled")
    harness.run_jobs()  # an objection needs no verification under the GDPR (Art. 12(2))
    return str(receipt["id"])


def test_an_objection_to_legitimate_interests_waits_in_the_queue_for_a_decision(harness: Harness) -> None:
    request_id = _objected(harness)
    admin = harness.key(*WRITE)
    item = harness.client.get(f"/v1/admin/requests/{request_id}", headers=admin).json()
    assert item["status"] == "completed"
    assert any("Keep accounts safe from fraud" in f and "Art. 21(1)" in f for f in item["flags"]), item["flags"]
    completion = harness.mails(shop.ALICE, "completion")[-1].get_body(("plain",)).get_content()
    assert "stopped using your personal information for direct marketing" in completion
    assert "weighing your objection" in completion
    empty = harness.client.post(f"/v1/admin/requests/{request_id}/objection", headers=admin,
                                json={"upheld": False, "reason": "  "})
    assert empty.status_code == 422
    refused = harness.client.post(f"/v1/admin/requests/{request_id}/objection", headers=admin, json={
        "upheld": False, "reason": "Fraud checks on sign-in protect every customer's account, yours included."})
    assert refused.status_code == 200, refused.text
    assert not refused.json()["flags"]
    outcome = harness.mails(shop.ALICE, "objection_outcome")[-1].get_body(("plain",)).get_content()
    assert "compelling legitimate grounds" in outcome and "supervisory authority" in outcome
    assert "protect every customer's account" in outcome
    again = harness.client.post(f"/v1/admin/requests/{request_id}/objection", headers=admin,
                                json={"upheld": True, "reason": "changed our mind"})
    assert again.status_code == 409
    audit = harness.client.get("/v1/admin/audit", headers=harness.key("audit:read")).json()
    entries = audit["entries"] if isinstance(audit, dict) else audit
    assert any(e["action"] == "request.objection_decided" and e["request_id"] == request_id for e in entries)


def test_an_upheld_objection_tells_the_person_the_processing_stopped(harness: Harness) -> None:
    request_id = _objected(harness)
    answer = harness.client.post(f"/v1/admin/requests/{request_id}/objection", headers=harness.key(*WRITE),
                                 json={"upheld": True, "reason": "Your grounds outweigh ours for sign-in checks."})
    assert answer.status_code == 200, answer.text
    outcome = harness.mails(shop.ALICE, "objection_outcome")[-1].get_body(("plain",)).get_content()
    assert "we no longer use your personal information for these" in outcome.replace("\n", " ")
    assert "Keep accounts safe from fraud" in outcome


def test_only_an_objection_can_be_decided_as_one(harness: Harness) -> None:
    receipt = harness.submit(type="access", email=shop.ALICE, jurisdiction="gdpr")
    answer = harness.client.post(f"/v1/admin/requests/{receipt['id']}/objection", headers=harness.key(*WRITE),
                                 json={"upheld": True, "reason": "x"})
    assert answer.status_code == 409


def test_the_console_offers_the_decision_without_javascript(harness: Harness) -> None:
    from custos.service.auth import create_user
    from tests.service.test_pages import token_in

    request_id = _objected(harness)
    create_user(harness.service, "op@test.example", "a long enough password", "operator")
    form = harness.client.get("/admin/login")
    harness.client.post("/admin/login", data={"email": "op@test.example", "password": "a long enough password",
                                              "csrf_token": token_in(form.text)})
    detail = harness.client.get(f"/admin/requests/{request_id}")
    assert "Decide the objection" in detail.text and "Keep accounts safe from fraud" in detail.text
    decided = harness.client.post(f"/admin/requests/{request_id}/objection", follow_redirects=False, data={
        "upheld": "yes", "reason": "Your grounds outweigh ours.", "csrf_token": token_in(detail.text)})
    assert decided.status_code == 303
    after = harness.client.get(f"/admin/requests/{request_id}").text
    assert "Decide the objection" not in after and "The objection was upheld" in after
