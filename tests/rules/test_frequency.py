"""Frequency limits: know requests capped in California, fees after the free ones elsewhere."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from custos.rules import RequestType, RuleSet, check_frequency, load_rule_sets
from tests.rules.conftest import LOS_ANGELES, NEW_YORK, at

NOW = at(date(2026, 9, 1), LOS_ANGELES)


def test_ccpa_third_know_request_within_12_months_need_not_be_answered(ccpa: RuleSet) -> None:
    earlier = [at(date(2026, 1, 10), LOS_ANGELES), at(date(2026, 6, 1), LOS_ANGELES)]
    decision = check_frequency("access", ccpa, earlier, NOW)
    assert decision.allowed is False
    assert decision.fee_allowed is False
    assert "1798.130(b)" in decision.source
    assert "2 earlier" in decision.reason


def test_ccpa_second_know_request_is_answered(ccpa: RuleSet) -> None:
    decision = check_frequency("categories", ccpa, [at(date(2026, 6, 1), LOS_ANGELES)], NOW)
    assert decision.allowed is True
    assert decision.fee_allowed is False


def test_ccpa_requests_older_than_12_months_do_not_count(ccpa: RuleSet) -> None:
    # The window opens on Sep 1, 2025 at 10:00; Aug 31, 2025 falls outside it.
    earlier = [at(date(2025, 8, 31), LOS_ANGELES), at(date(2026, 6, 1), LOS_ANGELES)]
    assert check_frequency("access", ccpa, earlier, NOW).allowed is True
    earlier = [at(date(2025, 9, 2), LOS_ANGELES), at(date(2026, 6, 1), LOS_ANGELES)]
    assert check_frequency("access", ccpa, earlier, NOW).allowed is False


def test_ccpa_requests_after_now_do_not_count(ccpa: RuleSet) -> None:
    later = [NOW + timedelta(days=1), NOW + timedelta(days=2)]
    assert check_frequency("access", ccpa, later, NOW).allowed is True


def test_ccpa_know_requests_count_together_and_deletion_alone(ccpa: RuleSet) -> None:
    know = {RequestType.ACCESS, RequestType.CATEGORIES, RequestType.PORTABILITY}
    assert ccpa.counted_together("access") == know
    assert ccpa.counted_together("portability") == know
    assert ccpa.counted_together("erasure") == {RequestType.ERASURE}


@pytest.mark.parametrize("kind", ["erasure", "correction", "opt_out_sale_sharing"])
def test_ccpa_deletion_correction_and_opt_out_are_never_capped(ccpa: RuleSet, kind: str) -> None:
    earlier = [NOW - timedelta(days=day) for day in range(1, 11)]
    decision = check_frequency(kind, ccpa, earlier, NOW)
    assert decision.allowed is True
    assert decision.fee_allowed is False
    assert "no count limit" in decision.reason


@pytest.mark.parametrize(
    ("key", "free"),
    [("vcdpa", 2), ("tdpsa", 2), ("cpa", 1), ("ctdpa", 1)],
)
def test_state_requests_beyond_the_free_ones_may_carry_a_fee(key: str, free: int) -> None:
    rules = load_rule_sets()[key]
    now = at(date(2026, 9, 1), NEW_YORK)
    within_free = [now - timedelta(days=30 * (n + 1)) for n in range(free - 1)]
    decision = check_frequency("access", rules, within_free, now)
    assert (decision.allowed, decision.fee_allowed) == (True, False)
    beyond_free = [now - timedelta(days=30 * (n + 1)) for n in range(free)]
    decision = check_frequency("access", rules, beyond_free, now)
    assert (decision.allowed, decision.fee_allowed) == (True, True)
    assert "fee" in decision.reason


def test_gdpr_sets_no_count_and_points_to_manifestly_excessive(gdpr: RuleSet) -> None:
    earlier = [NOW - timedelta(days=day) for day in range(1, 6)]
    decision = check_frequency("access", gdpr, earlier, NOW)
    assert (decision.allowed, decision.fee_allowed) == (True, False)
    assert decision.source == "GDPR Art. 12(5)"
    assert "manifestly unfounded or excessive" in decision.reason


def test_naive_times_are_refused(ccpa: RuleSet) -> None:
    with pytest.raises(ValueError, match="time zone"):
        check_frequency("access", ccpa, [datetime(2026, 6, 1)], NOW)
