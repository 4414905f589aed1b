"""The admin console: sign in, the queue by due date, a request's history and the decisions."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

import sqlalchemy as sa
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from custos import plugins
from custos.controlplane import Request as StoredRequest
from custos.controlplane import RequestResult, User
from custos.rules import request_types
from custos.service import audit
from custos.service.auth import (
    SESSION_COOKIE,
    SESSION_LIFETIME,
    Principal,
    csrf_token,
    end_session,
    from_session,
    login,
)
from custos.service.core import Service
from custos.service.errors import (
    AuthenticationError,
    PermissionDeniedError,
    RateLimitedError,
    ServiceError,
)
from custos.service.http.api.deps import ServiceDep
from custos.service.http.pages.rendering import check_form_token, render
from custos.service.http.security import secure_cookies
from custos.service.requests import decisions
from custos.service.requests.lifecycle import OPEN, TRANSITIONS, is_late, is_near, label, load
from custos.service.requests.timeline import timeline
from custos.service.vault import same
from custos.service.work import jobs

router = APIRouter(prefix="/admin", include_in_schema=False)
Text = Annotated[str, Form(max_length=2000)]


def signed_in(request: Request, service: Service) -> Principal | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    return from_session(service, cookie) if cookie else None


def to_login() -> RedirectResponse:
    return RedirectResponse("/admin/login", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, service: ServiceDep) -> HTMLResponse:
    """The sign-in form."""
    return render(request, "console_login.html.j2", error=None)


@router.post("/login", response_class=HTMLResponse)
def sign_in(request: Request, service: ServiceDep, email: Text, password: Text, csrf_token: Text = "") -> Response:
    """Check the password and open a session."""
    check_form_token(request, csrf_token)
    try:
        cookie, _ = login(service, email, password)
    except AuthenticationError as exc:
        return render(request, "console_login.html.j2", 401, error=exc.message)
    except RateLimitedError as exc:  # the same bucket as the JSON sign-in
        return render(request, "console_login.html.j2", 429, error=exc.message)
    response = RedirectResponse("/admin", status_code=303)
    response.set_cookie(SESSION_COOKIE, cookie, max_age=int(SESSION_LIFETIME.total_seconds()), httponly=True,
                        secure=secure_cookies(request), samesite="strict", path="/")
    return response


@router.post("/logout")
def sign_out(request: Request, service: ServiceDep, csrf_token: Text = "") -> Response:
    """End the session."""
    principal = signed_in(request, service)
    if principal and principal.session and same(csrf_token, form_token(service, principal)):
        end_session(service, principal.session)
        response = to_login()
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
    return to_login()


def form_token(service: Service, principal: Principal) -> str:
    return csrf_token(service, principal.session or "")


def page_reader(request: Request, service: Service, scope: str, refusal: str) -> Principal | Response:
    """The signed-in caller of a console page that shows something, or the answer to give
    instead: the sign-in page when nobody is signed in, a 403 when the role lacks ``scope``."""
    principal = signed_in(request, service)
    if principal is None:
        return to_login()
    if not principal.can(scope):
        return HTMLResponse(refusal, status_code=403)
    return principal


def form_writer(request: Request, service: Service, token: str, scope: str, refusal: str) -> Principal | None:
    """The signed-in caller of a console form that changes something: ``None`` when nobody is
    signed in; refused when the form's token is stale or the role lacks ``scope``."""
    principal = signed_in(request, service)
    if principal is None:
        return None
    if not same(token, form_token(service, principal)):
        raise PermissionDeniedError("the form has expired; reload the page and try again")
    if not principal.can(scope):
        raise PermissionDeniedError(refusal)
    return principal


PAGE = 50
Filter = Annotated[str, Query(max_length=40)]


@router.get("", response_class=HTMLResponse)
def queue(request: Request, service: ServiceDep, type: Filter = "", status: Filter = "", law: Filter = "",
          due: Filter = "", q: Filter = "", assignee: Annotated[str, Query(max_length=320)] = "",
          page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    """The requests: open ones first, by due date, with what is late or near; filtered by type,
    status, law and deadline (``due``: ``overdue`` or ``soon``), or found by the start of their
    reference (``q``), fifty to a page."""
    principal = signed_in(request, service)
    if principal is None:
        return to_login()
    query = sa.select(StoredRequest)
    if type:
        query = query.where(StoredRequest.type == type)
    if status == "open":
        query = query.where(StoredRequest.status.in_(sorted(OPEN)))
    elif status:
        query = query.where(StoredRequest.status == status)
    if law:
        query = query.where(StoredRequest.jurisdiction == law)
    if assignee == "me":
        query = query.where(sa.func.lower(StoredRequest.assignee) == principal.name.removeprefix("user:").lower())
    elif assignee == "none":
        query = query.where(StoredRequest.assignee.is_(None))
    elif assignee:
        query = query.where(sa.func.lower(StoredRequest.assignee) == assignee.strip().lower())
    if q.strip():
        query = query.where(StoredRequest.id.startswith(q.strip().lower(), autoescape=True))
    if due in ("overdue", "soon"):
        moment = service.clock()
        query = query.where(StoredRequest.status.in_(sorted(OPEN)), StoredRequest.due_at.is_not(None))
        if due == "overdue":
            query = query.where(StoredRequest.due_at < moment)
        else:
            query = query.where(StoredRequest.due_at >= moment,
                                StoredRequest.due_at < moment + timedelta(days=service.settings.near_due_days))
    ordered = query.order_by(StoredRequest.status.not_in(sorted(OPEN)), StoredRequest.due_at.is_(None),
                             StoredRequest.due_at, StoredRequest.received_at)
    with service.plane.read() as session:
        total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
        rows = [(r, is_late(service, r), is_near(service, r), label(r))
                for r in session.scalars(ordered.offset((page - 1) * PAGE).limit(PAGE))]
        stuck = {j.request_id for j in jobs.stuck(session, service)}
        operators = _operators(session)
    flags = plugins.flags(service, [r.id for r, *_ in rows])
    filters = {"type": type, "status": status, "law": law, "due": due, "assignee": assignee, "q": q}
    return render(request, "console_queue.html.j2", principal=principal, rows=rows, stuck=stuck, flags=flags,
                  csrf_token=form_token(service, principal), filters=filters, page=page,
                  pages=max(1, -(-total // PAGE)), total=total,
                  types=[(name, spec.label) for name, spec in request_types().items()],
                  statuses=sorted(TRANSITIONS), laws=service.jurisdictions, operators=operators,
                  query=urlencode({k: v for k, v in filters.items() if v}))


@router.get("/reports/metrics", response_class=HTMLResponse)
def metrics_page(request: Request, service: ServiceDep, start: date | None = None, end: date | None = None) -> Response:
    """CCPA §7102 metrics with a chart; the calendar year so far unless ``start``/``end`` say otherwise."""
    from custos.notice.metrics_report import metrics_html
    from custos.service.metrics import request_metrics

    if signed_in(request, service) is None:
        return to_login()
    today = service.clock().date()
    start = start or date(today.year, 1, 1)
    end = end or today
    if end < start:
        start, end = end, start
    figures = request_metrics(service, start, end)
    return HTMLResponse(metrics_html(figures, service.datamap.document.organization.name))


def _operators(session: Any) -> list[str]:
    """The active console users a request may be assigned to."""
    return list(session.scalars(sa.select(User.email).where(User.active.is_(True)).order_by(User.email)))


def counted(counts: Any) -> str:
    """A result's counts in words: ``found 2, changed 2``."""
    if isinstance(counts, dict):
        return ", ".join(f"{name} {value}" for name, value in counts.items() if value) or "nothing"
    return str(counts)


@router.get("/requests/{request_id}", response_class=HTMLResponse)
def detail(request: Request, request_id: UUID, service: ServiceDep) -> Response:
    """A request, its history and its per-collection results, with the decisions allowed."""
    principal = signed_in(request, service)
    if principal is None:
        return to_login()
    return _detail(request, service, principal, str(request_id))


def _detail(request: Request, service: Service, principal: Principal, request_id: str,
            error: str | None = None, status: int = 200) -> HTMLResponse:
    with service.plane.read() as session:
        stored = load(session, request_id)
        history = audit.history(session, request_id)
        results: list[Any] = list(session.scalars(sa.select(RequestResult)
                                                  .where(RequestResult.request_id == request_id)))
        stuck = bool(jobs.stuck(session, service, request_id))
        operators = _operators(session)
    flags = plugins.flags(service, [request_id]).get(request_id, [])
    return render(request, "console_request.html.j2", status, principal=principal, stored=stored,
                  label=label(stored), history=timeline(history), results=results, error=error,
                  operators=operators, counted=counted, flags=flags,
                  lifted=any(r.kind == "restriction_lifted" for r in results),
                  to_weigh=decisions.purpose_names(service, decisions.to_weigh(results)),
                  late=is_late(service, stored), near=is_near(service, stored), stuck=stuck,
                  exceptions=decisions.exception_choices(service, stored.jurisdiction),
                  can_write=principal.can("requests:write"),
                  csrf_token=form_token(service, principal))


@router.post("/requests/{request_id}/{action}", response_class=HTMLResponse)
def decide(
    request: Request, request_id: UUID, action: str, service: ServiceDep, csrf_token: Text = "",
    reason: Text = "", exception: Text = "", notice: Text = "", note: Text = "", assignee: Text = "",
    upheld: Text = "",
) -> Response:
    """Approve, deny, extend, retry or assign, from the request's page."""
    principal = form_writer(request, service, csrf_token, "requests:write", "your role can only read")
    if principal is None:
        return to_login()
    identifier = str(request_id)
    try:
        if action == "approve":
            decisions.approve(service, identifier, actor=principal.name)
        elif action == "deny":
            decisions.deny(service, identifier, actor=principal.name, reason=reason, exception=exception or None,
                           note=note or None)
        elif action == "extend":
            decisions.extend(service, identifier, actor=principal.name, notice=notice)
        elif action == "retry":
            jobs.retry(service, identifier, actor=principal.name)
        elif action == "lift-restriction":
            decisions.lift_restriction(service, identifier, actor=principal.name, notice=notice)
        elif action == "objection":
            decisions.decide_objection(service, identifier, upheld=upheld == "yes", reason=reason,
                                       actor=principal.name)
        elif action == "assign":
            decisions.assign(service, identifier, assignee.strip() or None, actor=principal.name)
        else:
            return _detail(request, service, principal, identifier, f"unknown action {action!r}", 404)
    except ServiceError as exc:
        return _detail(request, service, principal, identifier, exc.message, exc.status)
    return RedirectResponse(f"/admin/requests/{identifier}", status_code=303)

