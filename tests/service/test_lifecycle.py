"""Every request type from intake to its end state, against the test shop."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from tests import shop
from tests.service.conftest import Harness, start

ALICE_POINTS = {"shop.customers.full_name": "alice liddell", "shop.customers.phone": "(415) 555-0101"}
DECLARATION = {"signed_name": "Alice Liddell", "accepted": True}
WRITE = ("requests:read", "requests:write")


def audit_actions(harness: Harness, request_id: str) -> list[str]:
    entries = harness.client.get("/v1/admin/audit", params={"request_id": request_id},
                                 headers=harness.key("audit:read")).json()
    return [e["action"] if e["action"] != "request.status" else f"->{e['detail']['to']}" for e in entries]


def test_access_is_verified_run_and_delivered_as_a_package(any_harness: Harness) -> None:
    harness = any_harness
    receipt = harness.submit(type="access", email=shop.ALICE)
    assert receipt["status"] == "identity_unverified"
    mails = harness.mails(shop.ALICE)
    assert [m["X-Custos-Mail"] for m in mails] == ["code"]  # one mail acknowledges and carries the code
    text = mails[0].get_body(("plain",)).get_content()
    assert f"Its reference is {receipt['id']}" in text and "We will answer by" in text
    verified = harness.verify(receipt, shop.ALICE, data_points=ALICE_POINTS, declaration=DECLARATION)
    assert verified["status"] == "in_progress"
    assert harness.run_jobs() == 1
    status = harness.client.get(f"/v1/requests/{receipt['id']}", headers={"X-Request-Token": receipt["token"]})
    body = status.json()
    assert body["status"] == "completed"
    download = harness.client.get(body["package"]["url"].removeprefix("http://testserver"))
    assert download.status_code == 200
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        data = json.loads(archive.read("data.json"))
        assert {"data.json", "report.html"} <= set(archive.namelist())
    emails = {row["email"] for row in data["datasets"]["shop"]["customers"]}
    assert emails == {shop.ALICE, "alice.old@example.com"}
    assert shop.BOB not in json.dumps(data)
    completion = harness.mails(shop.ALICE, "completion")[-1].get_body(("plain",)).get_content()
    assert "/v1/packages/" in completion
    assert audit_actions(harness, receipt["id"]) == [
        "request.received", "request.acknowledged", "->identity_unverified", "verification.code_sent",
        "verification.checked", "->verified", "request.frequency", "->in_progress", "request.result",
        "package.created", "->completed", "package.downloaded",
    ]


def test_specific_pieces_with_two_points_are_answered_as_categories(harness: Harness) -> None:
    receipt = harness.submit(type="access", email=shop.ALICE)
    harness.verify(receipt, shop.ALICE, data_points={"shop.customers.full_name": "Alice Liddell"})
    harness.run_jobs()
    detail = harness.client.get(f"/v1/admin/requests/{receipt['id']}", headers=harness.key(*WRITE)).json()
    assert detail["status"] == "completed"
    assert detail["answered_as"] == "categories"
    assert "user.contact.email" in detail["results"][0]["result"]["categories"]
    assert "user.contact.email" in harness.mails(shop.ALICE, "completion")[-1].get_body(("plain",)).get_content()


def test_unverifiable_request_is_denied_with_the_reason(harness: Harness) -> None:
    receipt = harness.submit(type="categories", email=shop.ALICE)
    answer = harness.verify(receipt, shop.ALICE, data_points={"shop.customers.full_name": "Someone Else"})
    assert answer["status"] == "denied"
    assert "could not verify" in answer["denial_reason"]
    assert harness.mails(shop.ALICE, "refusal")


def test_wrong_code_is_refused_and_attempts_are_limited(harness: Harness) -> None:
    receipt = harness.submit(type="categories", email=shop.ALICE)
    right = harness.code(shop.ALICE)
    wrong = "000000" if right != "000000" else "111111"
    url = f"/v1/requests/{receipt['id']}/verify"
    for _ in range(5):
        assert harness.client.post(url, json={"code": wrong}).status_code == 422
    assert harness.client.post(url, json={"code": right}).status_code == 429
    harness.clock.advance(minutes=1)
    assert harness.client.post(f"/v1/requests/{receipt['id']}/code").status_code == 202
    assert harness.verify(receipt, shop.ALICE, data_points={"shop.customers.full_name": "Alice Liddell"})


def test_code_expires_after_fifteen_minutes(harness: Harness) -> None:
    receipt = harness.submit(type="categories", email=shop.ALICE)
    code = harness.code(shop.ALICE)
    harness.clock.advance(minutes=15, seconds=1)
    answer = harness.client.post(f"/v1/requests/{receipt['id']}/verify", json={"code": code})
    assert answer.status_code == 422
    assert "expired" in answer.json()["error"]["message"]


def test_erasure_waits_for_approval_then_runs_and_stores_the_residual_check(harness: Harness) -> None:
    receipt = harness.submit(type="erasure", email=shop.ALICE)
    verified = harness.verify(receipt, shop.ALICE, data_points=ALICE_POINTS, declaration=DECLARATION)
    assert verified["status"] == "verified"
    assert harness.run_jobs() == 0
    approved = harness.client.post(f"/v1/admin/requests/{receipt['id']}/approve", headers=harness.key(*WRITE))
    assert approved.json()["status"] == "in_progress"
    harness.run_jobs()
    detail = harness.client.get(f"/v1/admin/requests/{receipt['id']}", headers=harness.key(*WRITE)).json()
    assert detail["status"] == "completed"
    result = detail["results"][0]
    assert result["residual_ok"] is True
    assert result["result"]["residual"]["ok"] is True
    assert result["collections"]["shop.sessions"]["deleted"] == 2
    engine = sa.create_engine(harness.shop_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from customers where email = :e"), {"e": shop.ALICE}).scalar() == 0
    engine.dispose()
    assert "tax_records" in harness.mails(shop.ALICE, "completion")[-1].get_body(("plain",)).get_content()


def test_deletion_denial_must_name_the_exception(harness: Harness) -> None:
    receipt = harness.submit(type="erasure", email=shop.ALICE)
    harness.verify(receipt, shop.ALICE, data_points=ALICE_POINTS, declaration=DECLARATION)
    url = f"/v1/admin/requests/{receipt['id']}/deny"
    assert harness.client.post(url, json={"reason": "we must keep it"}, headers=harness.key(*WRITE)).status_code == 422
    denied = harness.client.post(url, json={"reason": "open tax audit", "exception": "tax_records"},
                                 headers=harness.key(*WRITE))
    assert denied.status_code == 200, denied.text
    refusal = harness.mails(shop.ALICE, "refusal")[-1].get_body(("plain",)).get_content()
    assert "1798.105(d)(8)" in refusal and "17(3)(b)" in refusal
    assert "California Privacy Protection Agency" in refusal


def test_correction_applies_the_new_value_and_is_not_verified_with_it(harness: Harness) -> None:
    receipt = harness.submit(type="correction", email=shop.ALICE,
                             corrections={"shop.customers.full_name": "Alice Pleasance Liddell"})
    # The corrected field does not count as a data point; phone and date of birth do.
    harness.verify(receipt, shop.ALICE, data_points={**ALICE_POINTS, "shop.customers.birth_date": "1990-05-17"},
                   declaration=DECLARATION)
    harness.client.post(f"/v1/admin/requests/{receipt['id']}/approve", headers=harness.key(*WRITE))
    harness.run_jobs()
    assert harness.status(receipt["id"]) == "completed"
    engine = sa.create_engine(harness.shop_url)
    with engine.connect() as conn:
        name = conn.execute(sa.text("select full_name from customers where id = 1")).scalar()
    engine.dispose()
    assert name == "Alice Pleasance Liddell"


@pytest.mark.parametrize(("kind", "jurisdiction"), [
    ("opt_out_sale_sharing", "ccpa"), ("limit_sensitive", "ccpa"), ("withdraw_consent", "ccpa"),
    ("objection", "gdpr"), ("withdraw_consent", "gdpr"),
])
def test_preference_requests_need_no_verification(harness: Harness, kind: str, jurisdiction: str) -> None:
    receipt = harness.submit(type=kind, email=shop.BOB, jurisdiction=jurisdiction)
    assert receipt["status"] == "in_progress"
    assert receipt["verification"] == "nothing more"
    harness.run_jobs()
    assert harness.status(receipt["id"]) == "completed"
    assert not harness.mails(shop.BOB, "code")


def test_restriction_is_verified_then_recorded(harness: Harness) -> None:
    receipt = harness.submit(type="restriction", email=shop.ALICE, jurisdiction="gdpr")
    harness.verify(receipt, shop.ALICE, data_points={"shop.customers.full_name": "Alice Liddell"})
    harness.run_jobs()
    assert harness.status(receipt["id"]) == "completed"


def test_a_type_the_jurisdiction_lacks_is_refused_with_the_reason(harness: Harness) -> None:
    answer = harness.client.post("/v1/requests", json={"type": "restriction", "email": shop.ALICE,
                                                       "jurisdiction": "ccpa"})
    assert answer.status_code == 422
    assert "limit_sensitive" in answer.json()["error"]["message"]


def test_third_know_request_in_a_year_is_refused_under_ccpa(harness: Harness) -> None:
    states = []
    for _ in range(3):
        receipt = harness.submit(type="categories", email=shop.ALICE)
        states.append(harness.verify(receipt, shop.ALICE,
                                     data_points={"shop.customers.full_name": "Alice Liddell"})["status"])
        harness.run_jobs()
        harness.clock.advance(days=30)
    assert states == ["in_progress", "in_progress", "denied"]


def test_failed_execution_is_visible_and_retryable(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = harness.service.engine

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("store unreachable")

    monkeypatch.setattr(engine, "access", broken)
    receipt = harness.submit(type="categories", email=shop.ALICE)
    harness.verify(receipt, shop.ALICE, data_points={"shop.customers.full_name": "Alice Liddell"})
    for _ in range(3):
        harness.run_jobs()
        harness.clock.advance(minutes=1)
    assert harness.status(receipt["id"]) == "failed"
    monkeypatch.undo()
    retried = harness.client.post(f"/v1/admin/requests/{receipt['id']}/retry", headers=harness.key(*WRITE))
    assert retried.json()["status"] == "in_progress"
    harness.run_jobs()
    assert harness.status(receipt["id"]) == "completed"


def test_appeal_has_its_own_deadline_and_reopens_the_request_when_granted(tmp_path: Path) -> None:
    for harness in start(tmp_path, jurisdictions="[vcdpa]"):
        receipt = harness.submit(type="erasure", email=shop.ALICE)
        harness.verify(receipt, shop.ALICE, data_points={"shop.customers.full_name": "Alice Liddell"})
        harness.client.post(f"/v1/admin/requests/{receipt['id']}/deny", headers=harness.key(*WRITE),
                            json={"reason": "records kept for tax", "exception": "tax_records"})
        assert "appeal" in harness.mails(shop.ALICE, "refusal")[-1].get_body(("plain",)).get_content()
        appeal = harness.submit(type="appeal", email=shop.ALICE, appeal_of=receipt["id"],
                                appeal_token=receipt["token"], statement="I closed my account")
        assert appeal["status"] == "verified"
        due = datetime.fromisoformat(appeal["due_at"]).astimezone(ZoneInfo("America/New_York"))
        assert due.date() == date(2026, 5, 1)  # 60 days (Va. Code §59.1-577(C))
        granted = harness.client.post(f"/v1/admin/requests/{appeal['id']}/approve", headers=harness.key(*WRITE))
        assert granted.status_code == 200, granted.text
        assert harness.status(appeal["id"]) == "completed"
        harness.run_jobs()
        assert harness.status(receipt["id"]) == "completed"
        assert "granted" in harness.mails(shop.ALICE, "appeal_outcome")[-1].get_body(("plain",)).get_content()


def test_appeal_needs_the_original_token(harness: Harness) -> None:
    answer = harness.client.post("/v1/requests", json={
        "type": "appeal", "email": shop.ALICE, "appeal_of": "00000000-0000-4000-8000-000000000000",
        "appeal_token": "x"})
    assert answer.status_code in (404, 422)


def test_unproven_identities_given_beside_the_email_reach_no_data(harness: Harness) -> None:
    # Bob confirms his own address but slips in Alice's phone number.
    receipt = harness.submit(type="access", email=shop.BOB, phone="+14155550101")
    harness.verify(receipt, shop.BOB, data_points={"shop.customers.full_name": "Bob Builder",
                                                   "shop.customers.phone": "+14155550103"},
                   declaration={"signed_name": "Bob Builder", "accepted": True})
    harness.run_jobs()
    status = harness.client.get(f"/v1/requests/{receipt['id']}", params={"token": receipt["token"]}).json()
    download = harness.client.get(status["package"]["url"].removeprefix("http://testserver"))
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        data = archive.read("data.json").decode()
    assert shop.BOB in data
    assert shop.ALICE not in data, data
    assert "Alice Liddell" not in data and "+14155550101" not in data
