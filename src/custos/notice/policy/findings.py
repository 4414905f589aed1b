"""What the policy check reports: findings, each with its kind and the sentence it quotes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class FindingKind(StrEnum):
    """How a policy and the data map disagree.

    - ``contradiction``: the policy says something the map shows to be false;
    - ``undisclosed_practice``: the map shows a practice the policy does not mention;
    - ``missing_disclosure``: the policy lacks something the law in force requires.
    """

    CONTRADICTION = "contradiction"
    UNDISCLOSED_PRACTICE = "undisclosed_practice"
    MISSING_DISCLOSURE = "missing_disclosure"


KIND_ORDER = {kind: index for index, kind in enumerate(FindingKind)}


@dataclass(frozen=True)
class Finding:
    """One disagreement between the policy and the map.

    ``quote`` is the policy's sentence exactly as written and ``line`` where it starts;
    for something the policy leaves out, they point at the section where it belongs
    when the policy has one, else both are None. ``topic`` names what the finding is
    about (``category:biometric``, ``sale``, ``deadline:ccpa``, ``section:retention``...);
    ``evidence`` lists what in the map supports it.
    """

    kind: FindingKind
    topic: str
    explanation: str
    quote: str | None = None
    line: int | None = None
    context: str | None = None
    evidence: tuple[str, ...] = ()
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready data."""
        return {
            "kind": self.kind.value,
            "topic": self.topic,
            "quote": self.quote,
            "line": self.line,
            "context": self.context,
            "explanation": self.explanation,
            "evidence": list(self.evidence),
            "source": self.source,
        }


@dataclass
class PolicyReport:
    """Every finding of one check, contradictions first, then by line."""

    policy: str
    datamap: str
    jurisdictions: tuple[str, ...]
    sentences: int
    findings: list[Finding] = field(default_factory=list)

    def sort(self) -> None:
        """Contradictions first, then undisclosed practices, then missing disclosures."""
        self.findings.sort(key=lambda f: (KIND_ORDER[f.kind], f.line or 0, f.topic))

    def of_kind(self, kind: FindingKind) -> list[Finding]:
        """The findings of one kind, in report order."""
        return [f for f in self.findings if f.kind == kind]

    @property
    def contradictions(self) -> list[Finding]:
        """The findings that are contradictions."""
        return self.of_kind(FindingKind.CONTRADICTION)

    def summary(self) -> dict[str, int]:
        """How many findings of each kind."""
        counts = Counter(f.kind.value for f in self.findings)
        return {kind.value: counts.get(kind.value, 0) for kind in FindingKind}

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (``custos policy-check --json``)."""
        return {
            "policy": self.policy,
            "map": self.datamap,
            "jurisdictions": list(self.jurisdictions),
            "sentences": self.sentences,
            "summary": self.summary(),
            "findings": [f.to_dict() for f in self.findings],
        }

    def to_text(self) -> str:
        """The report for a terminal: one block per finding."""
        counts = self.summary()
        lines = [
            f"{self.policy}: {self.sentences} sentences checked against {self.datamap} "
            f"({', '.join(self.jurisdictions)})",
            ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items()),
        ]
        for finding in self.findings:
            where = f"line {finding.line}" if finding.line else "whole policy"
            lines.append("")
            lines.append(f"{finding.kind.value}  {where}  [{finding.topic}]")
            if finding.quote:
                lines.append(f'  "{finding.quote}"')
            lines.append(f"  {finding.explanation}")
            if finding.source:
                lines.append(f"  source: {finding.source}")
        return "\n".join(lines) + "\n"
