"""The clock tests move by hand, and the instant it starts at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# A Monday well inside the year, so that 45 days and one month both stay clear of holidays.
START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
