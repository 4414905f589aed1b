"""Console sign-in: a signed session cookie and the CSRF token that goes with it."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from custos.service.auth import SESSION_COOKIE, SESSION_LIFETIME, csrf_token, login
from custos.service.http.api.deps import ServiceDep
from custos.service.http.api.public import ERRORS
from custos.service.http.api.schemas import Login, LoginResult
from custos.service.http.security import secure_cookies

router = APIRouter(prefix="/v1/auth", tags=["session"])


@router.post("/login", response_model=LoginResult, responses={**ERRORS, 401: ERRORS[404]})
def sign_in(body: Login, request: Request, response: Response, service: ServiceDep) -> LoginResult:
    """Sign in to the console; state-changing calls then send ``X-CSRF-Token``."""
    cookie, principal = login(service, body.email, body.password)
    response.set_cookie(SESSION_COOKIE, cookie, max_age=int(SESSION_LIFETIME.total_seconds()), httponly=True,
                        secure=secure_cookies(request), samesite="strict", path="/")
    return LoginResult(name=principal.name, role=principal.role, csrf_token=csrf_token(service, cookie))
