"""Recipients told of a completed erasure or correction: a signed webhook checked by a real
receiving server on loopback, a mail to another, retries after the receiver fails, and an
acknowledgement that a wrong or used token cannot give."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from custos.server import create_app
from tests import shop
from tests.consent.browser import CHROMIUM
from tests.service.conftest import Harness, start
from tests.service.test_lifecycle import ALICE_POINTS, DECLARATION, WRITE
from tests.service.test_retention_pages import console_in_browser

SECRET = "partner-webhook-secret-0123456789"


@dataclass
class Receiver:
    url: str = ""
    failures_left: int = 0
    received: list[tuple[dict[str, Any], str, bytes]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if state.failures_left > 0:
                state.failures_left -= 1
                self.send_response(500)
            else:
                state.received.append((json.loads(raw), self.headers.get("X-Custos-Signature", ""), raw))
                self.send_response(200)
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/custos"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def with_partner(url: str) -> str:
    """The test shop, with an analytics partner told by webhook of the contact data it received."""
    text = shop.MAP.replace("    recipients: [carrier]\n", "    recipients: [carrier, partner]\n", 1)
    text = text.replace("recipients:\n  - {key: carrier", "recipients:\n"
                        f"  - {{key: partner, name: Analytics partner, kind: third_party, shared: true, "
                        f"notify: {{webhook: \"{url}\", secret: {SECRET}, identities: [email, phone], "
                        f"identity_form: sha256}}}}\n  - {{key: carrier", 1)
    return text


@pytest.fixture
def harness(tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    monkeypatch.setenv("CUSTOS_OUTBOUND_HOSTS", "127.0.0.1")  # the receiver is the company's own, on loopback
    monkeypatch.setattr(shop, "MAP", with_partner(receiver.url))
    yield from start(tmp_path, jurisdictions="[ccpa, gdpr]")


def erase_alice(harness: Harness) -> str:
    receipt = harness.submit(type="erasure", email=shop.ALICE)
    harness.verify(receipt, shop.ALICE, data_points=ALICE_POINTS, declaration=DECLARATION)
    harness.client.post(f"/v1/admin/requests/{receipt['id']}/approve", headers=harness.key(*WRITE))
    harness.run_jobs()
    return str(receipt["id"])


def told(harness: Harness, request_id: str) -> dict[str, dict[str, Any]]:
    answer = harness.client.get(f"/v1/admin/requests/{request_id}/recipients", headers=harness.key("requests:read"))
    assert answer.status_code == 200, answer.text
    return {item["recipient"]: item for item in answer.json()}


def test_an_erasure_tells_each_recipient_with_a_signed_webhook_or_a_mail(harness: Harness,
                                                                       receiver: Receiver) -> None:
    request_id = erase_alice(harness)
    assert harness.status(request_id) == "completed"
    notices = told(harness, request_id)
    assert {k: (v["channel"], v["status"]) for k, v in notices.items()} == {
        "carrier": ("email", "delivered"), "partner": ("webhook", "delivered")}
    [(body, signature, raw)] = receiver.received
    # the receiver checks the signature over the timestamp and the exact bytes
    parts = dict(part.split("=", 1) for part in signature.split(","))
    expected = hmac.new(SECRET.encode(), f"{parts['t']}.".encode() + raw, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected)
    assert body["request_type"] == "erasure" and body["identity_form"] == "sha256"
    assert body["identities"] == {"email": [hashlib.sha256(shop.ALICE.encode()).hexdigest()]}
    assert shop.ALICE not in raw.decode()  # what was agreed: hashes, not the address
    assert set(body["categories"]) <= {"user.contact", "user.name"} and body["categories"]
    [mail] = harness.mails("privacy@carrier.example", "recipient_notice")
    text = mail.get_body(("plain",)).get_content()
    assert shop.ALICE in text and "deletion request" in text and "/v1/recipient-notices/" in text
    entries = harness.client.get("/v1/admin/audit", params={"request_id": request_id},
                                 headers=harness.key("audit:read")).json()
    actions = [e["action"] for e in entries]
    assert actions.count("recipient.notice_queued") == 2 and actions.count("recipient.notice_delivered") == 2


def test_a_receiver_that_fails_is_tried_again(harness: Harness, receiver: Receiver) -> None:
    receiver.failures_left = 1
    request_id = erase_alice(harness)
    assert told(harness, request_id)["partner"]["status"] == "queued"
    assert told(harness, request_id)["partner"]["last_error"] == "the receiver answered 500"
    harness.clock.advance(seconds=5)  # the job queue's delay before the second attempt
    harness.run_jobs()
    partner = told(harness, request_id)["partner"]
    assert partner["status"] == "delivered" and partner["attempts"] == 2 and len(receiver.received) == 1


def test_an_acknowledgement_needs_the_notice_s_own_token_and_works_once(harness: Harness,
                                                                       receiver: Receiver) -> None:
    request_id = erase_alice(harness)
    [(body, _, _)] = receiver.received
    url = body["acknowledge"]["url"].removeprefix("http://testserver")
    token = body["acknowledge"]["token"]
    assert harness.client.post(url, json={"token": "x" * len(token)}).status_code == 403
    carrier_id = told(harness, request_id)["carrier"]["id"]
    assert harness.client.post(f"/v1/recipient-notices/{carrier_id}/ack", json={"token": token}).status_code == 403
    assert harness.client.post(url, json={"token": token}).json() == {"status": "acknowledged"}
    assert harness.client.post(url, json={"token": token}).status_code == 409
    assert told(harness, request_id)["partner"]["status"] == "acknowledged"


def test_a_correction_tells_the_recipients_of_the_field_with_its_new_value(harness: Harness,
                                                                          receiver: Receiver) -> None:
    receipt = harness.submit(type="correction", email=shop.ALICE,
                             corrections={"shop.customers.full_name": "Alice P. Liddell"})
    harness.verify(receipt, shop.ALICE, data_points=ALICE_POINTS, declaration=DECLARATION)
    harness.client.post(f"/v1/admin/requests/{receipt['id']}/approve", headers=harness.key(*WRITE))
    harness.run_jobs()
    [(body, _, _)] = receiver.received
    assert body["request_type"] == "correction" and body["categories"] == ["user.name"]
    assert body["corrections"] == {"shop.customers.full_name": "Alice P. Liddell"}


def test_an_undelivered_notice_is_listed_as_overdue(harness: Harness, receiver: Receiver) -> None:
    receiver.failures_left = 100
    request_id = erase_alice(harness)
    harness.clock.advance(hours=73)
    overdue = harness.client.get("/v1/admin/recipient-notices/overdue", headers=harness.key("requests:read")).json()
    assert [(n["request_id"], n["recipient"]) for n in overdue] == [(request_id, "partner")]
    # completed in the stores, but not done for an operator while the partner has not been told
    queue = harness.client.get("/v1/admin/requests", headers=harness.key("requests:read")).json()
    [item] = [i for i in queue if i["id"] == request_id]
    assert item["status"] == "completed" and item["flags"] == ["recipient partner not told yet"]


def test_a_request_whose_recipients_were_told_carries_no_flag(harness: Harness, receiver: Receiver) -> None:
    request_id = erase_alice(harness)
    harness.clock.advance(hours=73)
    detail = harness.client.get(f"/v1/admin/requests/{request_id}", headers=harness.key("requests:read")).json()
    assert detail["status"] == "completed" and detail["flags"] == []


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing (install Debian's chromium)")
def test_the_recipients_page_in_a_browser(harness: Harness, receiver: Receiver, tmp_path: Path) -> None:
    receiver.failures_left = 100
    request_id = erase_alice(harness)
    app = create_app(harness.service.settings, run_jobs=False)  # the console, on the same control plane
    with console_in_browser(app) as (browser, page, server):
        page.goto(f"{server.url}/admin/recipients")
        tables = page.evaluate("[...document.querySelectorAll('table')].map(t => [...t.querySelectorAll("
                               "'tbody tr')].map(r => [...r.cells].map(c => c.innerText)))")
        # the partner's webhook keeps failing: it needs attention; the carrier's mail went out
        assert [(row[0], row[1], row[3]) for row in tables[0]] == [(request_id[:8], "Analytics partner", "queued")]
        assert {(row[1], row[4]) for row in tables[1]} == {("Analytics partner", "queued"),
                                                           ("Parcel carriers", "delivered")}
        shot = browser.command("Page.captureScreenshot", {"format": "png"}, session=page.session)
        (tmp_path / "recipients.png").write_bytes(base64.b64decode(shot["data"]))
        page.evaluate("document.querySelector('a[href^=\"/admin/requests/\"]').click()")
        page.wait_for(f"location.pathname === '/admin/requests/{request_id}' && document.readyState === 'complete'",
                      timeout=30)
        text = page.evaluate("document.body.innerText")
        assert "completed — not done: recipient partner not told yet" in text, text[:500]


def test_a_webhook_the_outgoing_call_rules_refuse_stops_the_service_at_start(
        tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    from custos.errors import ConfigError

    monkeypatch.delenv("CUSTOS_OUTBOUND_HOSTS", raising=False)
    monkeypatch.setattr(shop, "MAP", with_partner(receiver.url))  # loopback, not listed
    with pytest.raises(ConfigError, match="partner"):
        next(start(tmp_path, jurisdictions="[ccpa, gdpr]"))
