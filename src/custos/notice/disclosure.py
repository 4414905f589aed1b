"""Who receives personal data: recipients, what they receive, sale, sharing and transfers.

Shared by the notice (CCPA 1798.110(c)(4), 1798.115; GDPR Art. 13(1)(e), (f)) and the
records of processing (GDPR Art. 30(1)(d), (e)).
"""

from __future__ import annotations

from dataclasses import dataclass

from custos.datamap import Purpose, Recipient
from custos.notice.labels import Labels
from custos.notice.practice import Holding, Practice

NO_SAFEGUARD = "No safeguard recorded"
ADEQUACY = "Adequacy decision of the European Commission (GDPR Art. 45)"


@dataclass(frozen=True)
class RecipientRow:
    """A recipient, what it receives and whether that is a sale or a sharing."""

    name: str
    kind: str
    countries: tuple[str, ...]
    safeguards: str
    categories: tuple[str, ...]
    sold: bool
    shared: bool


@dataclass(frozen=True)
class Transfer:
    """A disclosure to a country outside the EU/EEA and its safeguard (GDPR Art. 13(1)(f))."""

    recipient: str
    country: str
    safeguard: str


def letters_of(holdings: list[Holding], letter_names: dict[str, str]) -> tuple[str, ...]:
    """The CCPA categories (``A. Identifiers``...) of ``holdings``, in letter order."""
    letters = sorted({letter for h in holdings for letter in h.letters})
    return tuple(letter_names[letter] for letter in letters)


def uses_sale(practice: Practice, purpose: Purpose, *, sale: bool) -> bool:
    """True when a data use of ``purpose`` is a sale (``sale``) or a sharing (otherwise)."""
    uses = [practice.taxonomy.data_use(u) for u in purpose.uses]
    return any(u.sale if sale else u.sharing for u in uses)


def receivers(practice: Practice, purposes: list[Purpose], *, sale: bool) -> tuple[str, ...]:
    """Who buys (``sale``) or receives for advertising (otherwise): recipients flagged so,
    and every recipient of a purpose whose data use is itself a sale or a sharing."""
    names: list[str] = []
    for purpose in purposes:
        recipients = practice.recipients_of([purpose])
        if uses_sale(practice, purpose, sale=sale):
            names.extend(r.name for r in recipients)
            if not recipients:
                names.append(f"Third parties ({purpose.name})")
        else:
            names.extend(r.name for r in recipients if (r.sold if sale else r.shared))
    return tuple(dict.fromkeys(names))


def letters_sold_or_shared(
    practice: Practice, letter_names: dict[str, str], *, sold: bool
) -> tuple[str, ...]:
    """The CCPA categories sold (``sold``) or shared (otherwise)."""
    evidence = practice.sales if sold else practice.sharing
    if not evidence:
        return ()
    purposes = {e.purpose for e in evidence}
    if None in purposes:  # a recipient flagged without a purpose: every category may go
        return letters_of(list(practice.holdings.values()), letter_names)
    chosen = [
        h for h in practice.holdings.values()
        if any(practice.covers(p, h.category.key) for p in practice.purposes if p.key in purposes)
    ]
    return letters_of(chosen, letter_names)


def recipient_rows(
    practice: Practice, words: Labels, letter_names: dict[str, str]
) -> tuple[RecipientRow, ...]:
    """Every recipient of the map with the CCPA categories its purposes disclose to it."""
    rows = []
    for recipient in practice.datamap.document.recipients:
        purposes = [p for p in practice.purposes if recipient.key in p.recipients]
        covered = [
            h for h in practice.holdings.values()
            if any(practice.covers(p, h.category.key) for p in purposes)
        ]
        rows.append(
            RecipientRow(
                name=recipient.name,
                kind=words.recipient_kind(recipient.kind),
                countries=tuple(words.country(c) for c in recipient.countries),
                safeguards=recipient.safeguards or "",
                categories=letters_of(covered, letter_names),
                sold=recipient.sold,
                shared=recipient.shared,
            )
        )
    return tuple(rows)


def transfers(recipients: list[Recipient], words: Labels) -> tuple[Transfer, ...]:
    """The transfers outside the EU/EEA of ``recipients``, each with its safeguard: the
    one the map records, else an adequacy decision where there is one."""
    found = []
    for recipient in recipients:
        for country in recipient.countries:
            if not words.is_third_country(country):
                continue
            if recipient.safeguards:
                safeguard = recipient.safeguards
            elif words.has_adequacy(country):
                safeguard = ADEQUACY
            else:
                safeguard = NO_SAFEGUARD
            found.append(Transfer(recipient.name, words.country(country), safeguard))
    return tuple(found)
