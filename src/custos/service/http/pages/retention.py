"""The console's retention page: the last and next sweep, rows per collection, failures with a
button to run again, and the legal holds with a form to place one and buttons to lift them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from custos.controlplane import RetentionRun
from custos.service import holds, sweeps
from custos.service.auth import Principal
from custos.service.core import Service
from custos.service.errors import PermissionDeniedError, ServiceError
from custos.service.http.api.deps import ServiceDep
from custos.service.http.pages.console import form_token, form_writer, signed_in, to_login
from custos.service.http.pages.rendering import render

router = APIRouter(prefix="/admin", include_in_schema=False)
Text = Annotated[str, Form(max_length=2000)]


def _page(request: Request, service: Service, principal: Principal, error: str | None = None,
          status: int = 200) -> HTMLResponse:
    if not principal.can("holds:read"):
        raise PermissionDeniedError("this needs the holds:read permission")
    with service.plane.read() as session:
        runs = list(session.scalars(sa.select(RetentionRun).order_by(RetentionRun.started_at.desc()).limit(10)))
        for run in runs:
            session.expunge(run)
    return render(request, "console_retention.html.j2", status, principal=principal, runs=runs,
                  last=runs[0] if runs else None, next_at=sweeps.next_at(service),
                  holds=holds.listed(service), scopes=holds.SCOPES, error=error,
                  can_hold=principal.can("holds:write"), can_run=principal.can("retention:run"),
                  csrf_token=form_token(service, principal))


@router.get("/retention", response_class=HTMLResponse)
def retention_page(request: Request, service: ServiceDep) -> Response:
    principal = signed_in(request, service)
    if principal is None:
        return to_login()
    return _page(request, service, principal)


def _checked(request: Request, service: Service, csrf_token: str, scope: str) -> Principal | None:
    return form_writer(request, service, csrf_token, scope, f"this needs the {scope} permission")


@router.post("/retention/run", response_class=HTMLResponse)
def run_now(request: Request, service: ServiceDep, csrf_token: Text = "") -> Response:
    principal = _checked(request, service, csrf_token, "retention:run")
    if principal is None:
        return to_login()
    sweeps.run(service, trigger="console", actor=principal.name)
    return RedirectResponse("/admin/retention", status_code=303)


@router.post("/holds", response_class=HTMLResponse)
def place(request: Request, service: ServiceDep, csrf_token: Text = "", scope: Text = "", target: Text = "",
          email: Text = "", reason: Text = "", matter: Text = "", ends: Text = "") -> Response:
    principal = _checked(request, service, csrf_token, "holds:write")
    if principal is None:
        return to_login()
    try:
        ends_at = datetime.fromisoformat(ends).replace(tzinfo=UTC) if ends else None
        holds.place(service, scope=scope, target=target or None,
                    identities={"email": [email]} if email else None, reason=reason, matter=matter,
                    ends_at=ends_at, actor=principal.name)
    except ValueError:
        return _page(request, service, principal, f"{ends!r} is not a date (YYYY-MM-DD)", 422)
    except ServiceError as exc:
        return _page(request, service, principal, exc.message, exc.status)
    return RedirectResponse("/admin/retention", status_code=303)


@router.post("/holds/{hold_id}/lift", response_class=HTMLResponse)
def lift(request: Request, hold_id: int, service: ServiceDep, csrf_token: Text = "") -> Response:
    principal = _checked(request, service, csrf_token, "holds:write")
    if principal is None:
        return to_login()
    try:
        holds.lift(service, hold_id, actor=principal.name)
    except ServiceError as exc:
        return _page(request, service, principal, exc.message, exc.status)
    return RedirectResponse("/admin/retention", status_code=303)
