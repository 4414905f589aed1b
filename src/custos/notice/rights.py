"""The rights a notice explains, and the deadline each jurisdiction in force sets for them.

The catalogue is data (``data/rights.yaml``); the deadlines come from the rule sets of
``custos.rules``, so the notice states exactly the clock the request service runs.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from custos.notice.labels import labels, read_data
from custos.notice.practice import Practice
from custos.rules import RequestRule, RequestType, RuleSet, load_laws, rule_set

CONDITIONS = ("sells_or_shares", "sensitive_beyond", "consent_basis")


@dataclass(frozen=True)
class RightDefinition:
    """One right of the catalogue."""

    key: str
    name: str
    description: str
    request_types: tuple[RequestType, ...]
    jurisdictions: tuple[str, ...]
    when: str | None
    citations: dict[str, str]
    part_of: dict[str, str]
    policy_optional_in: tuple[str, ...] = ()
    #: per law, the provision that asks a policy to describe the right (else its citation)
    disclosures: dict[str, str] = field(default_factory=dict)

    def rule_in(self, rules: RuleSet) -> RequestRule | None:
        """The rule of the first request type of this right that ``rules`` covers."""
        for kind in self.request_types:
            if rules.covers(kind):
                return rules.rule(kind)
        return None

    def granted_by(self, rules: RuleSet) -> bool:
        """True when the jurisdiction of ``rules`` grants this right."""
        if not self.request_types:
            return rules.key in self.jurisdictions
        return self.rule_in(rules) is not None

    def called_for(self, practice: Practice) -> bool:
        """True when the map's practice makes this right worth explaining."""
        if self.when == "sells_or_shares":
            return practice.sells_or_shares
        if self.when == "sensitive_beyond":
            return practice.sensitive_beyond_permitted
        if self.when == "consent_basis":
            return practice.relies_on_consent
        return True


@dataclass(frozen=True)
class RightDeadline:
    """How one jurisdiction treats one right: its deadline in words and its sources."""

    jurisdiction: str
    label: str
    deadline: str
    citation: str
    source: str


@dataclass(frozen=True)
class RightInForce:
    """A right as the notice shows it: what it is and the deadline per jurisdiction."""

    definition: RightDefinition
    deadlines: tuple[RightDeadline, ...]

    @property
    def key(self) -> str:
        return self.definition.key

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def description(self) -> str:
        return self.definition.description


@functools.cache
def _definitions() -> tuple[dict[str, Any], ...]:
    entries = read_data("rights.yaml")["rights"]
    for entry in entries:
        when = entry.get("when")
        if when is not None and when not in CONDITIONS:
            raise ValueError(f"right {entry['key']}: unknown condition {when!r}")
    return tuple(entries)


def rights_catalogue() -> tuple[RightDefinition, ...]:
    """Every right Custos can explain, in the order a notice lists them, with what each law's
    file says of it (its citation, the right a policy may describe it under)."""
    laws = load_laws()
    catalogue = []
    for entry in _definitions():
        key = entry["key"]
        granted = {law_key: found.rights[key] for law_key, found in laws.items() if key in found.rights}
        catalogue.append(
            RightDefinition(
                key=key,
                name=entry["name"],
                description=" ".join(str(entry["description"]).split()),
                request_types=tuple(RequestType(t) for t in entry["request_types"]),
                jurisdictions=tuple(granted) if not entry["request_types"] else (),
                when=entry.get("when"),
                citations={law_key: right.citation for law_key, right in granted.items()},
                part_of={law_key: right.part_of for law_key, right in granted.items() if right.part_of},
                policy_optional_in=tuple(law_key for law_key, right in granted.items() if right.policy_optional),
                disclosures={law_key: right.disclosure for law_key, right in granted.items() if right.disclosure},
            )
        )
    return tuple(catalogue)


def rule_sets(jurisdictions: Iterable[str]) -> list[RuleSet]:
    """The rule sets of ``jurisdictions``, in the order given."""
    return [rule_set(key) for key in jurisdictions]


def rights_in_force(practice: Practice) -> list[RightInForce]:
    """The rights the map's jurisdictions grant and its practice calls for, with deadlines."""
    words = labels()
    sets = rule_sets(practice.datamap.organization.jurisdictions)
    found: list[RightInForce] = []
    for definition in rights_catalogue():
        if not definition.called_for(practice):
            continue
        deadlines: list[RightDeadline] = []
        for rules in sets:
            if not definition.granted_by(rules):
                continue
            rule = definition.rule_in(rules)
            deadlines.append(
                RightDeadline(
                    jurisdiction=rules.key,
                    label=words.jurisdiction(rules.key),
                    deadline=words.deadline(rule.respond, rule.extension) if rule else "",
                    citation=definition.citations.get(rules.key, ""),
                    source=rule.respond.source if rule else "",
                )
            )
        if deadlines:
            found.append(RightInForce(definition, tuple(deadlines)))
    return found
