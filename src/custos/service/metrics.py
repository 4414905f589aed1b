"""CCPA §7102 request metrics from the control plane's own request records."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from custos.notice.metrics import Metrics, Outcome, RequestRecord, compute_metrics, metric_type
from custos.service.context import Service
from custos.store import Request


def outcome_of(request: Request) -> Outcome | None:
    """Complied in whole, in part (answered as categories only), denied, or still open."""
    if request.status == "completed":
        return "complied_part" if request.answered_as else "complied_full"
    if request.status == "denied":
        return "denied"
    if request.status == "cancelled":
        return None
    return "open"


def request_metrics(service: Service, start: date, end: date) -> Metrics:
    """The §7102 figures for requests received from ``start`` to ``end`` (inclusive)."""
    records = []
    with service.plane.read() as session:
        for request in session.scalars(sa.select(Request)):
            kind, outcome = metric_type(request.type), outcome_of(request)
            if kind is None or outcome is None:
                continue
            closed = request.completed_at or request.decided_at if outcome != "open" else None
            records.append(RequestRecord(kind, request.received_at, closed, outcome))
    return compute_metrics(records, start, end)
