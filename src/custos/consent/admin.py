"""Operator endpoints: consent proof, webhook endpoints and their delivery log; every one guarded.

Reading proof and the delivery log needs ``audit:read`` (operators, auditors, admins);
adding or removing a webhook endpoint, which sends data out of Custos, needs an admin
(``users:write``); re-queuing a delivery needs ``requests:write``.
"""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Path, Query

from custos.consent import proof, webhooks
from custos.consent.models import WebhookDelivery, WebhookEndpoint
from custos.consent.public import ConsentDep
from custos.consent.schemas import SUBJECT_PATTERN, DeliveryPublic, WebhookCreate, WebhookPublic
from custos.service.auth import Principal
from custos.service.errors import InvalidRequestError, NotFoundError
from custos.service.http.api.deps import ReadAudit, WriteRequests, require
from custos.service.http.api.schemas import EMAIL_PATTERN, MAX_ID, ErrorBody

router = APIRouter(prefix="/v1/admin/consent", tags=["consent admin"])
ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorBody} for code in (401, 403, 404, 422)}
ManageWebhooks = Annotated[Principal, Depends(require("users:write"))]


@router.get("/proof", responses=ERRORS)
def consent_proof(
    consent: ConsentDep,
    _: ReadAudit,
    subject: Annotated[str | None, Query(pattern=SUBJECT_PATTERN)] = None,
    email: Annotated[str | None, Query(max_length=320, pattern=EMAIL_PATTERN)] = None,
) -> dict[str, Any]:
    """Every consent event of a device (and the devices linked to it), or of a person by email."""
    if subject:
        return proof.export(consent, subject)
    if email:
        return proof.history_for_identities(consent, {"email": [email]})
    raise InvalidRequestError("give subject or email")


def _public(endpoint: WebhookEndpoint, secret: str | None = None) -> WebhookPublic:
    return WebhookPublic(id=endpoint.id, url=endpoint.url, events=list(endpoint.events or []),
                         active=endpoint.active, created_at=endpoint.created_at, secret=secret)


@router.post("/webhooks", response_model=WebhookPublic, status_code=201, responses=ERRORS)
def add_webhook(body: WebhookCreate, consent: ConsentDep, principal: ManageWebhooks) -> WebhookPublic:
    """Register a receiver; the answer holds its signing secret, shown this once."""
    endpoint, secret = webhooks.add_endpoint(consent, body.url, body.events, actor=principal.name)
    return _public(endpoint, secret)


@router.get("/webhooks", response_model=list[WebhookPublic], responses=ERRORS)
def list_webhooks(consent: ConsentDep, _: ReadAudit) -> list[WebhookPublic]:
    with consent.service.plane.read() as session:
        return [_public(e) for e in session.scalars(sa.select(WebhookEndpoint).order_by(WebhookEndpoint.created_at))]


@router.delete("/webhooks/{endpoint_id}", status_code=204, responses=ERRORS)
def remove_webhook(endpoint_id: str, consent: ConsentDep, principal: ManageWebhooks) -> None:
    if not webhooks.remove_endpoint(consent, endpoint_id, actor=principal.name):
        raise NotFoundError("no active webhook endpoint has that id")


@router.get("/webhooks/deliveries", response_model=list[DeliveryPublic], responses=ERRORS)
def list_deliveries(
    consent: ConsentDep,
    _: ReadAudit,
    status: Annotated[str | None, Query(pattern=r"^(pending|delivered|failed)$")] = None,
    endpoint: Annotated[str | None, Query(max_length=36)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[DeliveryPublic]:
    """The delivery log, newest first: attempts, last answer, next try."""
    query = sa.select(WebhookDelivery)
    if status:
        query = query.where(WebhookDelivery.status == status)
    if endpoint:
        query = query.where(WebhookDelivery.endpoint_id == endpoint)
    query = query.order_by(WebhookDelivery.id.desc()).limit(limit)
    with consent.service.plane.read() as session:
        return [DeliveryPublic(id=d.id, endpoint_id=d.endpoint_id, event_type=d.event_type, status=d.status,
                               attempts=d.attempts, next_attempt_at=d.next_attempt_at, last_status=d.last_status,
                               last_error=d.last_error, created_at=d.created_at, delivered_at=d.delivered_at)
                for d in session.scalars(query)]


@router.post("/webhooks/deliveries/{delivery_id}/retry", status_code=202, responses=ERRORS)
def retry_delivery(
    delivery_id: Annotated[int, Path(ge=1, le=MAX_ID)], consent: ConsentDep, principal: WriteRequests
) -> dict[str, str]:
    """Send a failed delivery again, now."""
    if not webhooks.retry(consent, delivery_id, actor=principal.name):
        raise NotFoundError("no undelivered delivery has that id")
    return {"status": "queued"}
