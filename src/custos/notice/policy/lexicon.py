"""The lexicon of the policy check, compiled from ``data/policy_lexicon.yaml``.

It is data: the words policies use for each category, right, section and law. A new
phrase is a line of YAML, not a change of code.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from custos.notice.labels import read_data
from custos.rules import load_laws

Patterns = tuple[re.Pattern[str], ...]


def term_pattern(*terms: str) -> re.Pattern[str]:
    """Plain phrases as one pattern: case-insensitive, on word boundaries, a space also
    matching a hyphen, a plural ``s`` or ``es`` allowed; the longest phrase wins."""
    bodies = [
        r"[\s\-]+".join(re.escape(word) for word in term.split())
        for term in sorted(terms, key=len, reverse=True)
    ]
    return re.compile(rf"(?<![\w-])(?:{'|'.join(bodies)})(?:s|es)?(?![\w-])", re.IGNORECASE)


def compile_all(patterns: Iterable[str]) -> Patterns:
    """Regular expressions, case-insensitive."""
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


@functools.lru_cache(maxsize=512)
def _combined(patterns: Patterns) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p.pattern})" for p in patterns), re.IGNORECASE)


def matches(patterns: Patterns, text: str) -> bool:
    """True when one of ``patterns`` occurs in ``text`` (searched as one expression)."""
    combined = _combined(patterns)
    return combined is not None and combined.search(text) is not None


@dataclass(frozen=True)
class Topic:
    """The words that disclose some taxonomy categories."""

    key: str
    categories: tuple[str, ...]
    excludes: tuple[str, ...]
    terms: re.Pattern[str]
    exceptions: re.Pattern[str] | None

    def found(self, text: str) -> tuple[str, int, int] | None:
        """The first term of this topic in ``text`` (outside its exceptions), with its span."""
        if self.exceptions is not None:
            text = self.exceptions.sub(lambda m: " " * len(m.group(0)), text)
        match = self.terms.search(text)
        return (match.group(0), match.start(), match.end()) if match else None


@dataclass(frozen=True)
class Section:
    """A section a policy must have, and how to recognise it."""

    key: str
    title: str
    required_by: tuple[str, ...]
    when: str | None
    evidence: str
    source: str
    patterns: Patterns

    def required_under(self, jurisdictions: Iterable[str]) -> bool:
        """True when one of ``jurisdictions`` (or every law) requires this section."""
        return "all" in self.required_by or bool(set(self.required_by) & set(jurisdictions))


@dataclass(frozen=True)
class Refusal:
    """A statement that breaks a law whatever the map says: a sentence naming ``subject`` that
    ``refusal`` matches."""

    topic: str
    required_by: tuple[str, ...]
    source: str
    subject: Patterns
    refusal: Patterns


@dataclass(frozen=True)
class MethodMinimum:
    """How many ways to exercise rights a law asks for."""

    count: int
    source: str
    #: one of them must be a toll-free telephone number (unless the business is online only)
    toll_free: bool = False


@dataclass(frozen=True)
class Lexicon:
    """Every word list of the policy check, compiled."""

    topics: tuple[Topic, ...]
    ccpa_rows: Mapping[str, Patterns]
    jurisdiction_cues: Mapping[str, Patterns]
    clauses: Mapping[str, Patterns]
    sale: Mapping[str, Patterns]
    sharing: Mapping[str, Patterns]
    deadlines: Mapping[str, Patterns]
    deadline_request_types: Mapping[str, Patterns]
    rights_context: Patterns
    rights: Mapping[str, Patterns]
    methods_context: Patterns
    methods_not_a_request: Patterns
    methods_offer: Patterns
    methods: Mapping[str, Patterns]
    method_minimum: Mapping[str, MethodMinimum]
    updated: Patterns
    update_every_months: int
    update_required_by: tuple[str, ...]
    update_source: str
    sections: tuple[Section, ...]
    refusals: Mapping[str, Refusal]

    def topic(self, key: str) -> Topic:
        """The topic ``key``."""
        return next(t for t in self.topics if t.key == key)


def _topic(key: str, raw: Mapping[str, Any]) -> Topic:
    exceptions = [str(e) for e in raw.get("except", ())]
    return Topic(
        key=key,
        categories=tuple(raw["categories"]),
        excludes=tuple(raw.get("excludes", ())),
        terms=term_pattern(*(str(term) for term in raw["terms"])),
        exceptions=term_pattern(*exceptions) if exceptions else None,
    )


def _groups(raw: Mapping[str, Iterable[str]]) -> dict[str, Patterns]:
    return {str(key): compile_all(values) for key, values in raw.items()}


def default_lexicon() -> Lexicon:
    """The lexicon Custos ships, with each law's ``policy_cues`` from its file."""
    return _compiled(tuple((key, found.policy_cues) for key, found in load_laws().items()))


@functools.lru_cache(maxsize=8)
def _compiled(law_cues: tuple[tuple[str, tuple[str, ...]], ...]) -> Lexicon:
    raw = read_data("policy_lexicon.yaml")
    deadlines = dict(raw["deadlines"])
    request_types = deadlines.pop("request_types")
    methods = raw["methods"]
    updated = raw["updated"]
    return Lexicon(
        topics=tuple(_topic(key, entry) for key, entry in raw["topics"].items()),
        ccpa_rows=_groups(raw["ccpa_rows"]),
        jurisdiction_cues=_groups({**dict(law_cues), **raw["jurisdiction_cues"]}),
        clauses=_groups(raw["clauses"]),
        sale=_groups(raw["sale"]),
        sharing=_groups(raw["sharing"]),
        deadlines=_groups(deadlines),
        deadline_request_types=_groups(request_types),
        rights_context=compile_all(raw["rights"]["context"]),
        rights=_groups(raw["rights"]["patterns"]),
        methods_context=compile_all(methods["context"]),
        methods_not_a_request=compile_all(methods["not_a_request"]),
        methods_offer=compile_all(methods["offer"]),
        methods=_groups(methods["kinds"]),
        method_minimum={
            key: MethodMinimum(int(value["count"]), str(value["source"]), bool(value.get("toll_free", False)))
            for key, value in methods["minimum"].items()
        },
        updated=compile_all(updated["patterns"]),
        update_every_months=int(updated["at_least_every_months"]),
        update_required_by=tuple(updated["required_by"]),
        update_source=str(updated["source"]),
        refusals={
            key: Refusal(str(entry["topic"]), tuple(entry["required_by"]), str(entry["source"]),
                         compile_all(entry["subject"]), compile_all(entry["refusal"]))
            for key, entry in raw.get("refusals", {}).items()
        },
        sections=tuple(
            Section(
                key=entry["key"],
                title=entry["title"],
                required_by=tuple(entry["required_by"]),
                when=entry.get("when"),
                evidence=entry.get("evidence", "patterns"),
                source=entry["source"],
                patterns=compile_all(entry.get("patterns", ())),
            )
            for entry in raw["sections"]
        ),
    )
