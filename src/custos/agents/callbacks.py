"""Status callbacks (DRP 0.9.4 §2.03): every change of a request's DRP status is POSTed to the
agent's ``status_callback``, retried with a growing delay, each attempt logged.

Where callbacks may go is each agent's ``callback_hosts`` (SSRF protection): a URL outside
the list is refused at intake, and a loopback, private or otherwise non-public address
needs to be listed by name. The check is made again at each delivery, on the addresses
the host resolves to then.

``sweep`` compares each open DRP request's status with the last one queued and queues a
delivery when it changed (a newer delivery supersedes a pending older one: the agent
wants the latest status); ``deliver`` posts the due deliveries. ``run_pending`` does both,
and the agents plug-in runs it as a task beside the jobs (``custos.agents.plugin``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import httpx
import sqlalchemy as sa

from custos.agents.models import Agent, AgentRequest, CallbackDelivery
from custos.agents.status import FINAL, status_of
from custos.service import audit
from custos.service.core import Service
from custos.service.outbound import literal_address, resolution_refusal, url_refusal
from custos.service.work.leases import claim_due

log = logging.getLogger("custos.agents.callbacks")

FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=6)
MAX_ATTEMPTS = 10
TIMEOUT_SECONDS = 10.0


_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_HOST = re.compile(rf"^(\*\.)?{_LABEL}(\.{_LABEL})*$")


def valid_host_pattern(pattern: str) -> bool:
    """Whether ``pattern`` is a host name, ``*.`` and a domain, or an IP address."""
    if literal_address(pattern) is not None:
        return True
    return len(pattern) <= 253 and bool(_HOST.match(pattern))


def callback_refusal(hosts: Sequence[str], url: str) -> str | None:
    """Why ``url`` may not receive an agent's callbacks given its ``hosts``, or ``None``."""
    return url_refusal(url, hosts, what="status_callback")


def _resolution_refusal(hosts: Sequence[str], url: str) -> str | None:
    """``callback_refusal``, and then the addresses the host resolves to now."""
    return resolution_refusal(url, hosts, what="status_callback")


def backoff(attempts: int) -> timedelta:
    """The wait after ``attempts`` failed attempts: 30 s, 1 min, 2 min… at most 6 hours."""
    delay: timedelta = FIRST_DELAY * (2 ** max(attempts - 1, 0))
    return min(delay, MAX_DELAY)


def _key(body: dict[str, Any]) -> str:
    return f"{body.get('status')}/{body.get('reason', '')}"


def mark_notified(service: Service, record_id: str, body: dict[str, Any]) -> None:
    """Note that the agent already has ``body`` (it was the answer to its own call)."""
    with service.plane.write() as session:
        record = session.get(AgentRequest, record_id)
        if record is not None:
            record.notified = _key(body)


def sweep(service: Service) -> int:
    """Queue a delivery for each request whose DRP status changed; returns how many were queued."""
    with service.plane.read() as session:
        records = list(session.scalars(sa.select(AgentRequest).where(
            AgentRequest.status_callback.is_not(None),
            sa.or_(AgentRequest.notified.is_(None),
                   sa.not_(sa.or_(*(AgentRequest.notified.startswith(f"{s}/") for s in FINAL)))))))
    queued = 0
    for record in records:
        body = status_of(service, record)
        key = _key(body)
        if key == record.notified:
            continue
        moment = service.clock()
        with service.plane.write() as session:
            stored = session.get(AgentRequest, record.id)
            if stored is None or stored.notified == key:
                continue
            session.execute(sa.update(CallbackDelivery).where(
                CallbackDelivery.agent_request_id == record.id, CallbackDelivery.state == "pending",
            ).values(state="superseded"))
            session.add(CallbackDelivery(
                agent_request_id=record.id, agent_id=record.agent_id, url=record.status_callback or "",
                body=body, state="pending", attempts=0, next_attempt_at=moment, created_at=moment))
            stored.notified = key
            queued += 1
    return queued


def deliver(service: Service, client: httpx.Client | None = None) -> int:
    """POST every due delivery once; returns how many were attempted."""
    claimed = claim_due(service, CallbackDelivery, pending=CallbackDelivery.state == "pending",
                        due=CallbackDelivery.next_attempt_at, limit=100,
                        lease=timedelta(seconds=TIMEOUT_SECONDS * 2 + 30))
    if not claimed:
        return 0
    with service.plane.read() as session:
        due = list(session.scalars(sa.select(CallbackDelivery).where(CallbackDelivery.id.in_(claimed))
                                   .order_by(CallbackDelivery.id)))
    owned = client is None
    http = client or httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)
    try:
        for delivery in due:
            _attempt(service, http, delivery)
    finally:
        if owned:
            http.close()
    return len(due)


def _attempt(service: Service, http: httpx.Client, delivery: CallbackDelivery) -> None:
    code: int | None = None
    with service.plane.read() as session:
        agent = session.get(Agent, delivery.agent_id)
        hosts = list(agent.callback_hosts or []) if agent is not None else []
    error = _resolution_refusal(hosts, delivery.url)
    if error is None:
        try:
            answer = http.post(delivery.url, json=delivery.body)
            code = answer.status_code
            if not 200 <= code < 300:
                error = f"HTTP {code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
    moment = service.clock()
    with service.plane.write() as session:
        stored = session.get(CallbackDelivery, delivery.id)
        if stored is None or stored.state != "pending":
            return
        stored.attempts += 1
        stored.last_status_code, stored.last_error = code, error
        if error is None:
            stored.state, stored.delivered_at = "delivered", moment
        elif stored.attempts >= MAX_ATTEMPTS:
            stored.state = "failed"
        else:
            stored.next_attempt_at = moment + backoff(stored.attempts)
        audit.append(session, "agent.callback", actor="system", at=moment,
                     request_id=_custos_id(session, stored.agent_request_id),
                     detail={"agent": stored.agent_id, "delivery": stored.id, "attempt": stored.attempts,
                             "status": stored.body.get("status"), "reason": stored.body.get("reason"),
                             "http_status": code, "outcome": stored.state, "error": error})


def _custos_id(session: Any, record_id: str) -> str | None:
    record = session.get(AgentRequest, record_id)
    return record.request_id if record is not None else None


def run_pending(service: Service, client: httpx.Client | None = None) -> int:
    """Queue what changed and deliver what is due; returns the deliveries attempted."""
    sweep(service)
    return deliver(service, client)


def log_of(service: Service, agent_id: str, limit: int = 200) -> list[CallbackDelivery]:
    """The newest deliveries to ``agent_id``."""
    with service.plane.read() as session:
        return list(session.scalars(sa.select(CallbackDelivery).where(CallbackDelivery.agent_id == agent_id)
                                    .order_by(CallbackDelivery.id.desc()).limit(limit)))
