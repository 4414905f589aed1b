"""Deadline arithmetic on fixed dates; each expected day is counted by hand in the comment."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from custos.rules import (
    Deadline,
    RequestNotCoveredError,
    RuleSet,
    WorkingCalendar,
    add_deadline,
    appeal_due,
    compute_due_dates,
    load_rule_sets,
)
from tests.rules.conftest import BRUSSELS, LOS_ANGELES, NEW_YORK, UTC, at, end_of

ONE_MONTH = Deadline(amount=1, unit="months", source="GDPR Art. 12(3)")


# CCPA: 10 business days to acknowledge (11 CCR §7021(a)), 45 calendar days to respond.


def test_ccpa_acknowledgement_skips_thanksgiving_and_the_day_after(ccpa: RuleSet) -> None:
    # Received Fri Nov 20, 2026. Business days: Nov 23, 24, 25 (1-3); Thu 26 Thanksgiving
    # and Fri 27 (a California holiday) skipped; Nov 30, Dec 1, 2, 3, 4 (4-8); Dec 7, 8.
    due = compute_due_dates(at(date(2026, 11, 20), LOS_ANGELES), "access", ccpa)
    assert due.acknowledge_by == end_of(date(2026, 12, 8), LOS_ANGELES)


def test_ccpa_acknowledgement_skips_christmas_and_new_year(ccpa: RuleSet) -> None:
    # Received Fri Dec 18, 2026: Dec 21, 22, 23, 24 (1-4); Fri 25 Christmas skipped;
    # Dec 28, 29, 30, 31 (5-8); Fri Jan 1 New Year skipped; Mon Jan 4 (9), Tue Jan 5 (10).
    due = compute_due_dates(at(date(2026, 12, 18), LOS_ANGELES), "erasure", ccpa)
    assert due.acknowledge_by == end_of(date(2027, 1, 5), LOS_ANGELES)


def test_ccpa_days_are_counted_in_california_not_in_utc(ccpa: RuleSet) -> None:
    # 07:30 UTC on Mon Nov 23 is still Sun Nov 22 in Los Angeles, so Mon Nov 23 is the
    # first business day and the tenth is Dec 8 (counted from Monday it would be Dec 9).
    received = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
    due = compute_due_dates(received, "correction", ccpa)
    assert due.acknowledge_by == end_of(date(2026, 12, 8), LOS_ANGELES)
    assert due.acknowledge_by is not None
    assert due.acknowledge_by.tzinfo == LOS_ANGELES


def test_ccpa_respond_is_45_calendar_days_across_month_ends(ccpa: RuleSet) -> None:
    # Jan 20 + 11 = Jan 31, + 28 = Feb 28 (39 days), + 6 = Mar 6 (45 days).
    due = compute_due_dates(at(date(2026, 1, 20), LOS_ANGELES), "access", ccpa)
    assert due.respond_by == end_of(date(2026, 3, 6), LOS_ANGELES)
    assert due.extended_respond_by is None
    assert due.due == due.respond_by


def test_ccpa_deadline_on_a_sunday_stays_on_the_sunday(ccpa: RuleSet) -> None:
    # Jan 22 + 45 = Sun Mar 8, 2026; the CCPA has no roll-forward to a working day.
    due = compute_due_dates(at(date(2026, 1, 22), LOS_ANGELES), "erasure", ccpa)
    assert due.respond_by == end_of(date(2026, 3, 8), LOS_ANGELES)


def test_ccpa_extension_gives_90_days_in_all_with_notice_inside_the_first_45(
    ccpa: RuleSet,
) -> None:
    # Jan 20 + 45 = Mar 6; Mar 6 + 45 = Apr 20 (Mar 31 is +25, Apr 20 is +45).
    due = compute_due_dates(at(date(2026, 1, 20), LOS_ANGELES), "access", ccpa, extended=True)
    assert due.respond_by == end_of(date(2026, 3, 6), LOS_ANGELES)
    assert due.extension_notice_by == end_of(date(2026, 3, 6), LOS_ANGELES)
    assert due.extended_respond_by == end_of(date(2026, 4, 20), LOS_ANGELES)
    assert due.due == due.extended_respond_by
    received = at(date(2026, 1, 20), LOS_ANGELES)
    assert due.extended_respond_by.date() - received.date() == timedelta(days=90)


def test_ccpa_opt_out_is_15_business_days_without_acknowledgement_or_extension(
    ccpa: RuleSet,
) -> None:
    # From Fri Nov 20, 2026: Nov 23-25 (1-3), Nov 30-Dec 4 (4-8), Dec 7-11 (9-13),
    # Dec 14 (14), Dec 15 (15); Thanksgiving and the day after are skipped.
    due = compute_due_dates(at(date(2026, 11, 20), LOS_ANGELES), "opt_out_sale_sharing", ccpa)
    assert due.respond_by == end_of(date(2026, 12, 15), LOS_ANGELES)
    assert due.acknowledge_by is None
    assert due.extension_notice_by is None
    with pytest.raises(RequestNotCoveredError, match="no extension"):
        compute_due_dates(
            at(date(2026, 11, 20), LOS_ANGELES), "opt_out_sale_sharing", ccpa, extended=True
        )


# GDPR: one month counted as Reg. 1182/71 counts months, then Art. 3(4) roll-forward.


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 1, 31), date(2026, 2, 28)),  # no Feb 31: the last day of February
        (date(2028, 1, 31), date(2028, 2, 29)),  # leap year
        (date(2026, 3, 31), date(2026, 4, 30)),  # no Apr 31
        (date(2026, 1, 15), date(2026, 2, 15)),  # same date, not 30 days (Feb 14)
    ],
)
def test_one_month_ends_on_the_same_date_or_the_last_day_of_the_month(
    received: date, due: date
) -> None:
    calendar = WorkingCalendar(timezone=BRUSSELS)
    assert add_deadline(at(received, BRUSSELS), ONE_MONTH, calendar) == end_of(due, BRUSSELS)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 1, 31), date(2026, 3, 2)),  # Feb 28, 2026 is a Saturday -> Mon Mar 2
        (date(2028, 1, 31), date(2028, 2, 29)),  # Feb 29, 2028 is a Tuesday
        (date(2026, 3, 31), date(2026, 4, 30)),  # Apr 30, 2026 is a Thursday
        (date(2026, 1, 15), date(2026, 2, 16)),  # Feb 15, 2026 is a Sunday -> Mon Feb 16
    ],
)
def test_gdpr_one_month_rolls_a_weekend_end_to_the_next_working_day(
    gdpr: RuleSet, received: date, due: date
) -> None:
    dates = compute_due_dates(at(received, BRUSSELS), "access", gdpr)
    assert dates.respond_by == end_of(due, BRUSSELS)
    assert dates.acknowledge_by is None


def test_gdpr_month_starts_from_the_brussels_date_of_receipt(gdpr: RuleSet) -> None:
    # 22:30 UTC on Tue Mar 31 is 00:30 on Wed Apr 1 in Brussels: due Fri May 1, not Apr 30.
    received = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)
    due = compute_due_dates(received, "erasure", gdpr)
    assert due.respond_by == end_of(date(2026, 5, 1), BRUSSELS)


def test_gdpr_roll_forward_skips_public_holidays_of_the_configured_calendar(
    gdpr: RuleSet,
) -> None:
    # Mar 6 + 1 month = Mon Apr 6, 2026: Easter Monday, a public holiday in Belgium.
    received = at(date(2026, 3, 6), BRUSSELS)
    weekends_only = compute_due_dates(received, "access", gdpr)
    assert weekends_only.respond_by == end_of(date(2026, 4, 6), BRUSSELS)
    belgium = gdpr.configured(holiday_calendar="BE")
    assert compute_due_dates(received, "access", belgium).respond_by == end_of(
        date(2026, 4, 7), BRUSSELS
    )


@pytest.mark.parametrize(
    ("received", "respond_by", "extended_by"),
    [
        # Three months from receipt: Apr 30, not two months after Feb 28 (Apr 28) nor after
        # the rolled Mar 2 (May 2, a Saturday, rolled to May 4).
        (date(2026, 1, 31), date(2026, 3, 2), date(2026, 4, 30)),
        (date(2026, 3, 31), date(2026, 4, 30), date(2026, 6, 30)),
        # Feb 16 + 3 months = Sat May 16 -> Mon May 18.
        (date(2026, 2, 16), date(2026, 3, 16), date(2026, 5, 18)),
    ],
)
def test_gdpr_extension_is_two_further_months(
    gdpr: RuleSet, received: date, respond_by: date, extended_by: date
) -> None:
    due = compute_due_dates(at(received, BRUSSELS), "access", gdpr, extended=True)
    assert due.respond_by == end_of(respond_by, BRUSSELS)
    assert due.extension_notice_by == end_of(respond_by, BRUSSELS)
    assert due.extended_respond_by == end_of(extended_by, BRUSSELS)


# Appeals: VA, CT and TX answer within 60 days, CO within 45.


@pytest.mark.parametrize(
    ("key", "zone", "due"),
    [
        ("vcdpa", "America/New_York", date(2026, 5, 1)),  # Mar 2 + 29 = Mar 31, + 30 = Apr 30, + 1
        ("ctdpa", "America/New_York", date(2026, 5, 1)),
        ("tdpsa", "America/Chicago", date(2026, 5, 1)),
        ("cpa", "America/Denver", date(2026, 4, 16)),  # Mar 2 + 29 = Mar 31, + 16 = Apr 16
    ],
)
def test_appeal_answer_is_due_60_days_or_45_in_colorado(key: str, zone: str, due: date) -> None:
    rules = load_rule_sets()[key]
    received = at(date(2026, 3, 2), NEW_YORK, hour=9)
    assert appeal_due(received, rules) == end_of(due, ZoneInfo(zone))


@pytest.mark.parametrize("key", ["ccpa", "gdpr"])
def test_no_appeal_process_gives_no_appeal_deadline(key: str) -> None:
    rules = load_rule_sets()[key]
    assert appeal_due(at(date(2026, 3, 2), NEW_YORK), rules) is None
    with pytest.raises(RequestNotCoveredError, match="appeal"):
        compute_due_dates(at(date(2026, 3, 2), NEW_YORK), "appeal", rules)


def test_request_type_the_law_does_not_cover_is_refused_with_the_reason(gdpr: RuleSet) -> None:
    with pytest.raises(RequestNotCoveredError, match="no opt-out of sale") as caught:
        compute_due_dates(at(date(2026, 3, 2), BRUSSELS), "opt_out_sale_sharing", gdpr)
    assert "gdpr" in str(caught.value)


def test_unknown_request_type_lists_the_valid_ones(gdpr: RuleSet) -> None:
    with pytest.raises(RequestNotCoveredError, match="withdraw_consent"):
        compute_due_dates(at(date(2026, 3, 2), BRUSSELS), "forget_me", gdpr)


# The arithmetic itself.


def test_hours_are_exact_elapsed_time_across_a_clock_change() -> None:
    # Brussels moves to summer time on Mar 29, 2026; 72 hours stay 72 hours.
    calendar = WorkingCalendar(timezone=BRUSSELS, roll_forward=True)
    start = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    due = add_deadline(start, Deadline(amount=72, unit="hours", source="GDPR Art. 33(1)"), calendar)
    assert due == datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    assert due.tzinfo == BRUSSELS
    assert (due.hour, due.minute) == (14, 0)


def test_business_days_without_holidays_count_only_weekends() -> None:
    # From Fri Nov 20, 2026 with no holiday table: Nov 23-27 (1-5), Nov 30-Dec 4 (6-10).
    calendar = WorkingCalendar(timezone=LOS_ANGELES)
    ten = Deadline(amount=10, unit="business_days", source="11 CCR §7021(a)")
    assert add_deadline(at(date(2026, 11, 20), LOS_ANGELES), ten, calendar) == end_of(
        date(2026, 12, 4), LOS_ANGELES
    )


def test_naive_datetimes_are_refused(ccpa: RuleSet) -> None:
    with pytest.raises(ValueError, match="time zone"):
        compute_due_dates(datetime(2026, 1, 20, 10, 0), "access", ccpa)


def test_a_deadline_of_unit_none_cannot_be_added() -> None:
    calendar = WorkingCalendar(timezone=BRUSSELS)
    none = Deadline(unit="none", source="GDPR Art. 12(3)")
    with pytest.raises(ValueError, match="no deadline"):
        add_deadline(at(date(2026, 1, 1), BRUSSELS), none, calendar)
