"""Security headers on every answer, and rate limits on the public endpoints."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
_ALWAYS = tuple((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in HEADERS.items())
_NO_STORE = (*_ALWAYS, (b"cache-control", b"no-store"))
PUBLIC_PREFIXES = ("/v1/requests", "/v1/packages", "/privacy-center", "/v1/auth", "/admin/login")
#: one limit on every request body, JSON, form or signed text (a data-rights request, a
#: consent event or a webhook registration is a few kilobytes)
MAX_BODY = 1024 * 1024


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


class SecurityMiddleware:
    """Adds the security headers; answers 429 when a client calls public endpoints too often.

    A plain ASGI middleware: it edits the response's first message on its way out, so a
    request costs no extra task or buffering (Starlette's ``BaseHTTPMiddleware`` does both).
    """

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        no_store = path.startswith("/v1/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _value in headers}
                headers.extend(header for header in (_NO_STORE if no_store else _ALWAYS) if header[0] not in present)
                message["headers"] = headers
            await send(message)

        declared = next((value for name, value in scope.get("headers", ()) if name == b"content-length"), None)
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
            refused = JSONResponse(
                {"error": {"code": "too_large", "message": f"the request body is larger than {MAX_BODY} bytes"}},
                status_code=413)
            await refused(scope, receive, with_headers)
            return
        if declared is None:
            receive = _bounded(receive)
        if path.startswith(PUBLIC_PREFIXES):
            client = scope.get("client")
            host = client[0] if client else "unknown"
            if not self.limiter.allow(f"{host}:{path.split('/')[2] if path.count('/') > 1 else path}"):
                refused = JSONResponse(
                    {"error": {"code": "rate_limited", "message": "too many requests; try again in a minute"}},
                    status_code=429, headers={"Retry-After": "60"})
                await refused(scope, receive, with_headers)
                return
        await self.app(scope, receive, with_headers)


def _bounded(receive: Receive) -> Receive:
    """A body sent without a length (chunked) ends as a disconnect once it passes the limit."""
    seen = 0

    async def bounded() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > MAX_BODY:
                return {"type": "http.disconnect"}
        return message

    return bounded


#: paths whose last segment is a bearer secret, and query parameters that carry one
_SECRET_PATHS = re.compile(r"(/(?:v1/packages|email/confirm|unsubscribe|email/preferences)/)[^/?#\s]+")
_SECRET_QUERY = re.compile(r"([?&](?:token|account_token|code|key|signature)=)[^&#\s]+", re.IGNORECASE)


def redact(target: str) -> str:
    """A request target with its bearer secrets replaced (package links, sign-in and mail tokens)."""
    return _SECRET_QUERY.sub(r"\1[redacted]", _SECRET_PATHS.sub(r"\1[redacted]", target))


class RedactSecrets(logging.Filter):
    """Keeps bearer secrets out of every access-log line (uvicorn passes the path as an argument)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def redact_access_log() -> None:
    """Install the filter on uvicorn's access logger (once per process)."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())


def secure_cookies(request: Request) -> bool:
    """``Secure`` on every cookie Custos sets when the request came over TLS, or when the
    service's public URL is https (behind a TLS proxy the request reaching Custos is plain http)."""
    public: str = request.app.state.service.settings.public_url
    return request.url.scheme == "https" or public.startswith("https://")
