"""RFC 8058 one-click unsubscribe headers for every marketing mail a company sends.

A sender adds both headers and signs them with DKIM (RFC 8058 §4: the signature must
cover ``List-Unsubscribe`` and ``List-Unsubscribe-Post``). The link works without cookie,
login or confirmation page, for ``CUSTOS_CONSENT_UNSUBSCRIBE_DAYS`` (at least 30 days).
"""

from __future__ import annotations

from datetime import timedelta

from custos.consent.context import Consent
from custos.consent.email import tokens
from custos.consent.records import identity_hmac


def unsubscribe_url(consent: Consent, address: str, topic: str | None = None) -> str:
    """The one-click link for ``address`` (for ``topic``, or every topic)."""
    digest = identity_hmac(consent, "email", address)
    token = tokens.issue(consent.service, "unsubscribe", digest, [topic] if topic else [],
                         timedelta(days=consent.settings.unsubscribe_days))
    return consent.service.link(f"/unsubscribe/{token}")


def preferences_url(consent: Consent, address: str) -> str:
    """The preference-center link for ``address``."""
    digest = identity_hmac(consent, "email", address)
    token = tokens.issue(consent.service, "preferences", digest, [],
                         timedelta(days=consent.settings.unsubscribe_days))
    return consent.service.link(f"/email/preferences/{token}")


def unsubscribe_headers(consent: Consent, address: str, topic: str | None = None) -> dict[str, str]:
    """``List-Unsubscribe`` and ``List-Unsubscribe-Post`` for one mail to ``address``."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(consent, address, topic)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
