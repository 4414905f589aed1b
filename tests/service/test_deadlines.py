"""Due dates computed through the API on fixed dates, per jurisdiction."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests import shop
from tests.service.conftest import Harness

WRITE = ("requests:read", "requests:write")


def detail(harness: Harness, request_id: str) -> dict[str, str]:
    answer = harness.client.get(f"/v1/admin/requests/{request_id}", headers=harness.key("requests:read"))
    result: dict[str, str] = answer.json()
    return result


@pytest.mark.parametrize(("received", "kind", "jurisdiction", "due", "acknowledge"), [
    # CCPA: 45 calendar days (§7021(b)); acknowledge within 10 business days (§7021(a)).
    (datetime(2026, 3, 2, 15, tzinfo=UTC), "access", "ccpa", "2026-04-16", "2026-03-16"),
    # Business days skip Memorial Day (2026-05-25) for the acknowledgement.
    (datetime(2026, 5, 20, 15, tzinfo=UTC), "erasure", "ccpa", "2026-07-04", "2026-06-04"),
    # Opt-out: 15 business days, no acknowledgement.
    (datetime(2026, 3, 2, 15, tzinfo=UTC), "opt_out_sale_sharing", "ccpa", "2026-03-23", None),
    # GDPR: one month as Reg. 1182/71 counts it: Jan 31 + 1 month = Feb 28, rolled to Monday Mar 2.
    (datetime(2026, 1, 31, 10, tzinfo=UTC), "access", "gdpr", "2026-03-02", None),
    (datetime(2026, 3, 2, 10, tzinfo=UTC), "erasure", "gdpr", "2026-04-02", None),
])
def test_due_dates_per_jurisdiction(
    harness: Harness, received: datetime, kind: str, jurisdiction: str, due: str, acknowledge: str | None
) -> None:
    harness.clock.now = received
    receipt = harness.submit(type=kind, email=shop.ALICE, jurisdiction=jurisdiction)
    found = detail(harness, receipt["id"])
    assert found["due_at"] is not None
    local = datetime.fromisoformat(found["due_at"])
    assert str(local.astimezone(_zone(jurisdiction)).date()) == due
    if acknowledge is None:
        assert found["acknowledge_by"] is None
    else:
        assert str(datetime.fromisoformat(found["acknowledge_by"]).astimezone(_zone(jurisdiction)).date()) == acknowledge
    assert found["received_at"].startswith(received.date().isoformat())


def _zone(jurisdiction: str) -> object:
    from zoneinfo import ZoneInfo

    return ZoneInfo({"ccpa": "America/Los_Angeles", "gdpr": "Europe/Brussels"}[jurisdiction])


@pytest.mark.parametrize(("jurisdiction", "extended_due"), [("ccpa", "2026-05-31"), ("gdpr", "2026-06-02")])
def test_extension_moves_the_due_date_and_mails_the_notice(
    harness: Harness, jurisdiction: str, extended_due: str
) -> None:
    receipt = harness.submit(type="access", email=shop.ALICE, jurisdiction=jurisdiction)
    harness.clock.advance(days=20)
    answer = harness.client.post(f"/v1/admin/requests/{receipt['id']}/extend", headers=harness.key(*WRITE),
                                 json={"notice": "Your data sits in several archived systems."})
    assert answer.status_code == 200, answer.text
    assert answer.json()["extended"] is True
    found = detail(harness, receipt["id"])
    assert str(datetime.fromisoformat(found["due_at"]).astimezone(_zone(jurisdiction)).date()) == extended_due
    notice = harness.mails(shop.ALICE, "extension")[-1].get_body(("plain",)).get_content()
    assert "archived systems" in notice
    again = harness.client.post(f"/v1/admin/requests/{receipt['id']}/extend", headers=harness.key(*WRITE),
                                json={"notice": "more"})
    assert again.status_code == 409


def test_extension_after_the_notice_period_is_refused(harness: Harness) -> None:
    receipt = harness.submit(type="access", email=shop.ALICE, jurisdiction="ccpa")
    harness.clock.advance(days=46)
    answer = harness.client.post(f"/v1/admin/requests/{receipt['id']}/extend", headers=harness.key(*WRITE),
                                 json={"notice": "late"})
    assert answer.status_code == 409


def test_opt_out_cannot_be_extended(harness: Harness) -> None:
    harness.clock.now = datetime(2026, 3, 2, 15, tzinfo=UTC)
    receipt = harness.submit(type="limit_sensitive", email=shop.ALICE, jurisdiction="ccpa")
    answer = harness.client.post(f"/v1/admin/requests/{receipt['id']}/extend", headers=harness.key(*WRITE),
                                 json={"notice": "busy"})
    assert answer.status_code == 409


def test_queue_is_sorted_by_due_date_with_late_and_near_flags(harness: Harness) -> None:
    gdpr = harness.submit(type="access", email=shop.ALICE, jurisdiction="gdpr")  # due in a month
    ccpa = harness.submit(type="access", email=shop.BOB, jurisdiction="ccpa")  # due in 45 days
    harness.clock.advance(days=28)
    queue = harness.client.get("/v1/admin/requests", headers=harness.key("requests:read")).json()
    assert [item["id"] for item in queue] == [gdpr["id"], ccpa["id"]]
    assert queue[0]["near"] and not queue[0]["late"]
    assert not queue[1]["near"]
    harness.clock.advance(days=5)
    queue = harness.client.get("/v1/admin/requests", headers=harness.key("requests:read")).json()
    assert queue[0]["late"] and not queue[0]["near"]
