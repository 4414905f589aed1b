"""Requests handed to operators, and a request's history as an operator reads it."""

from __future__ import annotations

from custos.service.auth import create_user
from custos.service.requests.timeline import describe
from tests import shop
from tests.service.conftest import Harness
from tests.service.test_console_queue import PASSWORD, _references, _sign_in
from tests.service.test_lifecycle import ALICE_POINTS, DECLARATION, WRITE
from tests.service.test_pages import token_in


def test_a_request_is_assigned_to_an_operator_and_the_queue_filters_by_it(harness: Harness) -> None:
    create_user(harness.service, "Ana@Shop.test", PASSWORD, "operator")
    mine = harness.submit(type="erasure", email=shop.ALICE)
    other = harness.submit(type="access", email=shop.BOB)
    admin = harness.key(*WRITE)
    answer = harness.client.post(f"/v1/admin/requests/{mine['id']}/assign", json={"assignee": "ana@shop.test"},
                                 headers=admin)
    assert answer.status_code == 200 and answer.json()["assignee"] == "ana@shop.test"
    listed = harness.client.get("/v1/admin/requests", params={"assignee": "ana@shop.test"}, headers=admin).json()
    assert [r["id"] for r in listed] == [mine["id"]]
    unassigned = harness.client.get("/v1/admin/requests", params={"assignee": "none"}, headers=admin).json()
    assert [r["id"] for r in unassigned] == [other["id"]]
    refused = harness.client.post(f"/v1/admin/requests/{other['id']}/assign", json={"assignee": "nobody@shop.test"},
                                  headers=admin)
    assert refused.status_code == 422 and "no active console user" in refused.json()["error"]["message"]
    back = harness.client.post(f"/v1/admin/requests/{mine['id']}/assign", json={"assignee": None}, headers=admin)
    assert back.json()["assignee"] is None
    entries = harness.client.get("/v1/admin/audit", params={"request_id": mine["id"]},
                                 headers=harness.key("audit:read")).json()
    assert [e["detail"]["assignee"] for e in entries if e["action"] == "request.assigned"] == ["ana@shop.test", None]


def test_the_console_assigns_and_shows_what_happened_in_words(harness: Harness) -> None:
    receipt = harness.submit(type="erasure", email=shop.ALICE)
    harness.verify(receipt, shop.ALICE, data_points=ALICE_POINTS, declaration=DECLARATION)
    harness.client.post(f"/v1/admin/requests/{receipt['id']}/approve", headers=harness.key(*WRITE))
    harness.run_jobs()
    _sign_in(harness)
    page = harness.client.get(f"/admin/requests/{receipt['id']}").text
    assert "Received through the API, a deletion request under CCPA" in page
    assert "Identity checked: reached three data points and a signed declaration" in page
    assert "2 March 2026, 15:00 UTC" in page and "Completed" in page
    history = page.split("What happened", 1)[1]
    assert "{'" not in history and "request.status" not in history  # sentences, not raw entries
    assign = harness.client.post(f"/admin/requests/{receipt['id']}/assign",
                                 data={"assignee": "op@test.example", "csrf_token": token_in(page)})
    assert assign.status_code == 200 and "Handled by</dt><dd>op@test.example" in assign.text
    assert "Assigned to op@test.example" in assign.text
    queue = harness.client.get("/admin", params={"assignee": "me"}).text
    assert _references(queue) == [receipt["id"]]


def test_an_entry_without_a_sentence_of_its_own_still_reads_as_words() -> None:
    assert describe("ledger.replayed", {"x": 1}) == "Ledger: replayed"
    assert describe("request.status", {"to": "denied", "reason": "no match", "exception": "legal claims"}) \
        == "Refused: no match (legal claims)"
