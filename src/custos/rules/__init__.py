"""The laws as data, one file per law (``rules/laws/<key>.yaml``): rule sets (deadlines,
limits, verification levels), labels, citations, policy cues; and the legal clocks."""

from custos.rules.calendar import WorkingCalendar
from custos.rules.deadlines import DueDates, add_deadline, appeal_due, compute_due_dates
from custos.rules.errors import RequestNotCoveredError, RuleSetError, UnknownJurisdictionError
from custos.rules.frequency import FrequencyDecision, check_frequency
from custos.rules.loader import (
    Law,
    LawRight,
    company_dir,
    configure,
    law,
    load_laws,
    load_rule_sets,
    rule_set,
)
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
from custos.rules.request_types import RequestTypeSpec, label_of, request_kind, request_types

__all__ = [
    "Deadline",
    "DueDates",
    "Extension",
    "FrequencyDecision",
    "FrequencyLimit",
    "Law",
    "LawRight",
    "Lookback",
    "NotCovered",
    "RecordKeeping",
    "Refusal",
    "RequestNotCoveredError",
    "RequestRule",
    "RequestType",
    "RequestTypeSpec",
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
    "company_dir",
    "compute_due_dates",
    "configure",
    "label_of",
    "law",
    "load_laws",
    "load_rule_sets",
    "request_kind",
    "request_types",
    "rule_set",
]
