"""CCPA §7102 request metrics from the control plane's own request records."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from custos.controlplane import ControlPlane, Request
from custos.notice.metrics import Metrics, Outcome, RequestRecord, compute_metrics, metric_type
from custos.service.core import Service


def outcome_of(request: Request) -> Outcome | None:
    """Complied in whole, in part (answered as categories only), denied, or still open."""
    if request.status == "completed":
        return "complied_part" if request.answered_as else "complied_full"
    if request.status == "denied":
        return "denied"
    if request.status == "cancelled":
        return None
    return "open"


#: §7102 counts requests under the CCPA only: a GDPR or another state's request is not one
METRICS_RULE_SET = "ccpa"


def request_records(plane: ControlPlane) -> list[RequestRecord]:
    """Every CCPA request of the control plane as a metrics record (cancelled ones left out)."""
    records = []
    with plane.read() as session:
        for request in session.scalars(sa.select(Request).where(Request.jurisdiction == METRICS_RULE_SET)):
            kind, outcome = metric_type(request.type), outcome_of(request)
            if kind is None or outcome is None:
                continue
            closed = request.completed_at or request.decided_at if outcome != "open" else None
            records.append(RequestRecord(kind, request.received_at, closed, outcome))
    return records


def request_metrics(service: Service, start: date, end: date) -> Metrics:
    """The §7102 figures for CCPA requests received from ``start`` to ``end`` (inclusive)."""
    return compute_metrics(request_records(service.plane), start, end)
