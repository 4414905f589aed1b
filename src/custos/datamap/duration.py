"""ISO-8601 durations (``P3Y``, ``P18M``, ``P30D``, ``PT72H``) as used by retention periods."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


@dataclass(frozen=True)
class Duration:
    """A calendar-aware duration: years and months are added as calendar units."""

    years: int = 0
    months: int = 0
    days: int = 0
    seconds: int = 0
    text: str = ""

    @classmethod
    def parse(cls, text: str) -> Duration:
        match = _DURATION.match(text.strip()) if isinstance(text, str) else None
        if not match:
            raise ValueError(
                f"{text!r} is not an ISO-8601 duration (examples: P3Y, P18M, P30D, PT72H)"
            )
        parts = {k: int(v) for k, v in match.groupdict().items() if v}
        return cls(
            years=parts.get("years", 0),
            months=parts.get("months", 0),
            days=parts.get("days", 0) + 7 * parts.get("weeks", 0),
            seconds=parts.get("hours", 0) * 3600 + parts.get("minutes", 0) * 60 + parts.get("seconds", 0),
            text=text.strip(),
        )

    def add_to(self, moment: datetime) -> datetime:
        """``moment`` plus this duration; a day missing in the target month becomes its last day."""
        month_index = moment.month - 1 + self.months + 12 * self.years
        year, month = moment.year + month_index // 12, month_index % 12 + 1
        day = min(moment.day, _days_in_month(year, month))
        return moment.replace(year=year, month=month, day=day) + timedelta(
            days=self.days, seconds=self.seconds
        )

    def subtract_from(self, moment: datetime) -> datetime:
        """``moment`` minus this duration (used for cut-off dates of retention)."""
        month_index = moment.month - 1 - self.months - 12 * self.years
        year, month = moment.year + month_index // 12, month_index % 12 + 1
        day = min(moment.day, _days_in_month(year, month))
        return moment.replace(year=year, month=month, day=day) - timedelta(
            days=self.days, seconds=self.seconds
        )

    def describe(self) -> str:
        """Plain words for a notice: ``3 years``, ``18 months``, ``30 days``."""
        words = []
        for amount, unit in (
            (self.years, "year"),
            (self.months, "month"),
            (self.days, "day"),
            (self.seconds // 3600, "hour"),
        ):
            if amount:
                words.append(f"{amount} {unit}{'s' if amount != 1 else ''}")
        return ", ".join(words) or "0 days"

    def __str__(self) -> str:
        return self.text


def _days_in_month(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day
