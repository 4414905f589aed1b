"""The contents of a privacy notice, drawn from the data map (CCPA 1798.100, 1798.130(a)(5),
11 CCR §7011; GDPR Art. 13 and 14).

Everything here is plain data for the templates: they arrange it, they never decide it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from custos.datamap import DataMap, Duration, Purpose
from custos.notice.disclosure import (
    RecipientRow,
    Transfer,
    letters_of,
    letters_sold_or_shared,
    receivers,
    recipient_rows,
    transfers,
)
from custos.notice.labels import Labels, labels
from custos.notice.policy.lexicon import default_lexicon, matches
from custos.notice.practice import Holding, Practice, read_practice
from custos.notice.rights import RightInForce, rights_in_force
from custos.rules.calendar import shift_months
from custos.taxonomy import CCPA_LETTERS, SENSITIVE_LETTER

PRIVACY_CENTER_PATH = "/privacy-center"


@dataclass(frozen=True)
class CategoryRow:
    """One CCPA category (A-L) and what the company does with it."""

    letter: str
    name: str
    examples: str
    collected: bool
    held: tuple[str, ...]
    sources: tuple[str, ...]
    purposes: tuple[str, ...]
    disclosed_to: tuple[str, ...]
    sold_to: tuple[str, ...]
    shared_with: tuple[str, ...]
    retention: tuple[str, ...]

    @property
    def sensitive(self) -> bool:
        """True for L, sensitive personal information."""
        return self.letter == SENSITIVE_LETTER


@dataclass(frozen=True)
class PurposeRow:
    """A purpose with its lawful basis (the GDPR table)."""

    name: str
    description: str
    lawful_basis: str
    legitimate_interest: str
    uses: tuple[str, ...]
    categories: tuple[str, ...]
    subjects: tuple[str, ...]
    recipients: tuple[str, ...]
    retention: str
    automated_decisions: str


@dataclass(frozen=True)
class SourceRow:
    """A category of source and the CCPA categories it provides."""

    name: str
    categories: tuple[str, ...]


@dataclass(frozen=True)
class RetentionRow:
    """How long one category of data is kept, per purpose, and what survives erasure."""

    category: str
    key: str
    periods: tuple[str, ...]
    kept: tuple[str, ...]


@dataclass(frozen=True)
class Method:
    """A way to exercise a right."""

    label: str
    value: str
    href: str


@dataclass(frozen=True)
class Contacts:
    """Who the company is and how to reach it and its representatives."""

    organization: str
    address: str
    privacy_contact: str
    phone: str
    website: str
    dpo: str
    representative: str


@dataclass(frozen=True)
class NoticeContents:
    """Everything a notice states, in the order it states it."""

    organization: str
    updated: date
    review_by: date
    jurisdictions: tuple[str, ...]
    jurisdiction_keys: tuple[str, ...]
    contacts: Contacts
    categories: tuple[CategoryRow, ...]
    sources: tuple[SourceRow, ...]
    purposes: tuple[PurposeRow, ...]
    recipients: tuple[RecipientRow, ...]
    sold: tuple[str, ...]
    shared: tuple[str, ...]
    transfers: tuple[Transfer, ...]
    retention: tuple[RetentionRow, ...]
    rights: tuple[RightInForce, ...]
    methods: tuple[Method, ...]
    #: the telephone number is toll-free (CCPA asks for one, Cal. Civ. Code 1798.130(a)(1)(A))
    toll_free: bool = False
    #: the business operates exclusively online: an email address replaces the toll-free number
    online_only: bool = False
    #: where a person tells the business not to sell or share (the privacy center)
    opt_out_url: str = PRIVACY_CENTER_PATH

    @property
    def collected(self) -> tuple[CategoryRow, ...]:
        """The CCPA categories marked YES."""
        return tuple(row for row in self.categories if row.collected)

    @property
    def automated(self) -> tuple[PurposeRow, ...]:
        """The purposes that make automated decisions (GDPR Art. 13(2)(f))."""
        return tuple(p for p in self.purposes if p.automated_decisions)

    def applies(self, jurisdiction: str) -> bool:
        """True when the map names ``jurisdiction`` (``ccpa``, ``gdpr``...)."""
        return jurisdiction in self.jurisdiction_keys


def privacy_center_url(website: str | None) -> str:
    """``https://shop.example/privacy-center``, or the bare path without a website."""
    if not website:
        return PRIVACY_CENTER_PATH
    base = website.strip().rstrip("/")
    if "://" not in base:
        base = f"https://{base}"
    return base + PRIVACY_CENTER_PATH


def notice_contents(datamap: DataMap, updated: date) -> NoticeContents:
    """The contents of the notice of ``datamap``, last updated on ``updated``."""
    practice = read_practice(datamap)
    words = labels()
    organization = datamap.organization
    letter_names = {
        letter: f"{letter}. {datamap.taxonomy.ccpa_categories[letter].name}" for letter in CCPA_LETTERS
    }
    sold = letters_sold_or_shared(practice, letter_names, sold=True)
    shared = letters_sold_or_shared(practice, letter_names, sold=False)
    return NoticeContents(
        organization=organization.name,
        updated=updated,
        review_by=shift_months(updated, 12),
        jurisdictions=tuple(words.jurisdiction(k) for k in organization.jurisdictions),
        jurisdiction_keys=tuple(organization.jurisdictions),
        contacts=Contacts(
            organization=organization.name,
            address=organization.address or "",
            privacy_contact=organization.privacy_contact,
            phone=organization.phone or "",
            website=organization.website or "",
            dpo=organization.dpo or "",
            representative=organization.representative or "",
        ),
        categories=tuple(_category_row(practice, words, letter) for letter in CCPA_LETTERS),
        sources=_sources(practice, words, letter_names),
        purposes=tuple(_purpose_row(practice, words, p) for p in practice.purposes),
        recipients=recipient_rows(practice, words, letter_names),
        sold=sold,
        shared=shared,
        transfers=transfers(list(datamap.document.recipients), words),
        retention=_retention(practice, words),
        rights=tuple(rights_in_force(practice)),
        methods=_methods(organization.privacy_contact, organization.phone, organization.website),
        # the policy check's own reading of a toll-free number, so the notice passes it
        toll_free=bool(organization.phone and matches(default_lexicon().methods["toll_free"], organization.phone)),
        online_only=organization.online_only,
        opt_out_url=privacy_center_url(organization.website),
    )


def _names(practice: Practice, keys: list[str]) -> tuple[str, ...]:
    return tuple(practice.taxonomy.category(k).name for k in keys)


def _category_row(practice: Practice, words: Labels, letter: str) -> CategoryRow:
    official = practice.taxonomy.ccpa_categories[letter]
    holdings = practice.holdings_with_letter(letter)
    keys = [h.category.key for h in holdings]
    purposes = practice.purposes_for(keys) if keys else []
    recipients = practice.recipients_of(purposes)
    return CategoryRow(
        letter=letter,
        name=official.name,
        examples=official.examples,
        collected=bool(holdings),
        held=tuple(h.category.name for h in holdings),
        sources=tuple(dict.fromkeys(words.source(s) for p in purposes for s in p.sources)),
        purposes=tuple(p.name for p in purposes),
        disclosed_to=tuple(r.name for r in recipients),
        sold_to=receivers(practice, purposes, sale=True),
        shared_with=receivers(practice, purposes, sale=False),
        retention=tuple(_period(words, p) for p in purposes),
    )


def _period(words: Labels, purpose: Purpose) -> str:
    if purpose.retention is None:
        return f"{purpose.name}: as long as this purpose needs it"
    return f"{purpose.name}: {words.retention(purpose.retention)}"


def _sources(practice: Practice, words: Labels, letter_names: dict[str, str]) -> tuple[SourceRow, ...]:
    rows: dict[str, list[Holding]] = {}
    for purpose in practice.purposes:
        covered = [h for h in practice.holdings.values() if practice.covers(purpose, h.category.key)]
        for source in purpose.sources:
            rows.setdefault(words.source(source), []).extend(covered)
    return tuple(SourceRow(name, letters_of(found, letter_names)) for name, found in rows.items())


def _purpose_row(practice: Practice, words: Labels, purpose: Purpose) -> PurposeRow:
    taxonomy = practice.taxonomy
    categories = purpose.categories or list(practice.holdings)
    return PurposeRow(
        name=purpose.name,
        description=purpose.description or "",
        lawful_basis=words.lawful_basis(purpose.lawful_basis),
        legitimate_interest=purpose.legitimate_interest or "",
        uses=tuple(taxonomy.data_use(u).name for u in purpose.uses),
        categories=_names(practice, categories),
        subjects=tuple(taxonomy.subjects.get(s, s.replace("_", " ")) for s in purpose.subjects),
        recipients=tuple(r.name for r in practice.recipients_of([purpose])),
        retention=(
            words.retention(purpose.retention) if purpose.retention else "as long as this purpose needs it"
        ),
        automated_decisions=purpose.automated_decisions or "",
    )


def _retention(practice: Practice, words: Labels) -> tuple[RetentionRow, ...]:
    kept = practice.kept_fields()
    rows = []
    ordered = sorted(practice.holdings.values(), key=lambda h: (h.letters[:1], h.category.name))
    for holding in ordered:
        key = holding.category.key
        purposes = practice.purposes_for([key])
        extra = []
        for item in kept:
            if item.category != key:
                continue
            exception = item.exception
            period = f" for {Duration.parse(exception.until).describe()}" if exception.until else ""
            extra.append(f"Kept after a deletion request{period}: {words.exception(exception)}")
        rows.append(
            RetentionRow(
                category=holding.category.name,
                key=key,
                periods=tuple(_period(words, p) for p in purposes) or ("No set period",),
                kept=tuple(dict.fromkeys(extra)),
            )
        )
    return tuple(rows)


def _methods(privacy_contact: str, phone: str | None, website: str | None) -> tuple[Method, ...]:
    center = privacy_center_url(website)
    methods = [Method("Privacy center", center, center)]
    contact = privacy_contact.strip()
    if "@" in contact and "://" not in contact:
        methods.append(Method("Email", contact, f"mailto:{contact}"))
    else:
        methods.append(Method("Contact form", contact, contact))
    if phone:
        methods.append(Method("Telephone", phone, "tel:" + "".join(c for c in phone if c in "+0123456789")))
    return tuple(methods)
