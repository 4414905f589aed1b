"""Jurisdiction rule sets as data (deadlines, limits, verification levels) and legal clocks."""

from custos.rules.calendar import WorkingCalendar
from custos.rules.deadlines import DueDates, add_deadline, appeal_due, compute_due_dates
from custos.rules.errors import RequestNotCoveredError, RuleSetError, UnknownJurisdictionError
from custos.rules.frequency import FrequencyDecision, check_frequency
from custos.rules.loader import load_rule_sets, rule_set
from custos.rules.models import (
    Deadline,
    Extension,
    FrequencyLimit,
    Lookback,
    NotCovered,
    RecordKeeping,
    Refusal,
    RequestRule,
    RequestType,
    RuleSet,
    UniversalOptOut,
    Verification,
    VerificationLevel,
)

__all__ = [
    "Deadline",
    "DueDates",
    "Extension",
    "FrequencyDecision",
    "FrequencyLimit",
    "Lookback",
    "NotCovered",
    "RecordKeeping",
    "Refusal",
    "RequestNotCoveredError",
    "RequestRule",
    "RequestType",
    "RuleSet",
    "RuleSetError",
    "UniversalOptOut",
    "UnknownJurisdictionError",
    "Verification",
    "VerificationLevel",
    "WorkingCalendar",
    "add_deadline",
    "appeal_due",
    "check_frequency",
    "compute_due_dates",
    "load_rule_sets",
    "rule_set",
]
