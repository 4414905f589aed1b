"""A jurisdiction's rule set as typed, frozen models; every legal number keeps its source.

The values live in the law files (``laws/<key>.yaml``); these models only give them a shape. A law
is one entry there, never a branch in the code.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from custos.rules.calendar import (
    WorkingCalendar,
    check_holiday_calendar,
    check_timezone,
    require_aware,
    shift_months,
    working_calendar,
)
from custos.rules.errors import RequestNotCoveredError

Unit = Literal["business_days", "calendar_days", "months", "hours", "none"]
Source = str


class RequestType(StrEnum):
    """The request types Custos handles (docs/service.md)."""

    ACCESS = "access"
    CATEGORIES = "categories"
    PORTABILITY = "portability"
    ERASURE = "erasure"
    CORRECTION = "correction"
    RESTRICTION = "restriction"
    OBJECTION = "objection"
    OPT_OUT_SALE_SHARING = "opt_out_sale_sharing"
    OPT_IN_SALE_SHARING = "opt_in_sale_sharing"
    LIMIT_SENSITIVE = "limit_sensitive"
    WITHDRAW_CONSENT = "withdraw_consent"
    APPEAL = "appeal"


def _known_request_type(value: str) -> str:
    from custos.rules.request_types import request_types

    known = request_types()
    if value not in known:
        raise ValueError(f"{value!r}; valid request types: {', '.join(known)}")
    return value


#: a request type's name: a built-in one or one a plug-in adds (``custos.rules.request_types``)
RequestTypeName = Annotated[str, AfterValidator(_known_request_type)]


class VerificationLevel(StrEnum):
    """How sure a business must be of who is asking before it acts."""

    NONE = "none"
    TWO_POINTS = "two_points"  # a reasonable degree of certainty
    THREE_POINTS_SIGNED = "three_points_signed"  # reasonably high: three points and a declaration


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Deadline(_Rule):
    """A legal time limit: ``amount`` of ``unit``, with the provision that sets it."""

    amount: int = Field(default=0, ge=0)
    unit: Unit
    source: Source = Field(min_length=1)

    @model_validator(mode="after")
    def _none_has_no_amount(self) -> Deadline:
        if self.unit == "none" and self.amount:
            raise ValueError("a deadline with unit 'none' takes no amount")
        return self

    @property
    def is_set(self) -> bool:
        return self.unit != "none"


class Extension(_Rule):
    """How much longer a response may take, and by when the person must be told why."""

    amount: int = Field(gt=0)
    unit: Unit
    notify_within: Deadline
    source: Source = Field(min_length=1)

    @field_validator("unit")
    @classmethod
    def _has_unit(cls, unit: Unit) -> Unit:
        if unit == "none":
            raise ValueError("an extension needs a unit of time")
        return unit

    @property
    def period(self) -> Deadline:
        return Deadline(amount=self.amount, unit=self.unit, source=self.source)


class Verification(_Rule):
    """The identity check before acting; ``sensitive_level`` applies to sensitive data."""

    level: VerificationLevel
    sensitive_level: VerificationLevel | None = None
    note: str = ""
    source: Source = Field(min_length=1)


class FrequencyLimit(_Rule):
    """How many requests within ``window`` must be answered, free, before ``beyond`` applies.

    ``max_requests`` null means no count limit. ``counts_together`` lists the request types
    whose earlier requests count toward the same limit (empty: this type alone).
    """

    max_requests: int | None = Field(default=None, ge=1)
    window: Deadline | None = None
    beyond: Literal["refuse", "fee"] | None = None
    counts_together: tuple[str, ...] = ()
    note: str = ""
    source: Source = Field(min_length=1)

    @field_validator("counts_together")
    @classmethod
    def _known_types(cls, kinds: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_request_type(kind) for kind in kinds)

    @model_validator(mode="after")
    def _complete(self) -> FrequencyLimit:
        if self.max_requests is None:
            return self
        if self.window is None or self.beyond is None:
            raise ValueError("a frequency limit with max_requests needs a window and beyond")
        if self.window.unit not in ("calendar_days", "months"):
            raise ValueError("a frequency window is counted in calendar_days or months")
        return self


class Lookback(_Rule):
    """How far back an access answer reaches; ``period`` null means all data held.

    ``extends_to``: data collected since this date is included beyond ``period`` unless
    that proves impossible or disproportionate.
    """

    period: Deadline | None = None
    extends_to: date | None = None
    source: Source = Field(min_length=1)

    def earliest(self, now: datetime) -> date | None:
        """The first day an answer given at ``now`` must cover; None means no limit."""
        if self.period is None:
            return None
        require_aware(now)
        today = now.date()
        if self.period.unit == "months":
            start = shift_months(today, -self.period.amount)
        else:
            start = today - timedelta(days=self.period.amount)
        return min(start, self.extends_to) if self.extends_to else start


class Refusal(_Rule):
    """What a refusal must tell the person."""

    text: str = Field(min_length=1)
    source: Source = Field(min_length=1)


class RequestRule(_Rule):
    """How one jurisdiction treats one request type it provides for."""

    applicable: Literal[True] = True
    acknowledge: Deadline
    respond: Deadline
    extension: Extension | None = None
    verification: Verification
    frequency: FrequencyLimit
    lookback: Lookback | None = None
    refusal: Refusal
    note: str = ""

    @model_validator(mode="after")
    def _extension_extends_something(self) -> RequestRule:
        if self.extension is not None and not self.respond.is_set:
            raise ValueError("an extension needs a respond deadline to extend")
        return self


class NotCovered(_Rule):
    """A request type the jurisdiction does not provide for, and what the person can do instead."""

    applicable: Literal[False]
    reason: str = Field(min_length=1)
    source: Source = Field(min_length=1)


def _applicability(entry: Any) -> str:
    if isinstance(entry, dict):
        return "not_covered" if entry.get("applicable") is False else "rule"
    return "not_covered" if isinstance(entry, NotCovered) else "rule"


RequestEntry = Annotated[
    Annotated[RequestRule, Tag("rule")] | Annotated[NotCovered, Tag("not_covered")],
    Discriminator(_applicability),
]


class StatusDisplay(_Rule):
    required_since: date
    source: Source = Field(min_length=1)


class UniversalOptOut(_Rule):
    """Since when a browser signal (GPC) counts as an opt-out of sale and sharing."""

    recognised_since: date
    status_display: StatusDisplay | None = None
    source: Source = Field(min_length=1)


class StatutoryException(_Rule):
    """A ground in the law itself for keeping data despite a deletion request."""

    text: str = Field(min_length=1)
    source: Source = Field(min_length=1)


class Children(_Rule):
    """Below which age a person's data needs a parent's consent (COPPA; GDPR Art. 8)."""

    age: int = Field(ge=1, le=21)
    consent: str = Field(min_length=1)  # who gives it
    source: Source = Field(min_length=1)


class RecordKeeping(_Rule):
    """How long request records are kept and what they hold; ``keep_for`` null: as needed."""

    keep_for: Deadline | None = None
    contents: str = Field(min_length=1)
    source: Source = Field(min_length=1)


class RuleSet(_Rule):
    """One jurisdiction: its clock (time zone, holidays) and a rule per request type."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    region: str = Field(min_length=1)
    timezone: str
    holiday_calendar: str | None = None
    roll_forward_to_working_day: bool = False
    universal_opt_out: UniversalOptOut | None = None
    records: RecordKeeping | None = None
    children: Children | None = None
    #: the law's own grounds for refusing a deletion, by key (a map's exceptions come on top)
    erasure_exceptions: dict[str, StatutoryException] = Field(default_factory=dict)
    requests: dict[RequestTypeName, RequestEntry]

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str) -> str:
        check_timezone(name)
        return name

    @field_validator("holiday_calendar")
    @classmethod
    def _known_holidays(cls, name: str | None) -> str | None:
        if name is not None:
            check_holiday_calendar(name)
        return name

    @model_validator(mode="after")
    def _every_request_type(self) -> RuleSet:
        missing = [kind.value for kind in RequestType if kind not in self.requests]
        if missing:
            raise ValueError(
                f"requests must say for every request type whether it applies; missing: "
                f"{', '.join(missing)} (write `applicable: false` with a reason where it does not)"
            )
        return self

    @property
    def calendar(self) -> WorkingCalendar:
        return working_calendar(
            self.timezone, self.holiday_calendar, self.roll_forward_to_working_day
        )

    def covers(self, request_type: RequestType | str) -> bool:
        return isinstance(self.requests.get(_request_type(request_type)), RequestRule)

    def rule(self, request_type: RequestType | str) -> RequestRule:
        """The rule for ``request_type``; raises ``RequestNotCoveredError`` with the reason."""
        kind = _request_type(request_type)
        rule = self.requests.get(kind)
        if rule is None:
            raise RequestNotCoveredError(f"{self.key} does not provide for {kind} requests: its law file has "
                                         f"no row for them")
        if isinstance(rule, NotCovered):
            raise RequestNotCoveredError(
                f"{self.key} does not provide for {kind} requests: {rule.reason} "
                f"({rule.source})"
            )
        return rule

    def counted_together(self, request_type: RequestType | str) -> frozenset[str]:
        """The request types whose earlier requests count toward this type's frequency limit."""
        kind = _request_type(request_type)
        return frozenset((kind, *self.rule(kind).frequency.counts_together))

    def configured(
        self, *, timezone: str | None = None, holiday_calendar: str | None | Literal[False] = False
    ) -> RuleSet:
        """A copy with another time zone or holiday calendar (``None``: weekends only)."""
        changes: dict[str, object] = {}
        if timezone is not None:
            changes["timezone"] = timezone
        if holiday_calendar is not False:
            changes["holiday_calendar"] = holiday_calendar
        return RuleSet.model_validate({**self.model_dump(), **changes})


def _request_type(value: RequestType | str) -> str:
    from custos.rules.request_types import request_kind

    return str(request_kind(value))
