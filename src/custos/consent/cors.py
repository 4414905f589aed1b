"""Cross-origin access for the banner: the site's pages call the consent API on Custos's host."""

from __future__ import annotations

from fastapi import Request, Response

from custos.consent.settings import ConsentSettings

ALLOWED_HEADERS = "Content-Type, Sec-GPC, DNT"


def allowed_origin(request: Request, settings: ConsentSettings) -> str | None:
    """The ``Access-Control-Allow-Origin`` value for this caller, or ``None`` when not allowed."""
    origin = request.headers.get("origin")
    if not origin:
        return None
    allowed = [o.strip().rstrip("/") for o in settings.allowed_origins.split(",") if o.strip()]
    if "*" in allowed or origin.rstrip("/") in allowed:
        return origin
    return None


def add_cors(request: Request, response: Response, settings: ConsentSettings) -> None:
    """Let an allowed page read the answer (the choice itself carries no cookie)."""
    origin = allowed_origin(request, settings)
    if origin is None:
        return
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Vary"] = "Origin"


def preflight(request: Request, settings: ConsentSettings, methods: str) -> Response:
    """The answer to an ``OPTIONS`` preflight for a consent endpoint."""
    response = Response(status_code=204)
    add_cors(request, response, settings)
    if "Access-Control-Allow-Origin" in response.headers:
        response.headers["Access-Control-Allow-Methods"] = methods
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = "600"
    return response
