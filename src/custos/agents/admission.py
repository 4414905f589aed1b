"""Admitting a signed message, in the order DRP 0.9.4 §3.07 sets: base64, signature with the
agent's key, ``agent-id``, ``business-id``, ``issued-at``, ``expires-at``; then replay.

Every failure is a ``Refused`` (answered 403 with no body); a good signature over
something that is not a JSON object is a ``MalformedMessageError`` (400). Nothing is
written for a refused message. Accepted messages are remembered until they expire, so
the same bytes are never acted on twice.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from custos.agents.models import Agent, SeenMessage
from custos.agents.signing import SignatureError, digest, open_message, verify_key
from custos.errors import ProtocolError
from custos.service.core import Service

# The spec recommends windows of at most 10 minutes; the reference agent uses 15.
MAX_WINDOW = timedelta(minutes=15)
# A sender's clock may run slightly ahead of ours.
CLOCK_SKEW = timedelta(seconds=30)


class Refused(ProtocolError):
    """The message fails validation: answered 403 with no body (§2.05.1)."""

    code = "drp_message_refused"
    status = 403
    public = False


@dataclass
class Admitted:
    """A verified message from ``agent``."""

    agent: Agent
    claims: dict[str, Any]
    digest: str
    expires_at: datetime | None


def parse_instant(value: Any) -> datetime:
    """An ISO 8601 timestamp with an offset; ``Refused`` otherwise."""
    if not isinstance(value, str) or len(value) > 64:
        raise Refused("timestamps are ISO 8601 strings")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise Refused(f"not an ISO 8601 timestamp: {value[:40]!r}") from None
    if moment.tzinfo is None:
        raise Refused("timestamps carry their offset from UTC")
    return moment


def admit(
    service: Service, agent: Agent, body: bytes, business_id: str, *, envelope: bool = True,
) -> Admitted:
    """Check ``body`` came from ``agent`` for this business now; ``envelope=False`` for a revoke,
    whose message the spec reduces to ``reason`` (its envelope claims are checked when present).
    """
    try:
        key = verify_key(agent.verify_key)
    except ValueError:
        raise Refused("the agent's verify key is not usable") from None
    try:
        claims, signed = open_message(body, key)
    except SignatureError as exc:
        raise Refused(str(exc)) from None
    now = service.clock()
    if envelope or "agent-id" in claims:
        if claims.get("agent-id") != agent.id:
            raise Refused("agent-id does not name the agent holding the token")
    if envelope or "business-id" in claims:
        if claims.get("business-id") != business_id:
            raise Refused("business-id does not name this business")
    expires: datetime | None = None
    if envelope or "issued-at" in claims or "expires-at" in claims:
        issued, expires = parse_instant(claims.get("issued-at")), parse_instant(claims.get("expires-at"))
        if issued > now + CLOCK_SKEW:
            raise Refused("issued-at is in the future")
        if now >= expires:
            raise Refused("the message has expired")
        if expires - issued > MAX_WINDOW or expires <= issued:
            raise Refused("the validity window is longer than allowed")
    return Admitted(agent, claims, digest(signed), expires)


def remember(service: Service, admitted: Admitted) -> None:
    """Record an admitted message; ``Refused`` when it was seen before (a replay)."""
    now = service.clock()
    keep_until = admitted.expires_at or now + timedelta(days=60)
    try:
        with service.plane.write() as session:
            session.execute(sa.delete(SeenMessage).where(SeenMessage.expires_at < now - CLOCK_SKEW))
            if session.get(SeenMessage, admitted.digest) is not None:
                raise Refused("this message was already received")
            session.add(SeenMessage(digest=admitted.digest, agent_id=admitted.agent.id, received_at=now,
                                    expires_at=keep_until))
    except IntegrityError:
        raise Refused("this message was already received") from None


class AgentRateLimiter:
    """At most an agent's ``rate_limit_per_minute`` calls in any sliding minute."""

    def __init__(self) -> None:
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, agent: Agent, at: float) -> bool:
        with self._lock:
            calls = self._calls.setdefault(agent.id, deque())
            while calls and calls[0] <= at - 60:
                calls.popleft()
            if len(calls) >= agent.rate_limit_per_minute:
                return False
            calls.append(at)
            return True
