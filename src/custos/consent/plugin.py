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


@hookimpl
def custos_openapi(document: dict[str, Any], service: Service) -> None:
    """Email topics are the map's and webhook events the service's: the document lists them."""
    from custos.consent.purposes import email_topics
    from custos.consent.webhooks import EVENT_TYPES
    from custos.service.http.openapi import operation_body

    webhook = operation_body(document, "/v1/admin/consent/webhooks")
    if webhook is not None:
        webhook["properties"]["events"]["items"]["enum"] = list(EVENT_TYPES)
    topics = sorted(t.key for t in email_topics(service.datamap))
    for path, field in (("/v1/email/subscriptions", "topics"), ("/v1/email/suppressions", "topics"),
                        ("/v1/email/suppressions/check", "topic")):
        body = operation_body(document, path)
        if body is None or field not in body.get("properties", {}):
            continue
        node = body["properties"][field]
        for option in node.get("anyOf", [node]):
            if option.get("type") == "array":
                option["items"]["enum"] = topics
            elif option.get("type") == "string":
                option["enum"] = topics
