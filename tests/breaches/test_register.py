"""The breach register over the API: what a breach affects from the map, the authority's
72 hours on a moved clock, late notification with its reasons, the reminder, the mail to each
person affected and nobody else, the export, and every step in the audit log."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from custos.breaches import notices
from tests import shop
from tests.service.conftest import Harness, start

WRITE = ("breaches:read", "breaches:write")


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    yield from start(tmp_path, jurisdictions="[ccpa, gdpr]")


def record(harness: Harness, **extra: object) -> dict[str, object]:
    body = {"summary": "A laptop with an export of orders was stolen", "targets": ["shop.orders"],
            "aware_at": harness.clock.now.isoformat(), **extra}
    answer = harness.client.post("/v1/admin/breaches", json=body, headers=harness.key(*WRITE))
    assert answer.status_code == 201, answer.text
    result: dict[str, object] = answer.json()
    return result


def test_a_breach_is_recorded_with_what_it_affects_and_the_authority_s_clock(harness: Harness) -> None:
    breach = record(harness)
    assert breach["collections"] == ["shop.orders"] and breach["jurisdictions"] == ["ccpa", "gdpr"]
    assert {c["key"] for c in breach["categories"]} == {"user.contact.address", "user.behavior.purchase_history"}  # type: ignore[union-attr]
    assert breach["hours_left"] == 72.0
    harness.clock.advance(hours=73)
    [listed] = harness.client.get("/v1/admin/breaches", headers=harness.key(*WRITE)).json()
    assert listed["hours_left"] == -1.0
    url = f"/v1/admin/breaches/{breach['id']}/authority"
    late = harness.client.post(url, json={}, headers=harness.key(*WRITE))
    assert late.status_code == 422 and "reasons for the delay" in late.json()["error"]["message"]
    told = harness.client.post(url, json={"late_reason": "the theft was reported by the carrier a day late"},
                               headers=harness.key(*WRITE)).json()
    assert told["authority_notified_at"] and told["late_reason"].startswith("the theft")
    draft = harness.client.get(f"/v1/admin/breaches/{breach['id']}/authority-draft", headers=harness.key(*WRITE)).text
    for part in ("(a) Nature of the breach", "(b) Contact point", "(c) Likely consequences", "(d) Measures",
                 "Reasons for notifying after 72 hours"):
        assert part in draft


def test_the_register_needs_its_own_scope(harness: Harness) -> None:
    body = {"summary": "x", "targets": ["shop.orders"], "aware_at": harness.clock.now.isoformat()}
    assert harness.client.post("/v1/admin/breaches", json=body, headers=harness.key("requests:write")).status_code == 403
    assert harness.client.get("/v1/admin/breaches", headers=harness.key("requests:read")).status_code == 403
    unknown = harness.client.post("/v1/admin/breaches", json={**body, "targets": ["shop.nothing"]},
                                  headers=harness.key(*WRITE))
    assert unknown.status_code == 422 and "no collection 'shop.nothing'" in unknown.json()["error"]["message"]


def test_the_people_affected_are_counted_and_each_gets_one_mail(harness: Harness) -> None:
    breach = record(harness)
    counted = harness.client.post(f"/v1/admin/breaches/{breach['id']}/count", headers=harness.key(*WRITE)).json()
    assert counted["people_count"] == 3 and counted["records_count"] == 3 and counted["count_approximate"] is False
    queued = harness.client.post(f"/v1/admin/breaches/{breach['id']}/notify-people", headers=harness.key(*WRITE))
    assert queued.status_code == 202 and queued.json()["people_notice"] == "queued"
    harness.run_jobs()
    sent = sorted(m["To"] for m in harness.mails(kind="breach_notice"))
    # the three people with orders, once each; Carol has none and hears nothing
    assert sent == ["alice.old@example.com", shop.ALICE, shop.BOB]
    [done] = harness.client.get("/v1/admin/breaches", headers=harness.key(*WRITE)).json()
    assert done["people_notice"] == "done" and done["people_notified"] == 3
    again = harness.client.post(f"/v1/admin/breaches/{breach['id']}/notify-people", headers=harness.key(*WRITE))
    assert again.status_code == 409
    entries = harness.client.get("/v1/admin/audit", headers=harness.key("audit:read")).json()
    actions = [e["action"] for e in entries]
    for action in ("breach.recorded", "breach.counted", "breach.people_notice_started", "breach.people_notified",
                   "breach.people_notice_done"):
        assert action in actions


def test_the_privacy_contact_is_reminded_once_a_day_before_the_deadline(harness: Harness) -> None:
    record(harness)
    assert notices.remind(harness.service) == 0  # 72 hours left
    harness.clock.advance(hours=49)
    assert notices.remind(harness.service) == 1
    assert notices.remind(harness.service) == 0
    [mail] = harness.mails("privacy@test.example", "breach_reminder")
    assert "Due soon" in mail["Subject"]


def test_the_register_exports_as_json_and_csv(harness: Harness) -> None:
    breach = record(harness, encrypted=True)
    as_json = harness.client.get("/v1/admin/breaches/export", headers=harness.key(*WRITE)).json()
    assert [b["id"] for b in as_json] == [breach["id"]] and as_json[0]["encrypted"] is True
    text = harness.client.get("/v1/admin/breaches/export", params={"format": "csv"}, headers=harness.key(*WRITE)).text
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["id"] == breach["id"] and row["collections"] == "shop.orders"


def test_the_command_line_records_lists_counts_and_drafts(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from custos.cli import app

    settings = harness.service.settings
    for name, value in (("DATABASE_URL", settings.database_url), ("DATAMAP", settings.datamap),
                        ("STATE_DIR", settings.state_dir), ("OUTBOX_DIR", settings.outbox_dir)):
        monkeypatch.setenv(f"CUSTOS_{name}", value)
    from datetime import UTC, datetime

    runner = CliRunner()
    aware = datetime.now(UTC).isoformat()  # the command line runs on the real clock
    made = runner.invoke(app, ["breach", "record", "--summary", "Exposed bucket", "--aware-at", aware,
                               "--target", "shop.orders", "--target", "shop.tickets"])
    assert made.exit_code == 0, made.output
    breach_id = made.stdout.split()[0]
    assert "left for the authority" in made.stdout
    counted = runner.invoke(app, ["breach", "count", breach_id])
    assert counted.exit_code == 0 and "4 people" in counted.stdout
    draft = runner.invoke(app, ["breach", "draft", breach_id])
    assert "Approximate number of people concerned: about 4" in draft.stdout
    bad = runner.invoke(app, ["breach", "record", "--summary", "x", "--aware-at", "yesterday", "--target", "shop.orders"])
    assert bad.exit_code != 0 and "ISO 8601" in bad.stderr and "Traceback" not in bad.output
