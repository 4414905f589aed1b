"""The DRP status of a request (Exercise Status schema, DRP 0.9.4 §3.02–3.03), read from
Custos' own lifecycle.

| Custos | DRP |
| --- | --- |
| received | open |
| identity_unverified | in_progress / need_user_verification (``user_verification_url``), expired after its window |
| verified, approved, in_progress, failed | in_progress with ``expected_by`` (the legal due date) |
| completed | fulfilled (``results_url`` for access), or denied / no_match when nothing was held |
| denied | denied / the code it was refused with at intake (outside_jurisdiction, claim_not_covered), too_many_requests, insuf_verification, claim_not_covered or other |
| cancelled | revoked |
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from custos.agents.models import AgentRequest
from custos.controlplane import AuditEntry, Request, RequestResult
from custos.service.core import Service

STATES = ("open", "in_progress", "fulfilled", "revoked", "denied", "expired")
REASONS = ("need_user_verification", "suspected_fraud", "insuf_verification", "no_match", "claim_not_covered",
           "outside_jurisdiction", "too_many_requests", "other")
FINAL = frozenset({"fulfilled", "revoked", "denied", "expired"})
WORKING = frozenset({"verified", "approved", "in_progress", "failed"})
ACCESS_TYPES = frozenset({"access", "portability", "categories"})


def instant(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC with a numeric offset (``+00:00``), which every ISO 8601 parser reads."""
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None


def status_of(service: Service, agent_request: AgentRequest) -> dict[str, Any]:
    """The Exercise Status object of ``agent_request``."""
    body: dict[str, Any] = {"request_id": agent_request.id, "received_at": instant(agent_request.received_at)}
    if agent_request.agent_request_id:
        body["agent_request_id"] = agent_request.agent_request_id
    if agent_request.request_id is None:
        body["status"] = agent_request.final_status or "denied"
        if agent_request.final_reason:
            body["reason"] = agent_request.final_reason
        if agent_request.processing_details:
            body["processing_details"] = agent_request.processing_details
        return body
    with service.plane.read() as session:
        request = session.get(Request, agent_request.request_id)
        if request is None:
            return {**body, "status": "denied", "reason": "other"}
        body.update(_from_request(service, session, request))
    return {k: v for k, v in body.items() if v is not None}


def _from_request(service: Service, session: Session, request: Request) -> dict[str, Any]:
    status = request.status
    due = instant(request.due_at)
    if status == "received":
        return {"status": "open"}
    if status == "identity_unverified":
        if request.due_at is not None and service.clock() > request.due_at:
            return {"status": "expired", "processing_details": "the person did not verify their identity in time"}
        return {"status": "in_progress", "reason": "need_user_verification", "expected_by": due,
                "user_verification_url": service.link(f"/privacy-center/requests/{request.id}"),
                "expires_at": due,
                "processing_details": "the person confirms the request with the code mailed to them"}
    if status in WORKING:
        details = request.extension_notice if request.extended else None
        if status == "verified" and request.needs_approval:
            details = details or "awaiting review by the business"
        if request.answered_as == "categories":
            details = details or "identity verified to a reasonable degree: answered with categories"
        return {"status": "in_progress", "expected_by": due, "processing_details": details}
    if status == "cancelled":
        return {"status": "revoked"}
    if status == "completed":
        return _completed(service, session, request)
    if status == "denied":
        return {"status": "denied", "reason": _denial_reason(session, request),
                "processing_details": request.denial_reason}
    return {"status": "in_progress", "expected_by": due}


def _completed(service: Service, session: Session, request: Request) -> dict[str, Any]:
    from custos.service.packages import latest_link

    result = session.scalars(sa.select(RequestResult).where(RequestResult.request_id == request.id)
                             .order_by(RequestResult.id.desc())).first()
    kind = request.answered_as or request.type
    if result is not None and (result.status == "nothing_found"
                               or (kind in ACCESS_TYPES and result.row_count == 0)):
        return {"status": "denied", "reason": "no_match",
                "processing_details": "no personal information matches the identity given"}
    body: dict[str, Any] = {"status": "fulfilled"}
    if kind in ("access", "portability"):
        link = latest_link(service, request.id)
        if link:
            body["results_url"] = link["url"]
            expires = link["expires_at"]
            body["expires_at"] = instant(expires) if isinstance(expires, datetime) else None
    if kind == "categories":
        body["processing_details"] = "the categories of personal information were sent to the person"
    return body


def _denial_reason(session: Session, request: Request) -> str:
    actions = {entry.action: entry.detail for entry in session.scalars(
        sa.select(AuditEntry).where(AuditEntry.request_id == request.id,
                                    AuditEntry.action.in_(("request.frequency", "verification.checked",
                                                           "request.refused_at_intake"))))}
    refused = actions.get("request.refused_at_intake")
    if refused is not None and refused.get("code") in REASONS:
        return str(refused["code"])
    frequency = actions.get("request.frequency")
    if frequency is not None and not frequency.get("allowed", True):
        return "too_many_requests"
    checked = actions.get("verification.checked")
    if checked is not None and checked.get("reached") != checked.get("required") and \
            request.verified_level is None:
        return "insuf_verification"
    if request.denial_exception:
        return "claim_not_covered"
    return "other"
