"""Where Custos may send a request of its own: agent callbacks, OpenDSR status callbacks,
consent webhooks, notices to recipients.

A URL is refused when its host is a loopback, private, link-local or otherwise non-public
address, or a local name, unless the host is listed: per agent (``callback_hosts``) or for the
whole service (``CUSTOS_OUTBOUND_HOSTS``, for a company's own receivers inside its network).
The same check runs at intake, on the name as written, and again at delivery, on the addresses
the name resolves to then, so a name that later points inside the network is refused too.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit

_LOCAL_NAMES = ("localhost", "localhost.localdomain")


def service_hosts() -> list[str]:
    """``CUSTOS_OUTBOUND_HOSTS``: hosts (``name``, ``*.suffix`` or an address) every outgoing call may reach."""
    return [h.strip().lower() for h in os.environ.get("CUSTOS_OUTBOUND_HOSTS", "").split(",") if h.strip()]


def literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _listed(host: str, patterns: Sequence[str]) -> bool:
    return any(host == p or (p.startswith("*.") and host.endswith(p[1:])) for p in patterns)


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    address = mapped or address
    return address.is_global and not address.is_multicast


def url_refusal(url: str, hosts: Sequence[str] = (), *, what: str = "the URL") -> str | None:
    """Why ``url`` may not be called, judged on the name as written, or ``None``.

    ``hosts`` non-empty (an agent's own list) means only those hosts; the service's list is
    always allowed as well."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        return f"{what} is not an http(s) URL"
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        return f"{what} names no host"
    if _listed(host, hosts) or _listed(host, service_hosts()):
        return None
    if hosts:
        return f"{what} host {host[:100]} is not one of the callback hosts listed for this agent"
    literal = literal_address(host)
    if (literal is not None and not _public(literal)) or host in _LOCAL_NAMES or host.endswith(".localhost"):
        return f"{what} names a loopback or private address; list the host to allow it"
    return None


def resolution_refusal(url: str, hosts: Sequence[str] = (), *, what: str = "the URL") -> str | None:
    """``url_refusal``, and then the addresses the host resolves to now (at delivery)."""
    refusal = url_refusal(url, hosts, what=what)
    if refusal is not None:
        return refusal
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    if _listed(host, hosts) or _listed(host, service_hosts()) or literal_address(host) is not None:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError):
        return None  # the delivery itself fails and is retried
    for *_, sockaddr in found:
        address = literal_address(str(sockaddr[0]).split("%")[0])
        if address is not None and not _public(address):
            return f"refused: {host[:100]} resolves to a non-public address"
    return None


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """A signature header's value for ``body`` sent at ``timestamp``: ``t=TIMESTAMP,v1=HEX``, HEX the
    HMAC-SHA-256 with ``secret`` over ``TIMESTAMP.`` and the exact body (consent webhooks and
    notices to recipients sign the same way)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(secret: str, body: bytes, header: str, *, now: float, tolerance: float = 300) -> bool:
    """What a receiver does: recompute the signature and refuse one older than ``tolerance`` seconds."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, body, timestamp), header)
