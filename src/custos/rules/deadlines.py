"""Legal deadline arithmetic: business days, calendar days, and months as the law counts them.

Periods in days or months exclude the day of the event (Reg. 1182/71 Art. 3(1); Cal. Code
Civ. Proc. §12): a request received on the 20th, answerable in 45 days, is due on the
45th day after the 20th. A period in months ends on the same date of the last month, or on
that month's last day when the date does not exist (Art. 3(2)(c)): Jan 31 + 1 month is
Feb 28, or Feb 29 in a leap year. Where the rule set says so, a period ending on a
Saturday, Sunday or public holiday ends on the next working day (Art. 3(4)). The due
instant is the end of the due day in the rule set's time zone. Hours are exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from custos.rules.calendar import WorkingCalendar, require_aware, shift_months
from custos.rules.errors import RequestNotCoveredError
from custos.rules.models import Deadline, Extension, RequestRule, RequestType, RuleSet


@dataclass(frozen=True)
class DueDates:
    """When each step of a request is due; ``None`` where the law sets no such step.

    ``respond_by`` is the original due date; ``extended_respond_by`` is set when the
    request was extended, and ``extension_notice_by`` is the last moment to tell the
    person of an extension and why.
    """

    acknowledge_by: datetime | None
    respond_by: datetime | None
    extension_notice_by: datetime | None
    extended_respond_by: datetime | None

    @property
    def due(self) -> datetime | None:
        """The binding due instant: the extended one when extended, else the original."""
        return self.extended_respond_by or self.respond_by


def add_deadline(start: datetime, deadline: Deadline, calendar: WorkingCalendar) -> datetime:
    """The instant at which ``deadline``, running from ``start``, expires.

    ``start`` must be timezone-aware. A deadline with unit ``none`` has no expiry and is
    refused with ``ValueError``.
    """
    require_aware(start)
    if deadline.unit == "none":
        raise ValueError(f"no deadline to add: {deadline.source}")
    if deadline.unit == "hours":
        return (start + timedelta(hours=deadline.amount)).astimezone(calendar.timezone)
    day = _last_day(calendar.local_date(start), deadline, calendar)
    if calendar.roll_forward and deadline.unit != "business_days":
        day = calendar.working_day_on_or_after(day)
    return calendar.end_of_day(day)


def compute_due_dates(
    received_at: datetime,
    request_type: RequestType | str,
    rule_set: RuleSet,
    extended: bool = False,
) -> DueDates:
    """Due dates of a request received at ``received_at`` under ``rule_set``.

    The clock runs from receipt and never pauses for identity verification
    (11 CCR §7021(b)). An extension adds to the original period: 45 + 45 days under the
    CCPA, one month + two months (three months from receipt) under the GDPR. Raises
    ``RequestNotCoveredError`` when the jurisdiction does not provide for the request type,
    or when ``extended`` is asked where no extension is allowed.
    """
    rule = rule_set.rule(request_type)
    calendar = rule_set.calendar
    extension = rule.extension
    if extended and extension is None:
        raise RequestNotCoveredError(
            f"{rule_set.key} allows no extension for {request_type} "
            f"requests ({rule.respond.source})"
        )
    return DueDates(
        acknowledge_by=_optional(received_at, rule.acknowledge, calendar),
        respond_by=_optional(received_at, rule.respond, calendar),
        extension_notice_by=(
            add_deadline(received_at, extension.notify_within, calendar) if extension else None
        ),
        extended_respond_by=(
            _extended(received_at, rule, extension, calendar) if extended and extension else None
        ),
    )


def appeal_due(received_at: datetime, rule_set: RuleSet) -> datetime | None:
    """When the answer to an appeal received at ``received_at`` is due.

    ``None`` where the jurisdiction sets no appeal process (the CCPA; under the GDPR the
    person complains to the supervisory authority instead).
    """
    if not rule_set.covers(RequestType.APPEAL):
        return None
    return compute_due_dates(received_at, RequestType.APPEAL, rule_set).respond_by


def _optional(start: datetime, deadline: Deadline, calendar: WorkingCalendar) -> datetime | None:
    return add_deadline(start, deadline, calendar) if deadline.is_set else None


def _extended(
    received_at: datetime, rule: RequestRule, extension: Extension, calendar: WorkingCalendar
) -> datetime:
    respond = rule.respond
    if extension.unit == respond.unit:
        # Counted from receipt as one period, so that Jan 31 + 1 + 2 months is Apr 30,
        # not Apr 28 (two months after a February 28 that was itself cut short).
        total = Deadline(
            amount=respond.amount + extension.amount, unit=respond.unit, source=extension.source
        )
        return add_deadline(received_at, total, calendar)
    if respond.unit == "hours":
        original = add_deadline(received_at, respond, calendar)
    else:
        last = _last_day(calendar.local_date(received_at), respond, calendar)
        original = calendar.end_of_day(last)
    return add_deadline(original, extension.period, calendar)


def _last_day(day: date, deadline: Deadline, calendar: WorkingCalendar) -> date:
    """The last day of a period in days or months starting on ``day``, before any roll-forward."""
    if deadline.unit == "business_days":
        return calendar.add_working_days(day, deadline.amount)
    if deadline.unit == "calendar_days":
        return day + timedelta(days=deadline.amount)
    if deadline.unit == "months":
        return shift_months(day, deadline.amount)
    raise ValueError(f"{deadline.unit} is not counted in days")
