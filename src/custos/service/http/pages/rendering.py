"""Rendering pages and protecting their forms against cross-site request forgery.

Public forms use a double-submit token: a random ``custos_csrf`` cookie (HttpOnly,
SameSite=Strict) whose value each form repeats in ``csrf_token``. Console forms carry the
token bound to the session (``auth.csrf_token``).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from custos.service.errors import PermissionDeniedError
from custos.service.http.security import secure_cookies
from custos.service.vault import random_token, same

CSRF_COOKIE = "custos_csrf"

_PAGES = Environment(
    loader=PackageLoader("custos.service", "templates/pages"),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page, with a CSRF cookie set if the browser has none yet."""
    token = request.cookies.get(CSRF_COOKIE) or random_token(24)
    html = _PAGES.get_template(template).render(csrf_token=context.pop("csrf_token", token), **context)
    response = HTMLResponse(html, status_code=status)
    if request.cookies.get(CSRF_COOKIE) != token:
        secure = secure_cookies(request)
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/")
    return response


def check_form_token(request: Request, given: str | None) -> None:
    """Refuse a public form whose token does not repeat the browser's CSRF cookie."""
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not given or not same(cookie, given):
        raise PermissionDeniedError("the form has expired; reload the page and try again")
