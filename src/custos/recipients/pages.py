"""The console page of notices to recipients: what needs attention, and who was told."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from custos.recipients import notices
from custos.recipients.admin import item
from custos.recipients.models import RecipientNotice
from custos.service.http.api.deps import ServiceDep
from custos.service.http.pages.console import signed_in, to_login
from custos.service.http.pages.rendering import render

router = APIRouter(prefix="/admin/recipients", include_in_schema=False)
LATEST = 100


@router.get("", response_class=HTMLResponse)
def recipients_page(request: Request, service: ServiceDep) -> Response:
    """Overdue and failed notices first, then the latest notices."""
    principal = signed_in(request, service)
    if principal is None:
        return to_login()
    names = service.datamap.recipients
    hours = service.settings.recipient_notice_hours
    with service.plane.read() as session:
        latest = list(session.scalars(sa.select(RecipientNotice).order_by(RecipientNotice.id.desc()).limit(LATEST)))
    return render(request, "console_recipients.html.j2", 200, principal=principal, hours=hours,
                  overdue=[item(names, n) for n in notices.overdue(service, hours)],
                  latest=[item(names, n) for n in latest])
