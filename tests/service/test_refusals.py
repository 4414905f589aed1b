"""Refusals and counts an operator and a regulator rely on.

A deletion refusal names an exception that exists (the map's or the law's) with its
citation; what the person reads and the operator's internal note are kept apart; the
CCPA's two requests a year count answered CCPA requests only; the §7102 metrics count
CCPA requests only; mails say "an access request".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from custos.cli import app
from tests import shop
from tests.service.conftest import Harness
from tests.service.test_lifecycle import ALICE_POINTS, DECLARATION, WRITE


def _refusal(harness: Harness, to: str) -> str:
    return str(harness.mails(to, "refusal")[-1].get_body(("plain",)).get_content())


def test_a_made_up_exception_is_refused_and_the_laws_own_are_cited(harness: Harness) -> None:
    receipt = harness.submit(type="erasure", email=shop.ALICE, jurisdiction="ccpa")
    url = f"/v1/admin/requests/{receipt['id']}/deny"
    made_up = harness.client.post(url, json={"reason": "we keep it", "exception": "nope"}, headers=harness.key(*WRITE))
    assert made_up.status_code == 422
    message = made_up.json()["error"]["message"]
    assert "'nope' is not an exception" in message and "tax_records" in message and "security" in message
    cited = harness.client.post(url, json={"reason": "we must keep your account secure", "exception": "security"},
                                headers=harness.key(*WRITE))
    assert cited.status_code == 200, cited.text
    assert "1798.105(d)(2)" in _refusal(harness, shop.ALICE)


def test_the_operators_note_is_never_mailed(harness: Harness) -> None:
    receipt = harness.submit(type="erasure", email=shop.ALICE, jurisdiction="gdpr")
    denied = harness.client.post(f"/v1/admin/requests/{receipt['id']}/deny", headers=harness.key(*WRITE), json={
        "reason": "the law requires us to keep your invoices", "exception": "tax_records",
        "note": "checked with legal; customer is litigious"})
    assert denied.status_code == 200, denied.text
    text = _refusal(harness, shop.ALICE)
    assert "keep your invoices" in text and "litigious" not in text
    audit = harness.client.get("/v1/admin/audit", params={"request_id": receipt["id"]},
                               headers=harness.key("audit:read")).json()
    assert any(e["detail"].get("note") == "checked with legal; customer is litigious" for e in audit)


def _answered_access(harness: Harness, jurisdiction: str) -> str:
    receipt = harness.submit(type="access", email=shop.ALICE, jurisdiction=jurisdiction)
    harness.verify(receipt, shop.ALICE, data_points=ALICE_POINTS, declaration=DECLARATION)
    harness.run_jobs()
    return str(receipt["id"])


def test_only_answered_requests_under_the_same_rule_set_count_towards_the_limit(harness: Harness) -> None:
    # two GDPR requests answered and one CCPA request refused: none of them is one of the CCPA's two
    _answered_access(harness, "gdpr")
    _answered_access(harness, "gdpr")
    refused = harness.submit(type="access", email=shop.ALICE, jurisdiction="ccpa")
    harness.client.post(f"/v1/admin/requests/{refused['id']}/deny", headers=harness.key(*WRITE),
                        json={"reason": "sent twice by mistake"})
    first = _answered_access(harness, "ccpa")
    assert harness.status(first) == "completed"
    second = _answered_access(harness, "ccpa")
    assert harness.status(second) == "completed"
    third = _answered_access(harness, "ccpa")
    assert harness.status(third) == "denied"
    text = _refusal(harness, shop.ALICE)
    assert "2 earlier request(s)" in text and "tell the person" not in text


def test_metrics_count_ccpa_requests_only(harness: Harness) -> None:
    harness.submit(type="access", email=shop.ALICE, jurisdiction="gdpr")
    harness.submit(type="access", email=shop.BOB, jurisdiction="ccpa")
    today = harness.clock.now.date().isoformat()
    figures = harness.client.get("/v1/admin/reports/metrics", headers=harness.key("requests:read"),
                                 params={"from": today, "to": today}).json()
    assert figures["requests"]["know"]["received"] == 1


def test_report_metrics_reads_the_control_plane_by_default(harness: Harness, monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path) -> None:
    harness.submit(type="erasure", email=shop.ALICE, jurisdiction="ccpa")
    monkeypatch.setenv("CUSTOS_DATABASE_URL", harness.service.settings.database_url)
    day = harness.clock.now.date().isoformat()
    result = CliRunner().invoke(app, ["report", "metrics", "--from", day, "--to", day, "--json"])
    assert result.exit_code == 0, result.output
    assert '"received": 1' in result.stdout
    monkeypatch.setenv("CUSTOS_DATABASE_URL", f"sqlite:///{tmp_path / 'nothing.db'}")
    missing = CliRunner().invoke(app, ["report", "metrics"])
    assert missing.exit_code != 0 and "no control-plane database" in missing.stderr


def test_mails_say_an_access_request(harness: Harness) -> None:
    harness.submit(type="access", email=shop.ALICE)
    text = harness.mails(shop.ALICE, "code")[-1].get_body(("plain",)).get_content()
    assert "received an access request" in text
