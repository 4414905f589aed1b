"""How often a person may make a request before the business may refuse it or charge a fee."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from custos.rules.calendar import require_aware, shift_months
from custos.rules.models import Deadline, RequestType, RuleSet
from custos.rules.request_types import request_kind


@dataclass(frozen=True)
class FrequencyDecision:
    """Whether a new request must be answered, whether it may carry a fee, and why."""

    allowed: bool
    fee_allowed: bool
    reason: str
    source: str


def check_frequency(
    request_type: RequestType | str,
    rule_set: RuleSet,
    previous_request_times: list[datetime],
    now: datetime,
) -> FrequencyDecision:
    """Decide on a request made at ``now`` given the same person's earlier requests.

    ``previous_request_times`` are the receipt times of the person's earlier requests of
    the types that count together (``rule_set.counted_together(request_type)``); times
    outside the window, or after ``now``, are ignored. Only the count limit is decided here:
    a request that is manifestly unfounded or excessive is a judgment the law leaves to
    the business, with reasons (the rule's ``note`` says so where it applies).
    """
    kind = request_kind(request_type)
    limit = rule_set.rule(kind).frequency
    if limit.max_requests is None or limit.window is None:
        reason = f"{rule_set.key} sets no count limit on {kind} requests"
        if limit.note:
            reason = f"{reason}; {limit.note}"
        return FrequencyDecision(True, False, reason, limit.source)
    require_aware(now)
    start = window_start(now.astimezone(rule_set.calendar.timezone), limit.window)
    earlier = sum(1 for moment in previous_request_times if start < _aware(moment) <= now)
    window = f"{limit.window.amount} {limit.window.unit.replace('_', ' ')}"
    if earlier < limit.max_requests:
        reason = (
            f"{earlier} earlier request(s) in {window}; {rule_set.key} allows "
            f"{limit.max_requests} free"
        )
        return FrequencyDecision(True, False, reason, limit.source)
    if limit.beyond == "fee":
        reason = (
            f"{earlier} earlier request(s) in {window}, beyond the {limit.max_requests} free "
            f"ones: it must still be answered, and a reasonable fee may be charged"
        )
        return FrequencyDecision(True, True, reason, limit.source)
    reason = (
        f"you have made {earlier} earlier request(s) of this kind in the last {window}, and the law requires "
        f"an answer to {limit.max_requests}"
    )
    return FrequencyDecision(False, False, reason, limit.source)


def window_start(now: datetime, window: Deadline) -> datetime:
    """The instant ``window`` before ``now`` (months on the calendar, days as 24 hours)."""
    if window.unit == "months":
        moved = shift_months(now.date(), -window.amount)
        return now.replace(year=moved.year, month=moved.month, day=moved.day)
    return now - timedelta(days=window.amount)


def _aware(moment: datetime) -> datetime:
    require_aware(moment)
    return moment
