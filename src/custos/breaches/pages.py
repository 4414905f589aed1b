"""The console page of the breach register: the countdown, the figures, the actions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from custos.breaches import notices, register
from custos.breaches.admin import public
from custos.service.auth import Principal
from custos.service.core import Service
from custos.service.errors import ServiceError
from custos.service.http.api.deps import ServiceDep
from custos.service.http.pages.console import form_token, form_writer, page_reader, to_login
from custos.service.http.pages.rendering import render

router = APIRouter(prefix="/admin/breaches", include_in_schema=False)
Text = Annotated[str, Form(max_length=2000)]
WRITE = "breaches:write"


def _page(request: Request, service: Service, principal: Principal, error: str | None = None,
          status: int = 200) -> HTMLResponse:
    return render(request, "console_breaches.html.j2", status, principal=principal, error=error,
                  breaches=[public(service, b) for b in register.all_breaches(service)],
                  can_write=principal.can(WRITE), csrf_token=form_token(service, principal))


@router.get("", response_class=HTMLResponse)
def breaches_page(request: Request, service: ServiceDep) -> Response:
    principal = page_reader(request, service, "breaches:read", "your role cannot see the breach register")
    return principal if isinstance(principal, Response) else _page(request, service, principal)


@router.post("", response_class=HTMLResponse)
def record(request: Request, service: ServiceDep, summary: Text = "", aware_at: Text = "", targets: Text = "",
           encrypted: Text = "", csrf_token: Text = "") -> Response:
    principal = form_writer(request, service, csrf_token, WRITE, "your role cannot record breaches")
    if principal is None:
        return to_login()
    try:
        aware = datetime.fromisoformat(aware_at)
        aware = aware if aware.tzinfo else aware.replace(tzinfo=UTC)
        register.record(service, summary=summary, aware_at=aware, detected_at=None, targets=targets.split(),
                        encrypted=encrypted == "yes", actor=principal.name)
    except ValueError:
        return _page(request, service, principal, "give the moment of awareness as a date and time", 422)
    except ServiceError as exc:
        return _page(request, service, principal, exc.message, exc.status)
    return RedirectResponse("/admin/breaches", status_code=303)


@router.post("/{breach_id}/{action}", response_class=HTMLResponse)
def act(request: Request, breach_id: str, action: str, service: ServiceDep, late_reason: Text = "",
        csrf_token: Text = "") -> Response:
    principal = form_writer(request, service, csrf_token, WRITE, "your role cannot change the register")
    if principal is None:
        return to_login()
    try:
        if action == "count":
            register.count(service, breach_id, actor=principal.name)
        elif action == "notify-people":
            notices.start(service, breach_id, actor=principal.name)
        elif action == "authority":
            register.notify_authority(service, breach_id, actor=principal.name, late_reason=late_reason or None)
        else:
            return _page(request, service, principal, f"unknown action {action!r}", 404)
    except ServiceError as exc:
        return _page(request, service, principal, exc.message, exc.status)
    return RedirectResponse(f"/admin/breaches#{breach_id}", status_code=303)
