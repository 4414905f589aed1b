"""The engine: traversal, plan, access, erasure, masking and the journal."""

from custos.engine.core import AccessResult, Engine
from custos.engine.journal import Journal
from custos.engine.masking import REDACTED, Masker, fit_problem
from custos.engine.results import CorrectionResult, ErasureResult, PlanResult
from custos.engine.subject import Subject, merge_subjects, normalize

__all__ = [
    "REDACTED",
    "AccessResult",
    "CorrectionResult",
    "Engine",
    "ErasureResult",
    "Journal",
    "Masker",
    "PlanResult",
    "Subject",
    "fit_problem",
    "merge_subjects",
    "normalize",
]
