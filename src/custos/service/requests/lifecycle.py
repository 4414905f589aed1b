"""A request's lifecycle: its states and the moves between them.

``received → identity_unverified → verified → (approved) → in_progress → completed |
denied | failed``, with ``extended`` as a flag and ``cancelled`` for OpenDSR cancels.
Every change goes through ``transition``, which refuses a move the lifecycle does not
allow and writes it to the audit log in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from custos.controlplane import Request
from custos.rules import label_of
from custos.service import audit
from custos.service.core import Service
from custos.service.errors import ConflictError, NotFoundError

TRANSITIONS: dict[str, frozenset[str]] = {
    "received": frozenset({"identity_unverified", "verified", "denied", "cancelled"}),
    "identity_unverified": frozenset({"verified", "denied", "cancelled"}),
    "verified": frozenset({"approved", "in_progress", "denied", "cancelled"}),
    "approved": frozenset({"in_progress", "denied", "cancelled"}),
    "in_progress": frozenset({"completed", "failed"}),
    "failed": frozenset({"in_progress", "denied"}),
    "denied": frozenset({"approved"}),  # an appeal that is granted reopens the request
    "completed": frozenset(),
    "cancelled": frozenset(),
}


OPEN = frozenset({"received", "identity_unverified", "verified", "approved", "in_progress", "failed"})


PENDING = frozenset({"received", "identity_unverified", "verified", "approved"})


ACCOUNT_VERIFIED = "account"  # the verified level of a request made through a signed-in account


def label(request: Request) -> str:
    return label_of(request.type)


def transition(
    session: Session, service: Service, request: Request, to: str, *, actor: str, **detail: Any
) -> None:
    """Move ``request`` to ``to`` and audit it; ``ConflictError`` if the lifecycle forbids it."""
    if to not in TRANSITIONS[request.status]:
        raise ConflictError(f"a request that is {request.status} cannot become {to}")
    moment = service.clock()
    previous, request.status = request.status, to
    if to == "verified":
        request.verified_at = moment
    if to in ("completed", "denied", "cancelled"):
        request.decided_at = moment
    if to == "completed":
        request.completed_at = moment
    if to == "cancelled":
        request.cancelled_at = moment
    audit.append(session, "request.status", actor=actor, request_id=request.id, at=moment,
                 detail={"from": previous, "to": to, **detail})
    if request.callback_urls:
        from custos.service.work import jobs

        jobs.enqueue(session, service, "callback", request.id, {"status": to})


def proceed(session: Session, service: Service, request: Request, *, actor: str) -> None:
    """After verification: wait for an operator where approval is required, else queue the work."""
    if request.needs_approval:
        return
    start(session, service, request, actor=actor)


def start(session: Session, service: Service, request: Request, *, actor: str) -> None:
    from custos.service.work import jobs

    transition(session, service, request, "in_progress", actor=actor)
    jobs.enqueue(session, service, "execute", request.id, {})


def load(session: Session, request_id: str) -> Request:
    request = session.get(Request, request_id)
    if request is None:
        raise NotFoundError("no such request")
    return request


def is_late(service: Service, request: Request, at: datetime | None = None) -> bool:
    moment = at or service.clock()
    return request.status in OPEN and request.due_at is not None and moment > request.due_at


def is_near(service: Service, request: Request, at: datetime | None = None) -> bool:
    from datetime import timedelta

    moment = at or service.clock()
    if request.status not in OPEN or request.due_at is None or moment > request.due_at:
        return False
    return request.due_at - moment <= timedelta(days=service.settings.near_due_days)
