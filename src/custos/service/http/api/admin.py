"""Admin endpoints: the queue, decisions, request detail and the audit log; every one guarded."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

import sqlalchemy as sa
from fastapi import APIRouter, Query, Response

from custos import plugins
from custos.controlplane import AuditEntry, Request, RequestResult
from custos.service import audit
from custos.service.auth import SESSION_COOKIE, end_session
from custos.service.core import Service
from custos.service.errors import InvalidRequestError
from custos.service.http.api.deps import ReadAudit, ReadRequests, ServiceDep, WriteRequests
from custos.service.http.api.schemas import (
    MAX_ID,
    Assignment,
    AuditEntryPublic,
    ChainStatus,
    Denial,
    ErrorBody,
    ExtensionNotice,
    ObjectionDecision,
    QueueItem,
    RequestDetail,
    ResultPublic,
)
from custos.service.requests import decisions
from custos.service.requests.lifecycle import OPEN, is_late, is_near, load
from custos.service.work import jobs

router = APIRouter(prefix="/v1/admin", tags=["admin"])
ERRORS: dict[int | str, dict[str, object]] = {code: {"model": ErrorBody} for code in (401, 403, 404, 409, 422)}


def queue_item(service: Service, request: Request, stuck: set[str | None] | None = None,
               flags: dict[str, list[str]] | None = None) -> QueueItem:
    found = flags if flags is not None else plugins.flags(service, [request.id])
    return QueueItem(flags=found.get(request.id, []),
        id=request.id, type=request.type, jurisdiction=request.jurisdiction, status=request.status,
        source=request.source, extended=request.extended, needs_approval=request.needs_approval,
        received_at=request.received_at, due_at=request.due_at,
        late=is_late(service, request), near=is_near(service, request),
        stuck=request.id in (stuck or set()), assignee=request.assignee)


@router.get("/requests", response_model=list[QueueItem], responses=ERRORS)
def list_requests(
    service: ServiceDep,
    _: ReadRequests,
    status: Annotated[str | None, Query(max_length=24)] = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
    assignee: Annotated[str | None, Query(max_length=320, description="an email, or `none` for unassigned")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[QueueItem]:
    """Requests sorted by due date (soonest first), with late and near flags."""
    query = sa.select(Request)
    if status:
        query = query.where(Request.status == status)
    if assignee:
        query = query.where(Request.assignee.is_(None) if assignee == "none"
                            else sa.func.lower(Request.assignee) == assignee.strip().lower())
    if open_only:
        query = query.where(Request.status.in_(sorted(OPEN)))
    query = query.order_by(Request.due_at.is_(None), Request.due_at, Request.received_at).limit(limit)
    with service.plane.read() as session:
        stuck = {j.request_id for j in jobs.stuck(session, service)}
        found = list(session.scalars(query))
    flags = plugins.flags(service, [r.id for r in found])
    return [queue_item(service, r, stuck, flags) for r in found]


@router.get("/requests/{request_id}", response_model=RequestDetail, responses=ERRORS)
def read_request(request_id: UUID, service: ServiceDep, principal: ReadRequests) -> RequestDetail:
    """A request with its history (audit entries) and per-collection results."""
    with service.plane.read() as session:
        request = load(session, str(request_id))
        item = queue_item(service, request, {j.request_id for j in jobs.stuck(session, service, request.id)})
        history = [AuditEntryPublic.model_validate(e, from_attributes=True)
                   for e in audit.history(session, request.id)]
        stored = session.scalars(sa.select(RequestResult).where(RequestResult.request_id == request.id)
                                 .order_by(RequestResult.id)).all()
        results = [ResultPublic(kind=r.kind, status=r.status, row_count=r.row_count, residual_ok=r.residual_ok,
                                collections=r.collections, created_at=r.created_at,
                                result=service.vault.decrypt_json(r.result_encrypted)
                                if principal.can("requests:write") else None) for r in stored]
        return RequestDetail(
            **item.model_dump(), verification_level=request.verification_level,
            verified_level=request.verified_level, answered_as=request.answered_as,
            fee_allowed=request.fee_allowed, acknowledge_by=request.acknowledge_by,
            acknowledged_at=request.acknowledged_at, respond_by=request.respond_by,
            extension_notice_by=request.extension_notice_by, extension_notice=request.extension_notice,
            decided_at=request.decided_at, denial_reason=request.denial_reason,
            denial_exception=request.denial_exception, appeal_of=request.appeal_of, agent_id=request.agent_id,
            history=history, results=results)


@router.post("/requests/{request_id}/approve", response_model=QueueItem, responses=ERRORS)
def approve(request_id: UUID, service: ServiceDep, principal: WriteRequests) -> QueueItem:
    """Approve a verified request so it runs; for an appeal, grant it."""
    return queue_item(service, decisions.approve(service, str(request_id), actor=principal.name))


@router.post("/requests/{request_id}/deny", response_model=QueueItem, responses=ERRORS)
def deny(request_id: UUID, body: Denial, service: ServiceDep, principal: WriteRequests) -> QueueItem:
    """Deny with reasons; a deletion denial names the exception relied on."""
    request = decisions.deny(service, str(request_id), actor=principal.name, reason=body.reason,
                             exception=body.exception, note=body.note)
    return queue_item(service, request)


@router.post("/requests/{request_id}/lift-restriction", response_model=QueueItem, responses=ERRORS)
def lift_restriction(request_id: UUID, body: ExtensionNotice, service: ServiceDep,
                     principal: WriteRequests) -> QueueItem:
    """Lift a completed restriction: the person is told why first (GDPR Art. 18(3)), then the
    map's restriction flags are cleared on their rows."""
    return queue_item(service, decisions.lift_restriction(service, str(request_id), actor=principal.name,
                                                          notice=body.notice))


@router.post("/requests/{request_id}/objection", response_model=QueueItem, responses=ERRORS)
def decide_objection(request_id: UUID, body: ObjectionDecision, service: ServiceDep,
                     principal: WriteRequests) -> QueueItem:
    """Decide an objection to processing on legitimate interests (GDPR Art. 21(1)); the person
    is mailed the decision and, when it is refused, the grounds and how to complain."""
    return queue_item(service, decisions.decide_objection(service, str(request_id), upheld=body.upheld,
                                                          reason=body.reason, actor=principal.name))


@router.post("/requests/{request_id}/assign", response_model=QueueItem, responses=ERRORS)
def assign(request_id: UUID, body: Assignment, service: ServiceDep, principal: WriteRequests) -> QueueItem:
    """Give the request to an operator (an active console user), or take it back (null)."""
    return queue_item(service, decisions.assign(service, str(request_id), body.assignee, actor=principal.name))


@router.post("/requests/{request_id}/extend", response_model=QueueItem, responses=ERRORS)
def extend(request_id: UUID, body: ExtensionNotice, service: ServiceDep, principal: WriteRequests) -> QueueItem:
    """Extend the deadline as the rule set allows; the notice is mailed to the person."""
    return queue_item(service, decisions.extend(service, str(request_id), actor=principal.name, notice=body.notice))


@router.post("/requests/{request_id}/retry", response_model=QueueItem, responses=ERRORS)
def retry(request_id: UUID, service: ServiceDep, principal: WriteRequests) -> QueueItem:
    """Run a failed request again; an erasure resumes where it stopped."""
    jobs.retry(service, str(request_id), actor=principal.name)
    with service.plane.read() as session:
        return queue_item(service, load(session, str(request_id)))


@router.get("/audit", response_model=list[AuditEntryPublic], responses=ERRORS)
def audit_log(
    service: ServiceDep,
    _: ReadAudit,
    after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    request_id: Annotated[UUID | None, Query()] = None,
) -> list[AuditEntryPublic]:
    """Audit entries in order, ``after`` a sequence number."""
    query = sa.select(AuditEntry).where(AuditEntry.seq > after)
    if request_id:
        query = query.where(AuditEntry.request_id == str(request_id))
    with service.plane.read() as session:
        return [AuditEntryPublic.model_validate(e, from_attributes=True)
                for e in session.scalars(query.order_by(AuditEntry.seq).limit(limit))]


@router.get("/audit/verify", response_model=ChainStatus, responses=ERRORS)
def audit_verify(service: ServiceDep, _: ReadAudit) -> ChainStatus:
    """Recompute the hash chain: finds any edited or removed entry."""
    with service.plane.read() as session:
        report = audit.verify(session)
    return ChainStatus(ok=report.ok, entries=report.entries, head=report.head, problems=report.problems)


@router.get("/reports/requests", responses=ERRORS)
def report(service: ServiceDep, _: ReadRequests) -> dict[str, dict[str, int]]:
    """Requests by type and status (the counts behind CCPA §7102 metrics)."""
    with service.plane.read() as session:
        rows = session.execute(sa.select(Request.type, Request.status, sa.func.count())
                               .group_by(Request.type, Request.status)).all()
    counts: dict[str, dict[str, int]] = {}
    for kind, status, count in rows:
        counts.setdefault(kind, {})[status] = count
    return counts


@router.get("/reports/metrics", responses=ERRORS)
def metrics(
    service: ServiceDep,
    _: ReadRequests,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
) -> dict[str, Any]:
    """CCPA §7102 figures per request type: received, complied in whole or in part, denied, days."""
    from custos.service.metrics import request_metrics

    if end < start:
        raise InvalidRequestError(f"'to' ({end}) is before 'from' ({start})")
    return request_metrics(service, start, end).to_dict()


@router.post("/session/logout", status_code=204, responses=ERRORS)
def logout(response: Response, service: ServiceDep, principal: ReadRequests) -> Response:
    """End the console session: its cookie stops working on the server, not only in this browser."""
    if principal.session:
        end_session(service, principal.session)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.status_code = 204
    return response


