"""The person's language: which one a request is answered in, and the words the mails share.

The map's ``organization.languages`` says which languages the company writes to people in
(the first is its default). A request takes the language the person asked in: the API's
``language``, else the best of the browser's ``Accept-Language`` among those the map offers,
else the default. Mail templates for a language live under ``templates/mail/<language>/``;
the service ships English and German, and a language the map offers without templates is
answered in English (``custos validate`` warns of it).

Sentences the service writes into mails itself (a completion's summary, "as soon as we can")
are looked up by their English text in ``CATALOG``; one without a translation stays English.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from custos.datamap import DataMap

#: languages the service's mails are written in
SHIPPED = ("en", "de")
DEFAULT = "en"

_MONTHS = {
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember"),
}

#: request types as a person reads them, by language (English comes from the rule sets)
LABELS: dict[str, dict[str, str]] = {
    "de": {
        "access": "Auskunft", "portability": "Datenübertragung", "categories": "Auskunft über Kategorien",
        "erasure": "Löschung", "correction": "Berichtigung", "restriction": "Einschränkung der Verarbeitung",
        "objection": "Widerspruch", "opt_out_sale_sharing": "Widerspruch gegen Verkauf und Weitergabe",
        "opt_in_sale_sharing": "Einwilligung in Verkauf und Weitergabe",
        "limit_sensitive": "Beschränkung sensibler Daten", "withdraw_consent": "Widerruf der Einwilligung",
        "appeal": "Überprüfung einer Entscheidung",
    },
}

#: fixed sentences of the service, by their English text
CATALOG: dict[str, dict[str, str]] = {
    "de": {
        "as soon as we can": "so bald wie möglich",
        "Your choice has been recorded and is in effect.": "Wir haben Ihre Entscheidung festgehalten; sie gilt ab sofort.",
        "We have stopped using your personal information for direct marketing.":
            "Wir verwenden Ihre personenbezogenen Daten nicht mehr für Direktwerbung.",
        "We keep your personal information but no longer use it. We will tell you before we lift this "
        "restriction.":
            "Wir bewahren Ihre personenbezogenen Daten auf, verwenden sie aber nicht mehr. Bevor wir diese "
            "Einschränkung aufheben, sagen wir es Ihnen.",
    },
}


def offered(datamap: DataMap) -> list[str]:
    return list(datamap.organization.languages)


def choose(datamap: DataMap, asked: str | None = None, accept_language: str | None = None) -> str:
    """The language to answer in: ``asked`` when the map offers it, else the best of
    ``Accept-Language`` (``de-CH,de;q=0.9,en;q=0.5``) that it offers, else its default."""
    languages = offered(datamap)
    if asked:
        primary = asked.strip().lower().split("-")[0]
        if primary in languages:
            return primary
    for tag in _ranked(accept_language or ""):
        if tag in languages:
            return tag
    return languages[0]


def _ranked(header: str) -> list[str]:
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header[:1000].split(",")[:30]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary and primary != "*" and quality > 0:
            weighted.append((-quality, position, primary))
    return [tag for _, _, tag in sorted(weighted)]


def written_in(language: str | None) -> str:
    """The language mails are rendered in: ``language`` when the service has its templates."""
    return language if language in SHIPPED else DEFAULT


def day(moment: datetime | None, language: str | None = DEFAULT) -> str:
    """``04 December 2026``; ``4. Dezember 2026``."""
    if moment is None:
        return ""
    months = _MONTHS.get(written_in(language))
    if months is None:
        return moment.strftime("%d %B %Y")
    return f"{moment.day}. {months[moment.month - 1]} {moment.year}"


def label(kind: str, english: str, language: str | None) -> str:
    return LABELS.get(written_in(language), {}).get(kind, english)


def say(text: str, language: str | None) -> str:
    """A fixed sentence of the service in ``language``, or as it is when no translation exists."""
    return CATALOG.get(written_in(language), {}).get(text, text)
