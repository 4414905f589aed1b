"""Store adapters behind one interface; a new kind of store is a plugin, not an engine edit."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points

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
from custos.stores.sql import SQLStore, safe_url

StoreFactory = Callable[[str, str], Store]

_BUILTIN: dict[str, StoreFactory] = {
    scheme: SQLStore for scheme in ("sqlite", "postgresql", "postgres", "mysql", "mariadb")
}


def _factories() -> dict[str, StoreFactory]:
    found = dict(_BUILTIN)
    for entry in entry_points(group="custos.stores"):
        found[entry.name] = entry.load()
    return found


def open_store(system: str, url: str) -> Store:
    """The adapter for ``url``, chosen by its scheme (``postgresql+psycopg`` → ``postgresql``)."""
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower() if ":" in url else ""
    factory = _factories().get(scheme)
    if factory is None:
        raise StoreError(
            f"no store adapter for URL scheme {scheme!r} (url {safe_url(url)}); "
            f"built in: {', '.join(sorted(_BUILTIN))}",
            system=system,
        )
    return factory(system, url)


__all__ = [
    "Assignment",
    "ColumnInfo",
    "ColumnKind",
    "LookupPlan",
    "SQLStore",
    "Selector",
    "Store",
    "StoreTransaction",
    "open_store",
]
