"""Webhooks: downstream systems hear of every consent change, signed, retried, logged.

Each delivery is a POST of JSON ``{"id", "type", "created_at", "data"}`` with the header
``Custos-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` computed with the
endpoint's secret; receivers recompute it and refuse old timestamps. A failed delivery
(network error or a non-2xx answer) is retried after ``backoff · 2^(attempt-1)`` seconds
until ``CUSTOS_CONSENT_WEBHOOK_ATTEMPTS`` is reached; every attempt's outcome stays in
``webhook_deliveries``, which operators read through the admin API.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx
import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.consent.models import WebhookDelivery, WebhookEndpoint
from custos.service import audit
from custos.service.errors import InvalidRequestError
from custos.service.outbound import resolution_refusal, signature, url_refusal
from custos.service.outbound import (
    verify_signature as verify_signature,  # what a receiver runs (docs/consent.md)
)
from custos.service.work.leases import claim_due

if TYPE_CHECKING:
    from custos.consent.context import Consent

log = logging.getLogger("custos.consent.webhooks")
EVENT_TYPES = ("consent.changed", "subject.linked", "email.subscribed", "email.unsubscribed")
SIGNATURE_HEADER = "Custos-Signature"
_BATCH = 50


def add_endpoint(consent: Consent, url: str, events: list[str], *, actor: str) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it with its signing secret (shown once)."""
    if not url.startswith(("https://", "http://")):
        raise InvalidRequestError("a webhook URL starts with https:// (or http:// for local receivers)")
    refusal = url_refusal(url, what="the webhook URL")
    if refusal is not None:  # a receiver inside the network is listed in CUSTOS_OUTBOUND_HOSTS
        raise InvalidRequestError(refusal + " (CUSTOS_OUTBOUND_HOSTS)")
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise InvalidRequestError(f"unknown event types {', '.join(unknown)}; valid: {', '.join(EVENT_TYPES)}")
    secret = "whsec_" + secrets.token_urlsafe(32)
    service = consent.service
    with service.plane.write() as session:
        endpoint = WebhookEndpoint(url=url, secret_encrypted=service.vault.encrypt_text(secret),
                                   events=sorted(set(events)), active=True, created_at=service.clock())
        session.add(endpoint)
        session.flush()
        audit.append(session, "webhook.added", actor=actor, at=service.clock(),
                     detail={"endpoint": endpoint.id, "url": url, "events": endpoint.events})
    _forget_endpoints(consent)
    return endpoint, secret


def remove_endpoint(consent: Consent, endpoint_id: str, *, actor: str) -> bool:
    """Stop sending to an endpoint; its delivery log stays."""
    service = consent.service
    with service.plane.write() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None or not endpoint.active:
            return False
        endpoint.active = False
        audit.append(session, "webhook.removed", actor=actor, at=service.clock(), detail={"endpoint": endpoint_id})
    _forget_endpoints(consent)
    return True


_ENDPOINTS_TTL = 5.0


def _forget_endpoints(consent: Consent) -> None:
    consent.endpoint_cache = None


def _active_endpoints(session: Session, consent: Consent) -> list[tuple[str, list[str]]]:
    # Every consent write asks; a short cache keeps that query off the hot path.
    cached = consent.endpoint_cache
    if cached and time.monotonic() - cached[0] < _ENDPOINTS_TTL:
        return cached[1]
    found = [(e.id, list(e.events or [])) for e in
             session.scalars(sa.select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True)))]
    consent.endpoint_cache = (time.monotonic(), found)
    return found


def enqueue(session: Session, consent: Consent, event_type: str, data: dict[str, Any]) -> int:
    """Queue ``event_type`` for every endpoint that wants it, in the caller's transaction."""
    endpoints = [eid for eid, wanted in _active_endpoints(session, consent) if not wanted or event_type in wanted]
    if not endpoints:
        return 0
    at = consent.service.clock()
    for endpoint_id in endpoints:
        payload = {"id": secrets.token_hex(12), "type": event_type, "created_at": at.isoformat(), "data": data}
        session.add(WebhookDelivery(endpoint_id=endpoint_id, event_type=event_type, payload=payload,
                                    status="pending", attempts=0, next_attempt_at=at, created_at=at))
    session.info.setdefault("after_commit", []).append(consent.wake.set)
    return len(endpoints)


def deliver_due(consent: Consent, client: httpx.Client | None = None) -> int:
    """Try every delivery that is due now; returns how many were attempted."""
    service = consent.service
    settings = consent.settings
    claimed = claim_due(service, WebhookDelivery, pending=WebhookDelivery.status == "pending",
                        due=WebhookDelivery.next_attempt_at, limit=_BATCH,
                        lease=timedelta(seconds=settings.webhook_timeout_seconds * 2 + 30))
    if not claimed:
        return 0
    with service.plane.read() as session:
        due = list(session.execute(
            sa.select(WebhookDelivery.id, WebhookDelivery.payload, WebhookEndpoint.url,
                      WebhookEndpoint.secret_encrypted)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(WebhookDelivery.id.in_(claimed)).order_by(WebhookDelivery.id)
        ))
    own = client is None
    http = client or httpx.Client(timeout=settings.webhook_timeout_seconds, follow_redirects=False)
    try:
        for delivery_id, payload, url, secret_encrypted in due:
            body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
            secret = service.vault.decrypt_text(secret_encrypted)
            headers = {"Content-Type": "application/json", "User-Agent": "Custos-Webhooks/1",
                       SIGNATURE_HEADER: signature(secret, body, int(time.time()))}
            status: int | None = None
            # a refused address is recorded as a failed attempt, and nothing is sent to it
            error: str | None = resolution_refusal(url, what="the webhook URL")
            if error is None:
                try:
                    answer = http.post(url, content=body, headers=headers)
                    status = answer.status_code
                    if not 200 <= status < 300:
                        error = f"the receiver answered {status}"
                except httpx.HTTPError as exc:
                    error = f"{type(exc).__name__}: {exc}"[:500]
            _record_attempt(consent, delivery_id, status, error)
    finally:
        if own:
            http.close()
    return len(due)


def _record_attempt(consent: Consent, delivery_id: int, status: int | None, error: str | None) -> None:
    service = consent.service
    settings = consent.settings
    with service.plane.write() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return
        now = service.clock()
        delivery.attempts += 1
        delivery.last_status = status
        delivery.last_error = error
        if error is None:
            delivery.status = "delivered"
            delivery.delivered_at = now
        elif delivery.attempts >= settings.webhook_attempts:
            delivery.status = "failed"
            audit.append(session, "webhook.failed", actor="system", at=now,
                         detail={"delivery": delivery.id, "endpoint": delivery.endpoint_id, "error": error})
        else:
            delay = settings.webhook_backoff_seconds * 2 ** (delivery.attempts - 1)
            delivery.next_attempt_at = now + timedelta(seconds=delay)


def retry(consent: Consent, delivery_id: int, *, actor: str) -> bool:
    """Put a failed delivery back in the queue, due now."""
    service = consent.service
    with service.plane.write() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status == "delivered":
            return False
        delivery.status = "pending"
        delivery.attempts = 0
        delivery.next_attempt_at = service.clock()
        audit.append(session, "webhook.retried", actor=actor, at=service.clock(), detail={"delivery": delivery_id})
        session.info.setdefault("after_commit", []).append(consent.wake.set)
    return True


class Dispatcher:
    """A background thread that delivers due webhooks, woken when one is queued."""

    def __init__(self, consent: Consent, poll_seconds: float = 5.0) -> None:
        self.consent = consent
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="custos-webhooks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.consent.wake.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.consent.wake.wait(self.poll_seconds)
            self.consent.wake.clear()
            if self._stop.is_set():
                return
            try:
                while deliver_due(self.consent) == _BATCH:
                    pass
            except Exception:  # keep delivering later; the log shows what failed
                log.exception("webhook delivery round failed")
