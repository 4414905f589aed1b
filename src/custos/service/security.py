"""Security headers on every answer, and rate limits on the public endpoints."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'"
    ),
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
PUBLIC_PREFIXES = ("/v1/requests", "/v1/packages", "/privacy-center", "/v1/auth", "/admin/login")


class RateLimiter:
    """A sliding one-minute window of calls per key."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        moment = time.monotonic()
        with self._lock:
            calls = self._calls.setdefault(key, deque())
            while calls and moment - calls[0] > 60:
                calls.popleft()
            if len(calls) >= self.per_minute:
                return False
            calls.append(moment)
            if len(self._calls) > 100_000:  # forget idle clients rather than grow without bound
                self._calls = {k: v for k, v in self._calls.items() if v and moment - v[-1] <= 60}
            return True


class SecurityMiddleware(BaseHTTPMiddleware):
    """Adds the security headers; answers 429 when a client calls public endpoints too often."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        super().__init__(app)
        self.limiter = limiter

    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path = request.url.path
        if path.startswith(PUBLIC_PREFIXES):
            client = request.client.host if request.client else "unknown"
            if not self.limiter.allow(f"{client}:{path.split('/')[2] if path.count('/') > 1 else path}"):
                response: Response = JSONResponse(
                    {"error": {"code": "rate_limited", "message": "too many requests; try again in a minute"}},
                    status_code=429, headers={"Retry-After": "60"})
            else:
                response = await call_next(request)
        else:
            response = await call_next(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if path.startswith("/v1/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
