"""Working days and local dates of one jurisdiction: its time zone and its public holidays."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

_SATURDAY = 5


@dataclass(frozen=True, eq=False)
class WorkingCalendar:
    """The days on which a jurisdiction's business days are counted.

    ``public_holidays`` is ``None`` when only weekends are days off. ``roll_forward``
    says that a period whose last day is not a working day ends on the next working day
    (Reg. 1182/71 Art. 3(4)).
    """

    timezone: ZoneInfo
    public_holidays: holidays.HolidayBase | None = field(default=None, repr=False)
    holiday_calendar: str | None = None
    roll_forward: bool = False

    def local_date(self, moment: datetime) -> date:
        """The date of ``moment`` in this calendar's time zone; ``moment`` must be aware."""
        require_aware(moment)
        return moment.astimezone(self.timezone).date()

    def end_of_day(self, day: date) -> datetime:
        """The last instant of ``day`` in this calendar's time zone."""
        return datetime.combine(day, time.max, tzinfo=self.timezone)

    def is_working_day(self, day: date) -> bool:
        if day.weekday() >= _SATURDAY:
            return False
        return self.public_holidays is None or day not in self.public_holidays

    def working_day_on_or_after(self, day: date) -> date:
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, day: date, count: int) -> date:
        """The ``count``-th working day after ``day`` (``day`` itself is not counted)."""
        while count > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count -= 1
        return day


def require_aware(moment: datetime) -> None:
    """Legal clocks run on instants: a naive datetime is refused rather than guessed."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone; deadlines need aware datetimes")


def shift_months(day: date, months: int) -> date:
    """``day`` moved by whole months; a date missing in the target month becomes its last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, _days_in_month(year, month)))


def _days_in_month(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def parse_holiday_calendar(name: str) -> tuple[str, str | None]:
    """``US-CA`` -> (``US``, ``CA``); ``BE`` -> (``BE``, None)."""
    country, _, subdivision = name.partition("-")
    return country, subdivision or None


def check_holiday_calendar(name: str) -> None:
    """Raise ``ValueError`` unless the ``holidays`` library knows ``name``."""
    country, subdivision = parse_holiday_calendar(name)
    try:
        holidays.country_holidays(country, subdiv=subdivision)
    except NotImplementedError as error:
        raise ValueError(
            f"unknown holiday calendar {name!r} ({error}); write a country code "
            "with an optional subdivision, e.g. US-CA or BE"
        ) from error


def check_timezone(name: str) -> None:
    """Raise ``ValueError`` unless ``name`` is an IANA time zone."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {name!r} (e.g. America/Los_Angeles)") from error


@lru_cache(maxsize=64)
def working_calendar(
    timezone: str, holiday_calendar: str | None, roll_forward: bool
) -> WorkingCalendar:
    """The calendar for these settings, built once (holiday tables are costly to build)."""
    public_holidays = None
    if holiday_calendar is not None:
        country, subdivision = parse_holiday_calendar(holiday_calendar)
        public_holidays = holidays.country_holidays(country, subdiv=subdivision)
    return WorkingCalendar(
        timezone=ZoneInfo(timezone),
        public_holidays=public_holidays,
        holiday_calendar=holiday_calendar,
        roll_forward=roll_forward,
    )
