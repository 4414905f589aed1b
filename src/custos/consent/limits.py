"""Rate limits on the consent and email endpoints that anyone may call.

Calls are counted per client address and endpoint group (``consent``, ``email``) over a
sliding minute, ``CUSTOS_CONSENT_RATE_LIMIT_PER_MINUTE`` each; beyond it the answer is 429
``rate_limited``. Endpoints that need an API key (sign-in links, the suppression check,
unsubscribe headers) are not counted: a site's back end calls them for every visitor or
mail from one address.
"""

from __future__ import annotations

from fastapi import Request

from custos.consent.context import Consent
from custos.service.errors import RateLimitedError
from custos.service.http.security import RateLimiter


def limiter(consent: Consent) -> RateLimiter:
    found = consent.limiter
    if found is None:
        found = consent.limiter = RateLimiter(consent.settings.rate_limit_per_minute)
    return found


def check(request: Request, group: str) -> None:
    """Count this call; refuse it when its client went over the limit."""
    consent: Consent = request.app.state.consent
    client = request.client.host if request.client else "unknown"
    if not limiter(consent).allow(f"{client}:{group}"):
        raise RateLimitedError("too many requests; try again in a minute")


async def consent_limit(request: Request) -> None:
    check(request, "consent")


async def email_limit(request: Request) -> None:
    check(request, "email")
