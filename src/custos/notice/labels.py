"""The words a notice uses for the keys of a data map, read from ``data/labels.yaml``.

Country facts (which countries are in the EEA, which have an adequacy decision) come
from ``data/countries.yaml``. Both are data: a new source or a new adequacy decision is
a line in a file, not a change of code.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import yaml

from custos.datamap import Duration, ErasureException, LawfulBasis
from custos.datamap.models import Retention
from custos.rules import Deadline, Extension, load_laws


def read_data(name: str) -> Any:
    """A YAML file of ``custos/notice/data``, parsed."""
    text = files("custos.notice").joinpath("data").joinpath(name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def humanize(key: str) -> str:
    """``last_activity`` becomes ``last activity``."""
    return key.replace("_", " ").strip()


@dataclass(frozen=True)
class Labels:
    """Plain words for jurisdictions, lawful bases, sources, recipient kinds and periods."""

    jurisdictions: dict[str, str]
    lawful_bases: dict[str, dict[str, str]]
    sources: dict[str, str]
    recipient_kinds: dict[str, str]
    retention_from: dict[str, str]
    retention_then: dict[str, str]
    units: dict[str, list[str]]
    eea: frozenset[str]
    adequacy: frozenset[str]
    country_names: dict[str, str]

    def jurisdiction(self, key: str) -> str:
        """``California (CCPA)`` for ``ccpa``: the label of the law's file."""
        found = load_laws().get(key)
        if found is not None:
            return found.label
        return self.jurisdictions.get(key, key.upper())

    def lawful_basis(self, basis: LawfulBasis | str) -> str:
        """``Consent (GDPR Art. 6(1)(a))``."""
        entry = self.lawful_bases.get(str(basis))
        if entry is None:
            return humanize(str(basis))
        return f"{entry['name']} ({entry['article']})"

    def source(self, key: str) -> str:
        """The category of source a purpose names, in words."""
        return self.sources.get(key, humanize(key).capitalize())

    def recipient_kind(self, kind: str) -> str:
        """``Service providers`` for ``service_provider``."""
        return self.recipient_kinds.get(kind, humanize(kind).capitalize())

    def country(self, code: str) -> str:
        """``United States (US)``; an unknown code is shown as given."""
        name = self.country_names.get(code.upper())
        return f"{name} ({code.upper()})" if name else code

    def is_third_country(self, code: str) -> bool:
        """True when ``code`` lies outside the EU/EEA (GDPR Chapter V applies)."""
        return code.upper() not in self.eea

    def has_adequacy(self, code: str) -> bool:
        """True when the Commission decided ``code`` protects data adequately (Art. 45)."""
        return code.upper() in self.adequacy

    def retention(self, retention: Retention) -> str:
        """``3 years from your last activity with us, then we anonymize it``."""
        start = self.retention_from.get(retention.from_, f"from {humanize(retention.from_)}")
        then = self.retention_then.get(retention.then, humanize(retention.then))
        return f"{Duration.parse(retention.period).describe()} {start}, {then}"

    def exception(self, exception: ErasureException) -> str:
        """``Legal obligation (CCPA 1798.105(d)(8); GDPR Art. 17(3)(b))``."""
        cites = [
            text
            for text in (
                f"CCPA {exception.ccpa}" if exception.ccpa else "",
                f"GDPR Art. {exception.gdpr}" if exception.gdpr else "",
            )
            if text
        ]
        basis = humanize(str(exception.basis)).capitalize()
        return basis + (f" ({'; '.join(cites)})" if cites else "")

    def amount(self, amount: int, unit: str) -> str:
        """``45 calendar days``, ``1 month``."""
        singular, plural = self.units.get(unit, [humanize(unit), humanize(unit)])
        return f"{amount} {singular if amount == 1 else plural}"

    def deadline(self, deadline: Deadline, extension: Extension | None = None) -> str:
        """A response deadline in words, with its extension when the law allows one."""
        if not deadline.is_set:
            return "no fixed period"
        text = self.amount(deadline.amount, deadline.unit)
        if extension is not None:
            notice = extension.notify_within
            text += f", extendable by {self.amount(extension.amount, extension.unit)}"
            if notice.is_set:
                text += f" if we tell you why within {self.amount(notice.amount, notice.unit)}"
        return text


@functools.cache
def labels() -> Labels:
    """The labels Custos ships, read once per process."""
    words = read_data("labels.yaml")
    countries = read_data("countries.yaml")
    return Labels(
        jurisdictions={key: found.label for key, found in load_laws().items()},
        lawful_bases={k: dict(v) for k, v in words["lawful_bases"].items()},
        sources=dict(words["sources"]),
        recipient_kinds=dict(words["recipient_kinds"]),
        retention_from=dict(words["retention_from"]),
        retention_then=dict(words["retention_then"]),
        units={k: list(v) for k, v in words["units"].items()},
        eea=frozenset(countries["eea"]["countries"]),
        adequacy=frozenset(countries["adequacy"]["countries"]),
        country_names=dict(countries["names"]),
    )
