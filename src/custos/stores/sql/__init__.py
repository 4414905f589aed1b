"""The SQL adapter: SQLite, PostgreSQL and MySQL/MariaDB through SQLAlchemy Core. Every
dialect detail of Custos lives in this package: the statements of the protocol
(``store.py``) and the retention queries (``due.py``)."""

from custos.stores.sql.store import (
    DEFAULT_BATCH,
    SQLStore,
    SQLTransaction,
    column_kind,
    match_expression,
    match_index_sql,
    normalize_url,
    safe_url,
)

__all__ = [
    "DEFAULT_BATCH",
    "SQLStore",
    "SQLTransaction",
    "column_kind",
    "match_expression",
    "match_index_sql",
    "normalize_url",
    "safe_url",
]
