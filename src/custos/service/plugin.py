"""The service's own job handlers and request handlers, registered through the same hooks
a plug-in uses to add its own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from custos.hooks import hookimpl

if TYPE_CHECKING:
    from custos.service.requests.handlers import RequestHandler


@hookimpl
def custos_job_handlers() -> dict[str, Any]:
    from custos.service.opendsr import send_callback
    from custos.service.requests.execution import execute

    return {"execute": execute, "callback": send_callback}


@hookimpl
def custos_request_handlers() -> dict[str, RequestHandler]:
    from custos.service.requests import handlers

    choices = ("opt_out_sale_sharing", "opt_in_sale_sharing", "limit_sensitive", "withdraw_consent")
    return {"access": handlers.access, "portability": handlers.access, "categories": handlers.categories,
            "erasure": handlers.erasure, "correction": handlers.correction, "restriction": handlers.restriction,
            "objection": handlers.objection, **dict.fromkeys(choices, handlers.choice)}


@hookimpl
def custos_request_flags(service: Any, request_ids: list[str]) -> dict[str, list[str]]:
    """An objection to processing on legitimate interests waits for an operator's decision."""
    from custos.service.requests.decisions import objections_to_weigh

    return objections_to_weigh(service, request_ids)


@hookimpl
def custos_openapi(document: dict[str, Any], service: Any) -> None:
    """A request names its person by one identity at least; the account token header is
    offered only where the service takes account tokens."""
    from custos.service.http.openapi import operation_body

    body = operation_body(document, "/v1/requests")
    if body is not None:
        body["anyOf"] = [
            {"required": ["email"], "properties": {"email": {"type": "string", "minLength": 1}}},
            {"required": ["phone"], "properties": {"phone": {"type": "string", "minLength": 1}}},
            {"required": ["identities"], "properties": {"identities": {"type": "object", "minProperties": 1}}},
        ]
    if not service.settings.account_token_key:
        operation = document.get("paths", {}).get("/v1/requests", {}).get("post", {})
        operation["parameters"] = [p for p in operation.get("parameters", []) if p.get("name") != "x-account-token"]
