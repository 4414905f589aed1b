"""Telling recipients as a plug-in: notices when a request completes, their delivery job, the
acknowledgement endpoint and the admin views."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from custos.hooks import hookimpl

if TYPE_CHECKING:
    from fastapi import FastAPI

    from custos.controlplane import Request
    from custos.engine import Subject
    from custos.service.core import Service
    from custos.service.requests.handlers import Outcome


@hookimpl
def custos_install(app: FastAPI, service: Service) -> None:
    from custos.errors import ConfigError
    from custos.recipients.admin import router as admin_router
    from custos.recipients.notices import check_webhooks
    from custos.recipients.pages import router as pages_router
    from custos.recipients.public import router as public_router

    refused = check_webhooks(service)
    if refused:  # an address the outgoing-call rules refuse would fail every notice: say so at start
        raise ConfigError("; ".join(refused) + " (CUSTOS_OUTBOUND_HOSTS)", where="recipients")

    app.include_router(public_router)
    app.include_router(admin_router)
    app.include_router(pages_router)


@hookimpl
def custos_job_handlers() -> dict[str, Any]:
    from custos.recipients.notices import JOB, deliver

    return {JOB: deliver}


@hookimpl
def custos_request_flags(service: Service, request_ids: list[str]) -> dict[str, list[str]]:
    """A completed request is not done while a notice to a recipient is undelivered past
    ``CUSTOS_RECIPIENT_NOTICE_HOURS`` or failed."""
    from custos.recipients.notices import overdue_of

    return overdue_of(service, request_ids, service.settings.recipient_notice_hours)


@hookimpl
def custos_request_completed(service: Service, request: Request, kind: str, subject: Subject,
                             outcome: Outcome) -> dict[str, Any] | None:
    """Queue a notice to each recipient that received a category the request touched."""
    from custos.recipients.notices import create

    made = create(service, request, kind, subject, outcome)
    return {"recipients_told": sorted(n.recipient for n in made)} if made else None
