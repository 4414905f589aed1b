"""What a data map says the company does with personal data, in the terms a notice needs.

The notice, the records of processing and the policy check all read the map through
this one view, so they can never disagree on what is collected, sold or kept.

- A category is **stored** when a field of a dataset holds it.
- A category is **processed** when it is stored, or when a purpose names it and no
  stored category lies within it (data a payment processor collects on the company's
  behalf is processed without being stored).
- A purpose **covers** a category when one of its categories is the category, lies
  within it or contains it; a purpose that names no category covers them all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from custos.datamap import DataMap, ErasureException, LawfulBasis, Purpose, Recipient
from custos.taxonomy import SENSITIVE_LETTER, Category, Taxonomy

PERMITTED_SENSITIVE_USES = ("essential", "functional")
"""Data uses within 11 CCR §7027(m): sensitive data used only for these needs no limit right."""


@dataclass(frozen=True)
class Holding:
    """One category of personal data the company processes, and where the map says so."""

    category: Category
    fields: tuple[str, ...] = ()
    purposes: tuple[str, ...] = ()

    @property
    def stored(self) -> bool:
        """True when a field of the company's stores holds this category."""
        return bool(self.fields)

    @property
    def letters(self) -> tuple[str, ...]:
        """The CCPA letters (A-L) this category is reported under."""
        return self.category.ccpa_letters


@dataclass(frozen=True)
class Evidence:
    """Why the map sells or shares: a recipient flag or a data use, with its purpose."""

    text: str
    purpose: str | None = None


@dataclass(frozen=True)
class Kept:
    """A field that survives erasure for an exception (``keep_for``)."""

    field: str
    category: str
    exception: ErasureException


@dataclass
class Practice:
    """The company's practice as the data map describes it."""

    datamap: DataMap
    holdings: dict[str, Holding] = field(default_factory=dict)
    sales: list[Evidence] = field(default_factory=list)
    sharing: list[Evidence] = field(default_factory=list)

    @property
    def taxonomy(self) -> Taxonomy:
        return self.datamap.taxonomy

    @property
    def purposes(self) -> list[Purpose]:
        return list(self.datamap.document.purposes)

    @property
    def recipients(self) -> dict[str, Recipient]:
        return self.datamap.recipients

    @property
    def stored(self) -> dict[str, Holding]:
        """The processed categories that a field holds."""
        return {key: h for key, h in self.holdings.items() if h.stored}

    def covers(self, purpose: Purpose, category: str) -> bool:
        """True when ``purpose`` processes ``category`` (see the module docstring)."""
        if not purpose.categories:
            return True
        return any(
            Taxonomy.is_within(category, named) or Taxonomy.is_within(named, category)
            for named in purpose.categories
        )

    def purposes_for(self, categories: Iterable[str]) -> list[Purpose]:
        """The purposes that cover any of ``categories``, in map order."""
        wanted = list(categories)
        return [p for p in self.purposes if any(self.covers(p, c) for c in wanted)]

    def recipients_of(self, purposes: Iterable[Purpose]) -> list[Recipient]:
        """The recipients those purposes disclose to, each once, in map order."""
        keys = {key for purpose in purposes for key in purpose.recipients}
        return [r for r in self.datamap.document.recipients if r.key in keys]

    def holdings_with_letter(self, letter: str) -> list[Holding]:
        """The processed categories reported under CCPA letter ``letter``."""
        return [h for h in self.holdings.values() if letter in h.letters]

    def sold(self, purposes: Iterable[Purpose] | None = None) -> list[Evidence]:
        """Evidence of sale, for ``purposes`` only when given (unattached recipients count)."""
        return _restricted(self.sales, purposes)

    def shared(self, purposes: Iterable[Purpose] | None = None) -> list[Evidence]:
        """Evidence of sharing for cross-context behavioral advertising (1798.140(ah))."""
        return _restricted(self.sharing, purposes)

    @property
    def sells_or_shares(self) -> bool:
        """True when the map sells or shares personal information."""
        return bool(self.sales or self.sharing)

    @property
    def relies_on_consent(self) -> bool:
        """True when some purpose has consent as its lawful basis."""
        return any(p.lawful_basis == LawfulBasis.CONSENT for p in self.purposes)

    @property
    def sensitive_beyond_permitted(self) -> bool:
        """True when sensitive data serves a use outside 11 CCR §7027(m)."""
        sensitive = [k for k, h in self.holdings.items() if SENSITIVE_LETTER in h.letters]
        for purpose in self.purposes_for(sensitive):
            if any(not use.startswith(PERMITTED_SENSITIVE_USES) for use in purpose.uses):
                return True
        return False

    def kept_fields(self) -> list[Kept]:
        """Fields kept through erasure for an exception, with the category they hold."""
        exceptions = self.datamap.exceptions
        kept: list[Kept] = []
        for info, data_field in self.datamap.personal_fields():
            exception = exceptions.get(data_field.keep_for or "")
            if exception is None:
                continue
            for category in data_field.categories:
                kept.append(Kept(f"{info.qualified}.{data_field.name}", category, exception))
        return kept


def read_practice(datamap: DataMap) -> Practice:
    """The practice of ``datamap``: processed categories, sales and sharing."""
    practice = Practice(datamap)
    taxonomy = datamap.taxonomy
    stored: dict[str, list[str]] = {}
    for info, data_field in datamap.personal_fields():
        for category in data_field.categories:
            stored.setdefault(category, []).append(f"{info.qualified}.{data_field.name}")
    keys = list(stored)
    for purpose in datamap.document.purposes:
        for named in purpose.categories:
            if named not in keys and not any(Taxonomy.is_within(s, named) for s in stored):
                keys.append(named)
    for key in keys:
        practice.holdings[key] = Holding(
            category=taxonomy.category(key),
            fields=tuple(stored.get(key, ())),
            purposes=tuple(p.key for p in datamap.document.purposes if practice.covers(p, key)),
        )
    _read_sales(practice)
    return practice


def _read_sales(practice: Practice) -> None:
    taxonomy = practice.taxonomy
    attached: set[str] = set()
    for purpose in practice.purposes:
        for key in purpose.recipients:
            recipient = practice.recipients.get(key)
            if recipient is None:
                continue
            attached.add(key)
            if recipient.sold:
                practice.sales.append(
                    Evidence(f"recipient {recipient.name!r} is marked sold: true", purpose.key)
                )
            if recipient.shared:
                practice.sharing.append(
                    Evidence(f"recipient {recipient.name!r} is marked shared: true", purpose.key)
                )
        for key in purpose.uses:
            use = taxonomy.data_use(key)
            if use.sale:
                practice.sales.append(
                    Evidence(f"purpose {purpose.name!r} uses {key} ({use.name}), a sale", purpose.key)
                )
            if use.sharing:
                practice.sharing.append(
                    Evidence(
                        f"purpose {purpose.name!r} uses {key} ({use.name}), a sharing for "
                        "cross-context behavioral advertising",
                        purpose.key,
                    )
                )
    for recipient in practice.datamap.document.recipients:
        if recipient.key in attached:
            continue
        if recipient.sold:
            practice.sales.append(Evidence(f"recipient {recipient.name!r} is marked sold: true"))
        if recipient.shared:
            practice.sharing.append(Evidence(f"recipient {recipient.name!r} is marked shared: true"))


def _restricted(evidence: list[Evidence], purposes: Iterable[Purpose] | None) -> list[Evidence]:
    if purposes is None:
        return list(evidence)
    keys = {p.key for p in purposes}
    return [e for e in evidence if e.purpose is None or e.purpose in keys]
