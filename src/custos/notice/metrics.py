"""Request metrics of 11 CCR §7102: per request type, how many were received, complied
with in whole or in part, and denied, and the median and mean days to respond.

``compute_metrics`` is pure: it takes request records (the request service will supply
them; ``custos report metrics`` reads them from a file for now) and a period.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, get_args

from custos.errors import CustosError

MetricType = Literal["know", "delete", "correct", "opt_out", "limit"]
Outcome = Literal["complied_full", "complied_part", "denied", "open"]

METRIC_TYPES: tuple[MetricType, ...] = get_args(MetricType)
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)

METRIC_NAMES: dict[MetricType, str] = {
    "know": "Requests to know",
    "delete": "Requests to delete",
    "correct": "Requests to correct",
    "opt_out": "Requests to opt out of sale or sharing",
    "limit": "Requests to limit use of sensitive information",
}

REQUEST_TYPES: dict[str, MetricType] = {
    "access": "know",
    "categories": "know",
    "portability": "know",
    "erasure": "delete",
    "correction": "correct",
    "opt_out_sale_sharing": "opt_out",
    "limit_sensitive": "limit",
}
"""Custos request types and the §7102 type each is counted under; the
others (restriction, objection, withdraw_consent, appeal) are not §7102 requests."""


class MetricsError(CustosError):
    """A request record that cannot be counted, or a period that makes no sense."""

    code = "invalid_metrics_input"
    exit_code = 2


def metric_type(kind: str) -> MetricType | None:
    """The §7102 type of a Custos request type or of a §7102 type; None when not counted."""
    if kind in METRIC_TYPES:
        return kind
    return REQUEST_TYPES.get(kind)


@dataclass(frozen=True)
class RequestRecord:
    """One request as the metrics count it.

    ``closed_at`` is when the business substantively responded; a request still
    ``open`` has none. Times are all naive or all timezone-aware.
    """

    type: MetricType
    received_at: datetime
    closed_at: datetime | None
    outcome: Outcome

    def __post_init__(self) -> None:
        if self.type not in METRIC_TYPES:
            expected = ", ".join(METRIC_TYPES)
            raise MetricsError(f"unknown request type {self.type!r}; expected one of {expected}")
        if self.outcome not in OUTCOMES:
            raise MetricsError(f"unknown outcome {self.outcome!r}; expected one of {', '.join(OUTCOMES)}")
        if self.outcome != "open" and self.closed_at is None:
            raise MetricsError(f"a request with outcome {self.outcome} needs closed_at")
        if self.closed_at is not None:
            if (self.closed_at.tzinfo is None) != (self.received_at.tzinfo is None):
                raise MetricsError("received_at and closed_at must both carry a time zone, or neither")
            if self.closed_at < self.received_at:
                raise MetricsError("closed_at is before received_at")

    @property
    def days_to_respond(self) -> int | None:
        """Calendar days from receipt to response, the day of receipt not counted."""
        if self.outcome == "open" or self.closed_at is None:
            return None
        closed = self.closed_at
        if closed.tzinfo is not None and self.received_at.tzinfo is not None:
            closed = closed.astimezone(self.received_at.tzinfo)
        return (closed.date() - self.received_at.date()).days


@dataclass(frozen=True)
class TypeFigures:
    """The §7102 figures of one request type."""

    type: MetricType
    received: int
    complied_full: int
    complied_part: int
    denied: int
    open: int
    median_days: float | None
    mean_days: float | None

    @property
    def name(self) -> str:
        """``Requests to know``."""
        return METRIC_NAMES[self.type]

    @property
    def complied(self) -> int:
        """Complied with in whole or in part."""
        return self.complied_full + self.complied_part

    def to_dict(self) -> dict[str, Any]:
        """The figures as JSON-ready data."""
        return {
            "type": self.type,
            "received": self.received,
            "complied": self.complied,
            "complied_in_whole": self.complied_full,
            "complied_in_part": self.complied_part,
            "denied": self.denied,
            "open": self.open,
            "median_days": self.median_days,
            "mean_days": self.mean_days,
        }


@dataclass(frozen=True)
class Metrics:
    """The figures of every request type over a period (both days included)."""

    start: date
    end: date
    figures: tuple[TypeFigures, ...]

    def of(self, kind: MetricType) -> TypeFigures:
        """The figures of one request type."""
        return next(f for f in self.figures if f.type == kind)

    def to_dict(self) -> dict[str, Any]:
        """The period and the figures of every type, as JSON-ready data."""
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "requests": {f.type: f.to_dict() for f in self.figures},
        }


def compute_metrics(records: Iterable[RequestRecord], start: date, end: date) -> Metrics:
    """The §7102 figures of the requests received from ``start`` to ``end``, both included.

    Outcomes are counted as the records stand: a request received in the period and
    answered after it counts with its answer. Days are calendar days from receipt to
    response; the median and mean cover every answered request (complied or denied).
    """
    if end < start:
        raise MetricsError(f"the period ends ({end}) before it starts ({start})")
    chosen = [r for r in records if start <= r.received_at.date() <= end]
    figures = []
    for kind in METRIC_TYPES:
        mine = [r for r in chosen if r.type == kind]
        days = [d for d in (r.days_to_respond for r in mine) if d is not None]
        figures.append(
            TypeFigures(
                type=kind,
                received=len(mine),
                complied_full=sum(r.outcome == "complied_full" for r in mine),
                complied_part=sum(r.outcome == "complied_part" for r in mine),
                denied=sum(r.outcome == "denied" for r in mine),
                open=sum(r.outcome == "open" for r in mine),
                median_days=float(statistics.median(days)) if days else None,
                mean_days=statistics.fmean(days) if days else None,
            )
        )
    return Metrics(start=start, end=end, figures=tuple(figures))
