"""Store adapters behind one interface; a new kind of store is a plug-in, not an engine edit.

The package holds the protocol (``base``, ``due``, ``values``) and the registry; the engine
imports nothing else of it. An adapter is found by its URL's scheme among the factories the
plug-ins give through the ``custos_store_factories`` hook (the built-in SQL adapter and the in-memory reference store
among them) and those a package names under the ``custos.stores`` entry-point group.
``custos.stores.testing`` is the conformance suite a new adapter runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib.metadata import entry_points

from custos import plugins
from custos.errors import StoreError
from custos.stores.base import (
    Assignment,
    ColumnInfo,
    ColumnKind,
    LookupPlan,
    Selector,
    Store,
    StoreTransaction,
)

StoreFactory = Callable[[str, str], Store]


def hide_password(url: str) -> str:
    """``scheme://user:***@host/...``: a URL fit for a message, whatever its scheme."""
    return re.sub(r"(://[^/:@]*:)[^@/]*@", r"\1***@", url)


def factories() -> dict[str, StoreFactory]:
    """Every store factory by URL scheme: the plug-ins' first, then the entry points'."""
    found: dict[str, StoreFactory] = plugins.merged(plugins.hook().custos_store_factories())
    for entry in entry_points(group="custos.stores"):
        found[entry.name] = entry.load()
    return found


def open_store(system: str, url: str) -> Store:
    """The adapter for ``url``, chosen by its scheme (``postgresql+psycopg`` → ``postgresql``)."""
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower() if ":" in url else ""
    known = factories()
    factory = known.get(scheme)
    if factory is None:
        raise StoreError(
            f"no store adapter for URL scheme {scheme!r} (url {hide_password(url)}); "
            f"installed: {', '.join(sorted(known))}",
            system=system,
        )
    return factory(system, url)


__all__ = [
    "Assignment",
    "ColumnInfo",
    "ColumnKind",
    "LookupPlan",
    "Selector",
    "Store",
    "StoreFactory",
    "StoreTransaction",
    "factories",
    "open_store",
]
