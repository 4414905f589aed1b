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
    """``schema`` with the error answers on every operation (those it documents already stay),
    maps whose keys must match a pattern closed to other keys, as the validation closes them,
    and the links from each operation that creates something to those that use its id."""
    _close_pattern_properties(schema)
    add_links(schema)
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


def _close_pattern_properties(node: Any) -> None:
    """``dict[Annotated[str, pattern], V]`` validates keys; its JSON Schema (``patternProperties``)
    alone would allow any other key with any value."""
    if isinstance(node, dict):
        if "patternProperties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _close_pattern_properties(value)
    elif isinstance(node, list):
        for value in node:
            _close_pattern_properties(value)


#: operations whose created id is used under another prefix (``POST /v1/requests`` → the admin's
#: ``/v1/admin/requests/{request_id}``)
_ALSO_UNDER = {"/v1/requests": ("/v1/admin/requests",)}


def add_links(schema: dict[str, Any]) -> None:
    """OpenAPI links from each ``POST`` that answers with an ``id`` to every operation on a path
    below it that takes that id, so stateful tests and generated clients can follow them."""
    paths: dict[str, dict[str, Any]] = schema.get("paths", {})
    for path, item in paths.items():
        created = item.get("post")
        if created is None:
            continue
        for status in ("201", "202", "200"):
            answer = created.get("responses", {}).get(status)
            if answer is None or not _answers_with_id(schema, answer):
                continue
            links = answer.setdefault("links", {})
            for prefix in (path, *_ALSO_UNDER.get(path, ())):
                for target, target_item in paths.items():
                    parameter = _id_parameter(prefix, target)
                    if parameter is None:
                        continue
                    for method, operation in target_item.items():
                        if method in ("get", "post", "put", "delete", "patch") and "operationId" in operation:
                            links.setdefault(operation["operationId"], {
                                "operationId": operation["operationId"],
                                "parameters": {parameter: "$response.body#/id"}})
            if not links:
                answer.pop("links")
            break


def _id_parameter(prefix: str, target: str) -> str | None:
    """``request_id`` for ``/v1/admin/requests/{request_id}/approve`` under ``/v1/admin/requests``."""
    if not target.startswith(prefix + "/{"):
        return None
    name = target[len(prefix) + 2:].split("}", 1)[0]
    return name if name.endswith("_id") else None


def _answers_with_id(schema: dict[str, Any], answer: dict[str, Any]) -> bool:
    body = (answer.get("content", {}).get("application/json", {}) or {}).get("schema", {})
    reference = body.get("$ref", "")
    if reference.startswith("#/components/schemas/"):
        body = schema.get("components", {}).get("schemas", {}).get(reference.rsplit("/", 1)[1], {})
    return "id" in (body.get("properties") or {})


def operation_body(document: dict[str, Any], path: str, method: str = "post") -> dict[str, Any] | None:
    """The JSON Schema of an operation's request body (resolved), to refine in ``custos_openapi``."""
    operation = document.get("paths", {}).get(path, {}).get(method)
    if operation is None:
        return None
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    reference = body.get("$ref", "")
    if reference.startswith("#/components/schemas/"):
        found: dict[str, Any] | None = document.get("components", {}).get("schemas", {}).get(
            reference.rsplit("/", 1)[1])
        return found
    return body or None


def install(app: FastAPI) -> None:
    """Serve the completed document at ``/openapi.json``."""
    from custos import plugins

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = complete(get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes))
            service = getattr(app.state, "service", None)
            if service is not None:
                plugins.hook().custos_openapi(document=document, service=service)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
