"""How an address appears among consent subjects: by its keyed HMAC, never in clear."""

from __future__ import annotations

PREFIX = "email:"


def email_subject(address_hmac: str) -> str:
    """The consent subject of an address's mail topics."""
    return PREFIX + address_hmac
