"""The record of processing activities of GDPR Art. 30(1), one row per purpose of the map.

Points (a) to (g): (a) the controller and its contacts, DPO and representative; (b) the
purpose; (c) the categories of data subjects and of personal data; (d) the categories of
recipients, third countries included; (e) transfers to third countries and their
safeguards; (f) the time limits for erasure; (g) the security measures.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Literal

from custos.datamap import DataMap, Duration, Purpose
from custos.errors import CustosError
from custos.notice.disclosure import transfers
from custos.notice.labels import Labels, humanize, labels
from custos.notice.practice import Practice, read_practice
from custos.notice.render import html_environment

RopaFormat = Literal["csv", "html"]

COLUMNS: tuple[tuple[str, str], ...] = (
    ("activity", "Processing activity"),
    ("controller", "(a) Controller"),
    ("controller_contact", "(a) Controller contact"),
    ("dpo", "(a) Data protection officer"),
    ("representative", "(a) Representative"),
    ("purpose", "(b) Purpose"),
    ("lawful_basis", "(b) Lawful basis"),
    ("subjects", "(c) Categories of data subjects"),
    ("categories", "(c) Categories of personal data"),
    ("recipients", "(d) Categories of recipients"),
    ("third_countries", "(d) Third countries"),
    ("transfers", "(e) Transfers to third countries and safeguards"),
    ("erasure", "(f) Time limits for erasure"),
    ("security", "(g) Technical and organisational security measures"),
)
"""Each column of the record: its key and its heading, lettered as Art. 30(1) letters it."""


class RopaFormatError(CustosError):
    """A record format other than csv or html."""

    code = "invalid_ropa_format"
    exit_code = 2


@dataclass(frozen=True)
class ProcessingRecord:
    """One processing activity (a purpose of the map) with points (a) to (g)."""

    activity: str
    controller: str
    controller_contact: str
    dpo: str
    representative: str
    purpose: str
    lawful_basis: str
    subjects: tuple[str, ...]
    categories: tuple[str, ...]
    recipients: tuple[str, ...]
    third_countries: tuple[str, ...]
    transfers: tuple[str, ...]
    erasure: tuple[str, ...]
    security: tuple[str, ...]

    def cells(self) -> dict[str, str]:
        """Every column as text; several values are joined with ``; ``."""
        cells: dict[str, str] = {}
        for key, _ in COLUMNS:
            value = getattr(self, key)
            cells[key] = "; ".join(value) if isinstance(value, tuple) else str(value)
        return cells


def records_of_processing(datamap: DataMap) -> list[ProcessingRecord]:
    """The Art. 30(1) record of ``datamap``, one entry per purpose, in map order."""
    practice = read_practice(datamap)
    words = labels()
    organization = datamap.organization
    contact = "; ".join(
        part for part in (organization.address, organization.privacy_contact, organization.phone) if part
    )
    security = tuple(organization.security_measures) or ("Not recorded in the data map",)
    return [
        ProcessingRecord(
            activity=purpose.key,
            controller=organization.name,
            controller_contact=contact,
            dpo=organization.dpo or "None designated",
            representative=organization.representative or "None designated",
            purpose=purpose.name + (f": {purpose.description}" if purpose.description else ""),
            lawful_basis=words.lawful_basis(purpose.lawful_basis)
            + (f": {purpose.legitimate_interest}" if purpose.legitimate_interest else ""),
            subjects=tuple(datamap.taxonomy.subjects.get(s, humanize(s)) for s in purpose.subjects)
            or ("Not recorded in the data map",),
            categories=_categories(practice, purpose),
            recipients=_recipients(practice, words, purpose) or ("None",),
            third_countries=_third_countries(practice, words, purpose) or ("None",),
            transfers=_transfers(practice, words, purpose) or ("None",),
            erasure=_erasure(practice, words, purpose),
            security=security,
        )
        for purpose in practice.purposes
    ]


def ropa_csv(records: list[ProcessingRecord]) -> str:
    """The record as CSV: a header row of the Art. 30(1) points, then one row per activity."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([title for _, title in COLUMNS])
    for record in records:
        cells = record.cells()
        writer.writerow([_spreadsheet_safe(cells[key]) for key, _ in COLUMNS])
    return buffer.getvalue()


def ropa_html(datamap: DataMap, records: list[ProcessingRecord]) -> str:
    """The record as a printable HTML page, one table per activity."""
    template = html_environment().get_template("ropa.html.j2")
    return template.render(
        organization=datamap.organization, records=records, columns=COLUMNS[5:]
    )


def render_ropa(datamap: DataMap, fmt: str) -> str:
    """The Art. 30(1) record of ``datamap`` as ``csv`` or ``html``."""
    records = records_of_processing(datamap)
    if fmt == "csv":
        return ropa_csv(records)
    if fmt == "html":
        return ropa_html(datamap, records)
    raise RopaFormatError(f"unknown record format {fmt!r}; use csv or html")


def _categories(practice: Practice, purpose: Purpose) -> tuple[str, ...]:
    keys = purpose.categories or list(practice.holdings)
    taxonomy = practice.taxonomy
    return tuple(f"{taxonomy.category(k).name} ({k})" for k in keys)


def _recipients(practice: Practice, words: Labels, purpose: Purpose) -> tuple[str, ...]:
    return tuple(
        f"{r.name} ({words.recipient_kind(r.kind).lower()})" for r in practice.recipients_of([purpose])
    )


def _third_countries(practice: Practice, words: Labels, purpose: Purpose) -> tuple[str, ...]:
    codes = [
        c for r in practice.recipients_of([purpose]) for c in r.countries if words.is_third_country(c)
    ]
    return tuple(dict.fromkeys(words.country(c) for c in codes))


def _transfers(practice: Practice, words: Labels, purpose: Purpose) -> tuple[str, ...]:
    return tuple(
        f"{t.recipient} to {t.country}: {t.safeguard}"
        for t in transfers(practice.recipients_of([purpose]), words)
    )


def _erasure(practice: Practice, words: Labels, purpose: Purpose) -> tuple[str, ...]:
    limits = [
        words.retention(purpose.retention) if purpose.retention else "No time limit recorded in the data map"
    ]
    for kept in practice.kept_fields():
        if not practice.covers(purpose, kept.category):
            continue
        exception = kept.exception
        until = f" for {Duration.parse(exception.until).describe()}" if exception.until else ""
        limits.append(f"{kept.field} kept{until} after erasure: {words.exception(exception)}")
    return tuple(dict.fromkeys(limits))


def _spreadsheet_safe(value: str) -> str:
    # A cell starting with = + - @ is a formula to a spreadsheet: prefix it so it stays text.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
