"""The console page of the scans: the last report, the one running, and a button to scan now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from custos.discovery import service as scans
from custos.discovery.report import findings_html
from custos.service.auth import Principal
from custos.service.core import Service
from custos.service.errors import ServiceError
from custos.service.http.api.deps import ServiceDep
from custos.service.http.pages.console import form_token, form_writer, page_reader, to_login
from custos.service.http.pages.rendering import render

router = APIRouter(prefix="/admin/scans", include_in_schema=False)
Text = Annotated[str, Form(max_length=2000)]
WRITE = "scans:write"


def _page(request: Request, service: Service, principal: Principal, error: str | None = None,
          status: int = 200) -> HTMLResponse:
    recent = scans.recent(service, 10)
    running = next((s for s in recent if s.status in ("queued", "running")), None)
    last = scans.latest(service)
    shown = scans.report_of(last) if last is not None else None
    return render(request, "console_scans.html.j2", status, principal=principal, error=error, recent=recent,
                  running=running, last=last, findings=findings_html(*shown) if shown else None,
                  can_write=principal.can(WRITE), csrf_token=form_token(service, principal))


@router.get("", response_class=HTMLResponse)
def scans_page(request: Request, service: ServiceDep) -> Response:
    principal = page_reader(request, service, "scans:read", "your role cannot see the scans")
    return principal if isinstance(principal, Response) else _page(request, service, principal)


@router.post("", response_class=HTMLResponse)
def start(request: Request, service: ServiceDep, all_tables: Text = "", csrf_token: Text = "") -> Response:
    principal = form_writer(request, service, csrf_token, WRITE, "your role cannot start a scan")
    if principal is None:
        return to_login()
    try:
        scans.request(service, actor=principal.name, all_tables=all_tables == "yes")
    except ServiceError as exc:
        return _page(request, service, principal, exc.message, exc.status)
    return RedirectResponse("/admin/scans", status_code=303)
