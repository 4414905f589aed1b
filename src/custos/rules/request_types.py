"""The request types Custos knows: the built-in ones and those plug-ins add.

A request type is a name (``access``), the words a person reads for it ("an access
request") and, wherever a law provides for it, a row in that law's ``rules.requests``. A
plug-in adds one by returning a ``RequestTypeSpec`` from the ``custos_request_types`` hook
and its handler from ``custos_request_handlers`` (docs/architecture.md); a law that has no
row for it does not provide for it. The built-in types are ``RequestType``'s members, and
every law must say of each whether it applies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from custos import plugins
from custos.rules.errors import RequestNotCoveredError
from custos.rules.models import RequestType

_NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


@dataclass(frozen=True)
class RequestTypeSpec:
    """One request type: its name and the words a person reads for it."""

    name: str
    label: str
    #: whether it changes or restricts the person's data (recipients are told of those)
    changes_data: bool = False
    #: a request of this type is run by a handler once verified (``False``: an operator decides it)
    runs: bool = True


BUILT_IN: dict[str, RequestTypeSpec] = {spec.name: spec for spec in (
    RequestTypeSpec(RequestType.ACCESS.value, "access"),
    RequestTypeSpec(RequestType.CATEGORIES.value, "categories of personal information"),
    RequestTypeSpec(RequestType.PORTABILITY.value, "data portability"),
    RequestTypeSpec(RequestType.ERASURE.value, "deletion", changes_data=True),
    RequestTypeSpec(RequestType.CORRECTION.value, "correction", changes_data=True),
    RequestTypeSpec(RequestType.RESTRICTION.value, "restriction of processing", changes_data=True),
    RequestTypeSpec(RequestType.OBJECTION.value, "objection", changes_data=True),
    RequestTypeSpec(RequestType.OPT_OUT_SALE_SHARING.value, "opt-out of sale or sharing", changes_data=True),
    RequestTypeSpec(RequestType.OPT_IN_SALE_SHARING.value, "opt-in to sale or sharing"),
    RequestTypeSpec(RequestType.LIMIT_SENSITIVE.value, "limit the use of sensitive information", changes_data=True),
    RequestTypeSpec(RequestType.WITHDRAW_CONSENT.value, "withdrawal of consent", changes_data=True),
    RequestTypeSpec(RequestType.APPEAL.value, "appeal", runs=False),
)}


def request_types() -> Mapping[str, RequestTypeSpec]:
    """Every request type by name: the built-in ones, then the plug-ins'."""
    found = dict(BUILT_IN)
    for specs in reversed(plugins.hook().custos_request_types()):
        for spec in specs or ():
            if not _NAME.match(spec.name):
                raise RequestNotCoveredError(f"a request type is named in lower-case letters, digits and _, "
                                             f"not {spec.name!r}")
            if spec.name in BUILT_IN:
                raise RequestNotCoveredError(f"request type {spec.name!r} is built in; a plug-in adds new ones")
            found[spec.name] = spec
    return found


def request_kind(value: RequestType | str) -> RequestType | str:
    """``value`` as a request type: the ``RequestType`` member for a built-in one, the name for
    a plug-in's; ``RequestNotCoveredError`` listing the valid ones otherwise."""
    try:
        return RequestType(value)
    except ValueError:
        pass
    if isinstance(value, str) and value in request_types():
        return value
    raise RequestNotCoveredError(f"unknown request type {value!r}; valid types: {', '.join(request_types())}")


def label_of(kind: RequestType | str) -> str:
    """The words a person reads for a request type ("data portability")."""
    spec = request_types().get(str(kind))
    return spec.label if spec is not None else str(kind).replace("_", " ")
