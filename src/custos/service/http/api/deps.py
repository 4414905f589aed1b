"""FastAPI dependencies, named once: the service, the caller, and the scope guards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Request

from custos.service.auth import SESSION_COOKIE, Principal, csrf_token, from_api_key, from_session
from custos.service.core import Service
from custos.service.errors import AuthenticationError, PermissionDeniedError
from custos.service.vault import same

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


async def current_principal(
    request: Request,
    service: ServiceDep,
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> Principal:
    """The authenticated caller: an API key (``Authorization: Bearer`` or ``X-API-Key``) or a session."""
    key = x_api_key
    if authorization and authorization.lower().startswith("bearer "):
        key = authorization[7:].strip()
    if key:
        principal = from_api_key(service, key)
        if principal is None:
            raise AuthenticationError("the API key is not valid")
        return principal
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        principal = from_session(service, cookie)
        if principal is None:
            raise AuthenticationError("the session has expired; sign in again")
        if request.method not in SAFE_METHODS:
            token = x_csrf_token
            if token is None and request.headers.get("content-type", "").startswith(
                    ("application/x-www-form-urlencoded", "multipart/form-data")):
                form = await request.form()
                value = form.get("csrf_token")
                token = value if isinstance(value, str) else None
            if not token or not same(token, csrf_token(service, cookie)):
                raise PermissionDeniedError("the CSRF token is missing or wrong")
        return principal
    raise AuthenticationError("sign in or give an API key")


def require(scope: str) -> Callable[..., Principal]:
    """A dependency that lets through only callers holding ``scope``."""

    def guard(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.can(scope):
            raise PermissionDeniedError(f"this needs the {scope} permission")
        return principal

    guard.__name__ = f"require_{scope.replace(':', '_')}"
    return guard


ReadRequests = Annotated[Principal, Depends(require("requests:read"))]
WriteRequests = Annotated[Principal, Depends(require("requests:write"))]
ReadAudit = Annotated[Principal, Depends(require("audit:read"))]
OpenDsrCaller = Annotated[Principal, Depends(require("opendsr"))]
