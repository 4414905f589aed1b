"""Rule sets and time zones shared by the rule tests; every expected date is worked by hand."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from custos.rules import RuleSet, load_rule_sets

LOS_ANGELES = ZoneInfo("America/Los_Angeles")
BRUSSELS = ZoneInfo("Europe/Brussels")
NEW_YORK = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")


def at(day: date, zone: ZoneInfo, hour: int = 10) -> datetime:
    """A moment on ``day`` in ``zone`` (10:00 unless told)."""
    return datetime.combine(day, time(hour), tzinfo=zone)


def end_of(day: date, zone: ZoneInfo) -> datetime:
    """The last instant of ``day`` in ``zone``: when a deadline on that day expires."""
    return datetime.combine(day, time(23, 59, 59, 999999), tzinfo=zone)


@pytest.fixture
def ccpa() -> RuleSet:
    return load_rule_sets()["ccpa"]


@pytest.fixture
def gdpr() -> RuleSet:
    return load_rule_sets()["gdpr"]
