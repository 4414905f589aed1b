"""The OpenAPI document says what the service does: every error status an operation can
answer with, in the one error shape.

Any operation can meet the service's own guards before its handler runs: a body over the
size limit (413), a rate limit (429), a missing or insufficient credential where the route
takes one (401, 403), an unknown path parameter value (404), a state that forbids the action
(409), an expired link (410), input the validation refuses (422), an unconfigured service
(503). FastAPI documents only the 200 and the 422 it knows of; the document is completed here,
once, when it is first asked for, so a client generated from it handles every answer.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERRORS = {
    "400": "the request cannot be read as sent",
    "401": "no credentials, or credentials that are not valid",
    "403": "credentials whose role or scopes do not allow this",
    "404": "nothing is there, or the caller may not know whether something is",
    "409": "the action does not fit the current state",
    "410": "a link that has expired or been used up",
    "413": "the request body is larger than the service takes",
    "422": "input the validation refuses, with what was wrong and where",
    "429": "too many calls from one client in a short time",
    "503": "the service is not configured correctly",
}
ERROR_SCHEMA = {
    "title": "ErrorBody", "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}}}},
}


def complete(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with the error answers on every operation (those it documents already stay)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("ErrorBody", ERROR_SCHEMA)
    reference = {"$ref": "#/components/schemas/ErrorBody"}
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if method not in ("get", "put", "post", "delete", "patch", "head", "options"):
                continue
            responses = operation.setdefault("responses", {})
            for status, description in ERRORS.items():
                responses.setdefault(status, {"description": description,
                                              "content": {"application/json": {"schema": reference}}})
    return schema


def install(app: FastAPI) -> None:
    """Serve the completed document at ``/openapi.json``."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
