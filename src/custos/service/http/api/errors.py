"""Every error as ``{"error": {"code", "message"}}`` with its 4xx status; no 5xx for bad input."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match, Route

from custos.errors import CustosError

log = logging.getLogger("custos.service")
STATUS_CODES = {404: "not_found", 405: "method_not_allowed", 401: "unauthenticated", 403: "forbidden"}


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Turn validation errors, service errors and HTTP errors into the JSON error shape."""

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for item in exc.errors()[:5]:
            where = ".".join(str(p) for p in item.get("loc", ()) if p != "body")
            problems.append(f"{where}: {item.get('msg', 'invalid')}" if where else str(item.get("msg")))
        return error(422, "invalid_request", "; ".join(problems) or "the request is not valid")

    @app.exception_handler(CustosError)
    async def custos_error(_: Request, exc: CustosError) -> JSONResponse:
        # the error's class says how it is answered (custos.errors); no list of classes here
        if exc.public:
            return error(exc.status, exc.code, exc.message)
        log.error("%s (%s): %s", type(exc).__name__, exc.code, exc)
        return error(exc.status, exc.public_code, exc.public_message)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code = STATUS_CODES.get(exc.status_code, "http_error")
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        return error(exc.status_code, code, str(exc.detail), headers or None)


def allowed_methods(request: Request) -> str:
    """Every method the path takes, across all the routes of its path template.

    Starlette names only the methods of the first route that matched the path; a path served
    by two routes (a GET and a POST handler) then advertised one. The route whose template
    is the path itself, without parameters, wins over one that only matched a parameter.
    """
    partial = [route for route in request.app.router.routes
               if isinstance(route, Route) and route.matches(request.scope)[0] is not Match.NONE]
    if not partial:
        return ""
    literal = [route for route in partial if route.path_format == request.url.path]
    template = (literal or partial)[0].path_format
    methods = {method for route in partial if route.path_format == template for method in (route.methods or ())}
    return ", ".join(sorted(methods))
