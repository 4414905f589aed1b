"""The built-in rule sets carry the numbers of REQUIREMENTS.md; company files add or adjust laws."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from custos.rules import (
    NotCovered,
    RequestNotCoveredError,
    RequestRule,
    RequestType,
    RuleSet,
    RuleSetError,
    UnknownJurisdictionError,
    VerificationLevel,
    appeal_due,
    compute_due_dates,
    load_rule_sets,
    rule_set,
)
from tests.rules.conftest import BRUSSELS, LOS_ANGELES, at, end_of

BUILT_IN = ["ccpa", "gdpr", "vcdpa", "cpa", "ctdpa", "tdpsa"]


def test_built_in_rule_sets_cover_every_request_type() -> None:
    sets = load_rule_sets()
    assert list(sets) == sorted(BUILT_IN)  # one file per law, read in the order of their keys
    for rules in sets.values():
        assert set(rules.requests) == set(RequestType)


def test_rule_sets_are_loaded_once() -> None:
    assert load_rule_sets() is load_rule_sets()
    assert rule_set("ccpa") is load_rule_sets()["ccpa"]


@pytest.mark.parametrize(
    ("key", "kind", "step", "amount", "unit", "cited"),
    [
        ("ccpa", "access", "acknowledge", 10, "business_days", "§7021(a)"),
        ("ccpa", "erasure", "acknowledge", 10, "business_days", "§7021(a)"),
        ("ccpa", "access", "respond", 45, "calendar_days", "§7021(b)"),
        ("ccpa", "opt_out_sale_sharing", "respond", 15, "business_days", "§7026(f)"),
        ("ccpa", "limit_sensitive", "respond", 15, "business_days", "§7027(g)"),
        ("gdpr", "access", "respond", 1, "months", "Art. 12(3)"),
        ("vcdpa", "access", "respond", 45, "calendar_days", "§59.1-577(B)(1)"),
        ("cpa", "erasure", "respond", 45, "calendar_days", "§6-1-1306(2)(a)"),
        ("ctdpa", "correction", "respond", 45, "calendar_days", "§42-518(c)(1)"),
        ("tdpsa", "opt_out_sale_sharing", "respond", 45, "calendar_days", "§541.052(b)"),
        ("vcdpa", "appeal", "respond", 60, "calendar_days", "§59.1-577(C)"),
        ("cpa", "appeal", "respond", 45, "calendar_days", "§6-1-1306(3)"),
        ("ctdpa", "appeal", "respond", 60, "calendar_days", "§42-518(d)"),
        ("tdpsa", "appeal", "respond", 60, "calendar_days", "§541.053"),
    ],
)
def test_deadlines_carry_the_numbers_and_their_sources(
    key: str, kind: str, step: str, amount: int, unit: str, cited: str
) -> None:
    deadline = getattr(rule_set(key).rule(kind), step)
    assert (deadline.amount, deadline.unit) == (amount, unit)
    assert cited in deadline.source


@pytest.mark.parametrize(
    ("key", "amount", "unit", "notice"),
    [
        ("ccpa", 45, "calendar_days", 45),
        ("gdpr", 2, "months", 1),
        ("vcdpa", 45, "calendar_days", 45),
    ],
)
def test_extensions(key: str, amount: int, unit: str, notice: int) -> None:
    extension = rule_set(key).rule("access").extension
    assert extension is not None
    assert (extension.amount, extension.unit, extension.notify_within.amount) == (
        amount,
        unit,
        notice,
    )


def test_ccpa_verification_levels() -> None:
    ccpa = rule_set("ccpa")
    assert ccpa.rule("categories").verification.level is VerificationLevel.TWO_POINTS
    assert ccpa.rule("access").verification.level is VerificationLevel.THREE_POINTS_SIGNED
    erasure = ccpa.rule("erasure").verification
    assert (erasure.level, erasure.sensitive_level) == (
        VerificationLevel.TWO_POINTS,
        VerificationLevel.THREE_POINTS_SIGNED,
    )
    for kind in ("opt_out_sale_sharing", "limit_sensitive"):
        assert ccpa.rule(kind).verification.level is VerificationLevel.NONE


@pytest.mark.parametrize("key", ["vcdpa", "cpa", "ctdpa", "tdpsa"])
def test_state_opt_outs_ask_for_no_verification(key: str) -> None:
    assert rule_set(key).rule("opt_out_sale_sharing").verification.level is VerificationLevel.NONE


@pytest.mark.parametrize(
    ("key", "maximum", "beyond"),
    [("ccpa", 2, "refuse"), ("vcdpa", 2, "fee"), ("cpa", 1, "fee"), ("ctdpa", 1, "fee")],
)
def test_frequency_limits(key: str, maximum: int, beyond: str) -> None:
    limit = rule_set(key).rule("access").frequency
    assert (limit.max_requests, limit.beyond) == (maximum, beyond)
    assert limit.window is not None
    assert (limit.window.amount, limit.window.unit) == (12, "months")
    assert rule_set(key).rule("erasure").frequency.max_requests is None


def test_ccpa_lookback_is_12_months_reaching_back_to_2022() -> None:
    lookback = rule_set("ccpa").rule("access").lookback
    assert lookback is not None and lookback.period is not None
    assert (lookback.period.amount, lookback.period.unit) == (12, "months")
    assert lookback.earliest(at(date(2026, 9, 1), LOS_ANGELES)) == date(2022, 1, 1)
    gdpr = rule_set("gdpr").rule("access").lookback
    assert gdpr is not None and gdpr.earliest(at(date(2026, 9, 1), BRUSSELS)) is None


def test_records_and_universal_opt_out() -> None:
    records = rule_set("ccpa").records
    assert records is not None and records.keep_for is not None
    assert (records.keep_for.amount, records.keep_for.unit) == (24, "months")
    assert "§7101" in records.keep_for.source
    recognised = {
        key: (rules.universal_opt_out.recognised_since if rules.universal_opt_out else None)
        for key, rules in load_rule_sets().items()
    }
    assert recognised["cpa"] == date(2024, 7, 1)
    assert recognised["ctdpa"] == recognised["tdpsa"] == date(2025, 1, 1)
    assert recognised["vcdpa"] is None and recognised["gdpr"] is None
    ccpa_gpc = rule_set("ccpa").universal_opt_out
    assert ccpa_gpc is not None and ccpa_gpc.status_display is not None
    assert ccpa_gpc.status_display.required_since == date(2026, 1, 1)


def test_calendars() -> None:
    ccpa, gdpr = rule_set("ccpa"), rule_set("gdpr")
    assert (ccpa.timezone, ccpa.holiday_calendar, ccpa.roll_forward_to_working_day) == (
        "America/Los_Angeles",
        "US-CA",
        False,
    )
    assert (gdpr.timezone, gdpr.holiday_calendar, gdpr.roll_forward_to_working_day) == (
        "Europe/Brussels",
        None,
        True,
    )
    assert [rule_set(key).holiday_calendar for key in BUILT_IN[2:]] == [
        "US-VA",
        "US-CO",
        "US-CT",
        "US-TX",
    ]


def test_every_number_cites_a_provision() -> None:
    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            if "source" in value:
                source = value["source"]
                assert any(mark in source for mark in ("§", "Art.")), f"{path}: {source!r}"
            for name, child in value.items():
                walk(child, f"{path}.{name}")

    for key, rules in load_rule_sets().items():
        walk(rules.model_dump(), key)


def test_not_covered_request_types_say_what_to_do_instead() -> None:
    ccpa = rule_set("ccpa")
    assert isinstance(ccpa.requests[RequestType.RESTRICTION], NotCovered)
    assert not ccpa.covers("appeal")
    with pytest.raises(RequestNotCoveredError, match="Privacy Protection Agency"):
        ccpa.rule("appeal")
    assert isinstance(rule_set("vcdpa").requests[RequestType.APPEAL], RequestRule)


def test_unknown_jurisdiction_is_named_with_the_valid_ones() -> None:
    with pytest.raises(UnknownJurisdictionError) as caught:
        rule_set("nyprivacy")
    message = str(caught.value)
    assert "'nyprivacy'" in message
    assert all(key in message for key in BUILT_IN)
    assert caught.value.code == "unknown_jurisdiction"


def test_configured_changes_the_clock_and_validates() -> None:
    gdpr = rule_set("gdpr")
    dublin = gdpr.configured(timezone="Europe/Dublin", holiday_calendar="IE")
    assert (dublin.timezone, dublin.holiday_calendar) == ("Europe/Dublin", "IE")
    assert gdpr.timezone == "Europe/Brussels"
    with pytest.raises(ValueError, match="Mars/Olympus"):
        gdpr.configured(timezone="Mars/Olympus")


# Company files: a new law is one more entry.

UTAH = """
jurisdictions:
  ucpa:
    extends: ctdpa
    name: Utah Consumer Privacy Act
    region: US-UT
    timezone: America/Denver
    holiday_calendar: US-UT
    universal_opt_out: null
    request_defaults:
      respond: {amount: 45, unit: calendar_days, source: "Utah Code §13-61-203(2)(a)"}
    requests:
      correction:
        applicable: false
        reason: no right to correction
        source: "Utah Code §13-61-201"
      appeal:
        applicable: false
        reason: no appeal process; the person may complain to the Division of Consumer Protection
        source: "Utah Code §13-61-401"
"""


def write(tmp_path: Path, text: str, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_an_extra_file_adds_a_law_built_on_another(tmp_path: Path) -> None:
    path = write(tmp_path, UTAH)
    sets = load_rule_sets(path)
    assert list(sets) == [*sorted(BUILT_IN), "ucpa"]
    utah = rule_set("ucpa", path)
    assert (utah.name, utah.timezone, utah.holiday_calendar) == (
        "Utah Consumer Privacy Act",
        "America/Denver",
        "US-UT",
    )
    assert utah.rule("access").respond.source == "Utah Code §13-61-203(2)(a)"
    assert utah.rule("access").frequency.max_requests == 1  # from ctdpa
    assert not utah.covers("correction")
    assert appeal_due(at(date(2026, 3, 2), LOS_ANGELES), utah) is None
    assert rule_set("ctdpa", path).covers("appeal")


def test_an_extra_file_can_write_a_law_in_full(tmp_path: Path) -> None:
    rows = "\n".join(
        f"      {kind.value}: {{applicable: false, reason: not provided, source: 'Act §{n}'}}"
        for n, kind in enumerate(RequestType)
        if kind is not RequestType.ERASURE
    )
    text = f"""
jurisdictions:
  example:
    name: Example Privacy Act
    region: XX
    timezone: UTC
    requests:
      erasure:
        acknowledge: {{unit: none, source: "Act §1"}}
        respond: {{amount: 30, unit: calendar_days, source: "Act §2"}}
        verification: {{level: two_points, source: "Act §3"}}
        frequency: {{source: "Act §4"}}
        refusal: {{text: give reasons, source: "Act §5"}}
{rows}
"""
    example = rule_set("example", write(tmp_path, text))
    due = compute_due_dates(at(date(2026, 1, 20), BRUSSELS), "erasure", example)
    assert due.respond_by is not None and due.respond_by.date() == date(2026, 2, 19)


def test_an_extra_file_adjusts_a_built_in_law(tmp_path: Path) -> None:
    path = write(tmp_path, "jurisdictions:\n  gdpr: {extends: gdpr, holiday_calendar: BE}\n")
    belgium = rule_set("gdpr", path)
    assert belgium.holiday_calendar == "BE"
    assert rule_set("gdpr").holiday_calendar is None
    due = compute_due_dates(at(date(2026, 3, 6), BRUSSELS), "access", belgium)
    assert due.respond_by == end_of(date(2026, 4, 7), BRUSSELS)  # Easter Monday skipped


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        (
            UTAH.replace('unit: calendar_days, source: "Utah', 'unit: fortnights, source: "Utah'),
            "jurisdictions.ucpa.request_defaults.respond.unit",
            "business_days",
        ),
        (
            UTAH.replace(
                "    requests:\n",
                "    requests:\n      access:\n        respond: {amount: 2, unit: weeks, source: x}\n",
            ),
            "jurisdictions.ucpa.requests.access.respond.unit",
            "calendar_days",
        ),
        (
            UTAH.replace("    region: US-UT\n", "    region: US-UT\n    respnd: 45\n"),
            "jurisdictions.ucpa.respnd",
            "not permitted",
        ),
        (
            UTAH.replace("extends: ctdpa", "extends: utah_base"),
            "jurisdictions.ucpa.extends",
            "utah_base",
        ),
        (
            UTAH.replace("timezone: America/Denver", "timezone: America/Salt_Lake"),
            "jurisdictions.ucpa.timezone",
            "America/Salt_Lake",
        ),
        (
            UTAH.replace("holiday_calendar: US-UT", "holiday_calendar: US-ZZ"),
            "jurisdictions.ucpa.holiday_calendar",
            "US-ZZ",
        ),
        (
            UTAH.replace("      correction:\n", "      corection:\n"),
            "jurisdictions.ucpa.requests.corection",
            "not a known key",
        ),
        (
            "jurisdictions:\n  ucpa: {name: Utah, region: US-UT, timezone: UTC, requests: {}}\n",
            "jurisdictions.ucpa",
            "missing: access, categories",
        ),
        ("jurisdictions:\n  ucpa: 45\n", "jurisdictions.ucpa", "mapping"),
        ("jurisdictions: [ucpa]\n", "jurisdictions", "map each key"),
    ],
)
def test_a_malformed_file_names_the_file_and_the_key(
    tmp_path: Path, text: str, key: str, words: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(RuleSetError) as caught:
        load_rule_sets(path)
    error = caught.value
    assert error.file == str(path)
    assert error.key is not None and error.key.startswith(key)
    assert str(path) in str(error) and key in str(error)
    assert words in str(error)


@pytest.mark.parametrize("text", ["rules: {}\n", "- ccpa\n", "jurisdictions: {ucpa: [\n"])
def test_a_file_of_the_wrong_shape_is_named(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(RuleSetError, match="rules.yaml"):
        load_rule_sets(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(RuleSetError, match="absent.yaml"):
        load_rule_sets(tmp_path / "absent.yaml")


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    path = write(tmp_path, UTAH)
    assert rule_set("ucpa", path).name == "Utah Consumer Privacy Act"
    path.write_text(UTAH.replace("name: Utah Consumer Privacy Act", "name: Utah CPA"))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert rule_set("ucpa", path).name == "Utah CPA"


def test_rule_sets_are_frozen() -> None:
    ccpa: RuleSet = rule_set("ccpa")
    with pytest.raises(ValueError, match="frozen"):
        ccpa.timezone = "UTC"
