"""The built-in store adapters, registered through the same hook as a third party's."""

from __future__ import annotations

from custos.hooks import hookimpl
from custos.stores.memory import SCHEME as MEMORY
from custos.stores.memory import MemoryStore
from custos.stores.sql import SQLStore

SQL_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql", "mariadb")


@hookimpl
def custos_store_factories() -> dict[str, object]:
    return {**dict.fromkeys(SQL_SCHEMES, SQLStore), MEMORY: MemoryStore}
