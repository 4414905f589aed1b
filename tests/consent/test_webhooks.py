"""Webhooks: HMAC-signed, retried with backoff, every attempt in the operators' delivery log."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from custos.consent import webhooks
from tests.consent.conftest import Harness

DEVICE = "device-hook-0001"


def test_signed_retried_and_logged(harness: Harness) -> None:
    admin = harness.key("users:write", "audit:read", "requests:write")
    assert harness.client.post("/v1/admin/consent/webhooks", json={"url": "https://crm.example/hook"}).status_code == 401
    operator = harness.key("requests:read", "requests:write", "audit:read")
    assert harness.client.post("/v1/admin/consent/webhooks", headers=operator,
                               json={"url": "https://crm.example/hook"}).status_code == 403
    added = harness.client.post("/v1/admin/consent/webhooks", headers=admin,
                                json={"url": "https://crm.example/hook", "events": ["consent.changed"]})
    assert added.status_code == 201, added.text
    secret = added.json()["secret"]
    assert harness.client.get("/v1/admin/consent/webhooks", headers=admin).json()[0]["secret"] is None

    harness.post({"subject": DEVICE, "choices": {"analytics": True}})
    received: list[httpx.Request] = []
    answers = iter([503, 200])

    def receiver(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(next(answers))

    client = httpx.Client(transport=httpx.MockTransport(receiver))
    assert webhooks.deliver_due(harness.consent, client) == 1
    log = harness.client.get("/v1/admin/consent/webhooks/deliveries", headers=operator).json()
    assert log[0]["status"] == "pending" and log[0]["attempts"] == 1 and log[0]["last_status"] == 503
    waited = datetime.fromisoformat(log[0]["next_attempt_at"]).replace(tzinfo=UTC) - harness.clock.now
    assert waited == timedelta(seconds=30)
    assert webhooks.deliver_due(harness.consent, client) == 0  # not due before the backoff
    harness.clock.advance(seconds=31)
    assert webhooks.deliver_due(harness.consent, client) == 1
    log = harness.client.get("/v1/admin/consent/webhooks/deliveries", headers=operator).json()
    assert log[0]["status"] == "delivered" and log[0]["attempts"] == 2

    request = received[-1]
    header = request.headers[webhooks.SIGNATURE_HEADER]
    assert webhooks.verify_signature(secret, request.content, header, now=time.time())
    assert not webhooks.verify_signature(secret, request.content + b" ", header, now=time.time())
    assert not webhooks.verify_signature("whsec_other", request.content, header, now=time.time())
    body = json.loads(request.content)
    assert body["type"] == "consent.changed"
    assert body["data"]["subject"] == DEVICE and body["data"]["choices"] == {"analytics": True}


def test_gives_up_after_the_last_attempt_and_operator_can_retry(harness: Harness) -> None:
    admin = harness.key("users:write", "audit:read", "requests:write")
    harness.client.post("/v1/admin/consent/webhooks", headers=admin, json={"url": "https://down.example/hook"})
    harness.post({"subject": DEVICE, "choices": {"analytics": False}})

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = httpx.Client(transport=httpx.MockTransport(down))
    waits = []
    for _ in range(8):
        webhooks.deliver_due(harness.consent, client)
        log = harness.client.get("/v1/admin/consent/webhooks/deliveries", headers=admin).json()[0]
        if log["status"] == "failed":
            break
        waits.append(datetime.fromisoformat(log["next_attempt_at"]).replace(tzinfo=UTC) - harness.clock.now)
        harness.clock.advance(hours=3)
    assert [w.total_seconds() for w in waits[:3]] == [30, 60, 120]  # the backoff doubles
    assert log["status"] == "failed" and log["attempts"] == 8 and "ConnectError" in log["last_error"]
    retried = harness.client.post(f"/v1/admin/consent/webhooks/deliveries/{log['id']}/retry", headers=admin)
    assert retried.status_code == 202
    ok = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(204)))
    assert webhooks.deliver_due(harness.consent, ok) == 1
    assert harness.client.get("/v1/admin/consent/webhooks/deliveries", headers=admin,
                              params={"status": "delivered"}).json()[0]["id"] == log["id"]



class _Receiver(BaseHTTPRequestHandler):
    """A real HTTP receiver on loopback: records each POST, answers with the next queued status."""

    received: list[tuple[dict[str, str], bytes]] = []
    statuses: list[int] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        status = type(self).statuses.pop(0) if type(self).statuses else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[_Receiver]]]:
    handler = type("Receiver", (_Receiver,), {"received": [], "statuses": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/consent", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def loopback_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The company lists its own receiver inside the network (here: loopback)."""
    monkeypatch.setenv("CUSTOS_OUTBOUND_HOSTS", "127.0.0.1")


def test_a_webhook_at_a_private_address_is_refused_unless_listed(
        harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    admin = harness.key("users:write", "audit:read", "requests:write")
    for url in ("http://127.0.0.1:9/x", "http://localhost/x", "http://10.0.0.7/x", "http://[::1]/x",
                "http://169.254.169.254/latest/meta-data"):
        answer = harness.client.post("/v1/admin/consent/webhooks", headers=admin, json={"url": url})
        assert answer.status_code == 422 and "private" in answer.text, url
    monkeypatch.setenv("CUSTOS_OUTBOUND_HOSTS", "127.0.0.1")
    assert harness.client.post("/v1/admin/consent/webhooks", headers=admin,
                               json={"url": "http://127.0.0.1:9/x"}).status_code == 201


@pytest.mark.usefixtures("loopback_allowed")
def test_live_receiver_on_loopback_gets_signed_deliveries_and_retries(
        harness: Harness, receiver: tuple[str, type[_Receiver]]) -> None:
    url, handler = receiver
    admin = harness.key("users:write", "audit:read", "requests:write")
    added = harness.client.post("/v1/admin/consent/webhooks", headers=admin, json={"url": url})
    assert added.status_code == 201, added.text
    secret = added.json()["secret"]
    handler.statuses.extend([500])  # the first attempt fails on the receiver's side

    harness.post({"subject": DEVICE, "choices": {"analytics": True, "advertising": False}})
    assert webhooks.deliver_due(harness.consent) == 1  # real HTTP, no mock transport
    log = harness.client.get("/v1/admin/consent/webhooks/deliveries", headers=admin).json()[0]
    assert log["status"] == "pending" and log["last_status"] == 500
    harness.clock.advance(seconds=31)
    assert webhooks.deliver_due(harness.consent) == 1
    log = harness.client.get("/v1/admin/consent/webhooks/deliveries", headers=admin).json()[0]
    assert log["status"] == "delivered" and log["attempts"] == 2 and log["last_status"] == 200

    assert len(handler.received) == 2
    headers, body = handler.received[-1]
    assert headers["content-type"].startswith("application/json")
    assert webhooks.verify_signature(secret, body, headers[webhooks.SIGNATURE_HEADER.lower()], now=time.time())
    event = json.loads(body)
    assert event["type"] == "consent.changed"
    assert event["data"]["choices"] == {"advertising": False, "analytics": True}
    assert handler.received[0][1] == body  # the retry sends the same event, re-signed


@pytest.mark.usefixtures("loopback_allowed")
def test_live_receiver_that_is_gone_fails_the_attempt(harness: Harness) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    admin = harness.key("users:write", "audit:read", "requests:write")
    harness.client.post("/v1/admin/consent/webhooks", headers=admin, json={"url": f"http://127.0.0.1:{port}/x"})
    harness.post({"subject": DEVICE, "choices": {"analytics": False}})
    assert webhooks.deliver_due(harness.consent) == 1
    log = harness.client.get("/v1/admin/consent/webhooks/deliveries", headers=admin).json()[0]
    assert log["status"] == "pending" and log["attempts"] == 1 and "ConnectError" in (log["last_error"] or "")


@pytest.mark.usefixtures("loopback_allowed")
def test_two_pollers_deliver_each_event_once(harness: Harness, receiver: tuple[str, type[_Receiver]]) -> None:
    """Two server processes poll the same store: each delivery is claimed by one of them."""
    from custos.consent.context import Consent
    from custos.service.core import Service

    url, handler = receiver
    admin = harness.key("users:write", "audit:read", "requests:write")
    assert harness.client.post("/v1/admin/consent/webhooks", headers=admin, json={"url": url}).status_code == 201
    for n in range(12):
        harness.post({"subject": f"device-hook-{n:04d}", "choices": {"analytics": n % 2 == 0}})
    service = harness.consent.service
    # a second process: its own service and store connection on the same database
    other = Consent(Service(service.settings, clock=harness.clock, datamap=service.datamap, migrate=False),
                    harness.consent.settings)
    counts: list[int] = []
    start = threading.Barrier(2)

    def poll(consent: object) -> None:
        start.wait()
        counts.append(webhooks.deliver_due(consent))  # type: ignore[arg-type]

    threads = [threading.Thread(target=poll, args=(c,)) for c in (harness.consent, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    other.service.close()
    assert sum(counts) == 12
    subjects = [json.loads(body)["data"]["subject"] for _, body in handler.received]
    assert sorted(subjects) == [f"device-hook-{n:04d}" for n in range(12)]  # each once
    log = harness.client.get("/v1/admin/consent/webhooks/deliveries", headers=admin).json()
    assert [entry["status"] for entry in log] == ["delivered"] * 12
