"""Request metrics (CCPA §7102) from the service's own records, as JSON and as a page."""

from __future__ import annotations

from custos.service.auth import create_user
from tests import shop
from tests.service.conftest import Harness


def test_metrics_count_received_and_denied_requests(harness: Harness) -> None:
    admin = harness.key("requests:read", "requests:write")
    first = harness.submit(type="erasure", email=shop.ALICE)
    harness.submit(type="access", email=shop.BOB)
    denied = harness.client.post(f"/v1/admin/requests/{first['id']}/deny", headers=admin,
                                 json={"reason": "duplicate request", "exception": "tax_records"})
    assert denied.status_code == 200, denied.text
    today = harness.clock.now.date().isoformat()
    answer = harness.client.get("/v1/admin/reports/metrics", headers=admin, params={"from": today, "to": today})
    assert answer.status_code == 200, answer.text
    types = answer.json()["requests"]
    assert types["delete"]["received"] == 1 and types["delete"]["denied"] == 1
    assert types["know"]["received"] == 1 and types["know"]["denied"] == 0
    backwards = harness.client.get("/v1/admin/reports/metrics", headers=admin,
                                   params={"from": today, "to": "2000-01-01"})
    assert backwards.status_code == 422 and "before" in backwards.json()["error"]["message"]


def test_metrics_page_needs_a_signed_in_operator_and_draws_a_chart(harness: Harness) -> None:
    assert harness.client.get("/admin/reports/metrics", follow_redirects=False).status_code == 303
    create_user(harness.service, "auditor@test.example", "a long enough password", "auditor")
    login = harness.client.post("/v1/auth/login", json={"email": "auditor@test.example",
                                                        "password": "a long enough password"})
    assert login.status_code == 200
    page = harness.client.get("/admin/reports/metrics")
    assert page.status_code == 200 and "<svg" in page.text
