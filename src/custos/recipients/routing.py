"""Who is told of a request, worked out from the data map alone.

A recipient receives the categories of the purposes that name it. A request touches
categories (an erasure the categories of the fields it changed or deleted, a correction those
of the fields it corrected, a standing choice every category the recipient receives); a
recipient is told when it received one of them, through any purpose. An opt-out of sale or
sharing concerns only the recipients the data is sold or shared to, and a limit on sensitive
data only those that receive sensitive categories. A recipient may narrow the request types
it is told of (``requests:``); by default it hears of every type that changes or restricts data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from custos.datamap import DataMap
from custos.datamap.models import Recipient
from custos.rules import RequestType, request_types


@dataclass(frozen=True)
class Told:
    """One recipient to tell: which categories it received of those touched, through which purposes."""

    recipient: Recipient
    categories: tuple[str, ...]
    purposes: tuple[str, ...]


def covers(received: str, touched: str) -> bool:
    """A category received covers a touched one when either contains the other (``user.contact``
    and ``user.contact.email``)."""
    return received == touched or touched.startswith(received + ".") or received.startswith(touched + ".")


def touched_by_fields(datamap: DataMap, fields: Iterable[tuple[str, str]]) -> set[str]:
    """The categories of ``(collection, field)`` pairs of the map."""
    found: set[str] = set()
    for qualified, name in fields:
        info = datamap.collections.get(qualified)
        field = info.field(name) if info is not None else None
        if field is not None:
            found.update(field.categories)
    return found


def recipients_to_tell(datamap: DataMap, kind: str, touched: set[str] | None) -> list[Told]:
    """The recipients of the map to tell of a completed request of ``kind`` that touched the
    categories ``touched`` (``None``: a standing choice, which touches every category)."""
    spec = request_types().get(kind)
    sensitive = _sensitive(datamap) if kind == RequestType.LIMIT_SENSITIVE else None
    told: list[Told] = []
    for recipient in datamap.document.recipients:
        if recipient.requests is not None:
            if kind not in recipient.requests:
                continue
        elif spec is None or not spec.changes_data:
            continue
        if kind == RequestType.OPT_OUT_SALE_SHARING and not (recipient.sold or recipient.shared):
            continue
        categories: set[str] = set()
        purposes: list[str] = []
        for purpose in datamap.document.purposes:
            if recipient.key not in purpose.recipients:
                continue
            common = {c for c in purpose.categories
                      if (touched is None or any(covers(c, t) for t in touched))
                      and (sensitive is None or any(covers(c, s) for s in sensitive))}
            if common:
                categories |= common
                purposes.append(purpose.key)
        if categories:
            told.append(Told(recipient, tuple(sorted(categories)), tuple(purposes)))
    return told


def _sensitive(datamap: DataMap) -> set[str]:
    taxonomy = datamap.taxonomy
    found: set[str] = set()
    for purpose in datamap.document.purposes:
        for key in purpose.categories:
            if taxonomy.has_category(key):
                category = taxonomy.category(key)
                if category.ccpa_sensitive or category.gdpr_special:
                    found.add(key)
    return found
