"""Consent as a plug-in: its routes on the app, and the choices rights requests make."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from custos.hooks import hookimpl

if TYPE_CHECKING:
    from fastapi import FastAPI

    from custos.controlplane import Request
    from custos.engine import Subject
    from custos.service.core import Service


@hookimpl
def custos_install(app: FastAPI, service: Service) -> None:
    from custos.consent import install

    install(app)


@hookimpl
def custos_job_handlers() -> dict[str, Any]:
    from custos.consent.email.contacts import SUBSCRIBE_JOB, run_subscription

    return {SUBSCRIBE_JOB: run_subscription}


@hookimpl
def custos_request_completed(service: Service, request: Request, kind: str, subject: Subject) -> dict[str, Any] | None:
    """An opt-out, opt-in, withdrawal, objection, restriction or limit is also recorded in the
    consent store, so the banner, a webhook and the proof export see the same choice."""
    from custos.consent.requests import CHOICES, record_choice
    from custos.rules import RequestType

    if kind not in CHOICES:
        return None
    return record_choice(service, request, RequestType(kind), subject)
