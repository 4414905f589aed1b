"""The policy check: an existing privacy policy read against the data map and the rules."""

from custos.notice.policy.check import PolicyReadError, check_policy, read_policy_file
from custos.notice.policy.document import Sentence, read_policy
from custos.notice.policy.findings import Finding, FindingKind, PolicyReport
from custos.notice.policy.lexicon import Lexicon, default_lexicon

__all__ = [
    "Finding",
    "FindingKind",
    "Lexicon",
    "PolicyReadError",
    "PolicyReport",
    "Sentence",
    "check_policy",
    "default_lexicon",
    "read_policy",
    "read_policy_file",
]
