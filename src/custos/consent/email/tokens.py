"""Signed, expiring links for mail: confirm a subscription, manage preferences, unsubscribe.

A token is ``<payload>.<signature>``: the payload is URL-safe base64 of compact JSON
(kind, address HMAC, topics, expiry), the signature the vault's HMAC over the kind-bound
payload. No address travels in a link; a changed or expired token is refused.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from custos.service.core import Service
from custos.service.errors import GoneError, NotFoundError

KINDS = ("confirm", "preferences", "unsubscribe")
MAX_TOKEN = 2000


@dataclass(frozen=True)
class LinkToken:
    """What a mailed link stands for."""

    kind: str
    address_hmac: str
    topics: tuple[str, ...]
    expires: datetime
    issued: datetime


def issue(service: Service, kind: str, address_hmac: str, topics: list[str] | tuple[str, ...],
          lifetime: timedelta) -> str:
    """A token of ``kind`` for an address (by HMAC) and topics (empty: every topic)."""
    if kind not in KINDS:
        raise ValueError(f"unknown link kind {kind!r}")
    now = service.clock()
    body = {"k": kind, "a": address_hmac, "t": sorted(topics), "e": int((now + lifetime).timestamp()),
            "i": int(now.timestamp())}
    payload = base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).rstrip(b"=").decode()
    return f"{payload}.{service.vault.sign('consent-email:' + payload)}"


def read(service: Service, token: str, kind: str) -> LinkToken:
    """The token's contents; ``NotFoundError`` when forged or of another kind, ``GoneError`` when expired."""
    payload, _, signature = token.partition(".")
    if len(token) > MAX_TOKEN or not signature or not service.vault.verify("consent-email:" + payload, signature):
        raise NotFoundError("this link is not valid")
    try:
        body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        found = LinkToken(kind=str(body["k"]), address_hmac=str(body["a"]), topics=tuple(str(t) for t in body["t"]),
                          expires=datetime.fromtimestamp(int(body["e"]), service.clock().tzinfo),
                          issued=datetime.fromtimestamp(int(body["i"]), service.clock().tzinfo))
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise NotFoundError("this link is not valid") from None
    if found.kind != kind:
        raise NotFoundError("this link is not valid")
    if found.expires < service.clock():
        raise GoneError("this link has expired")
    return found
