"""What ``custos scan`` asks of a SQL store: its tables, their references, a bounded sample.

A sample is one statement per table and never a read of the whole table:

- PostgreSQL: ``TABLESAMPLE`` at the percentage that yields about the sample size from the
  planner's row estimate (``pg_class.reltuples``), then ``LIMIT``: ``SYSTEM`` (whole pages)
  on a large table, ``BERNOULLI`` (single rows) on one of a few pages;
- SQLite: rows at random ``rowid`` values between 1 and ``max(rowid)`` (the rowid index
  answers both);
- MariaDB/MySQL, and any table with a single integer key: a few runs of consecutive keys
  from random starting points, through the primary key's index.

A small table is read whole; a table with none of these, or a draw that came back nearly
empty, is read from its first rows, and the sample says so. Text is cut to ``TEXT_LIMIT``
characters in the database and binary columns come back as their length, so a 10 MB cell
costs what a short one does.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from custos.stores.base import TEXT_LIMIT, ColumnInfo, ColumnKind, ForeignKey, Sample

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from sqlalchemy.engine import Connection

_SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog", "pg_toast", "mysql", "performance_schema", "sys"})
_RUNS = 8


class ScanQueries:
    if TYPE_CHECKING:
        system: str

        @property
        def dialect(self) -> str: ...

        def _table(self, collection: str) -> sa.Table: ...

        def _connect(self, doing: str) -> AbstractContextManager[Connection]: ...

        def describe(self, collections: Sequence[str]) -> dict[str, dict[str, ColumnInfo] | None]: ...

    def tables(self) -> list[str]:
        """Every table the connection can see: the default schema's by name, others as ``schema.table``."""
        with self._connect("listing tables") as conn:
            inspector = sa.inspect(conn)
            default = inspector.default_schema_name
            names = list(inspector.get_table_names())
            if self.dialect == "postgresql":
                for schema in inspector.get_schema_names():
                    if schema != default and schema not in _SYSTEM_SCHEMAS and not schema.startswith("pg_"):
                        names.extend(f"{schema}.{t}" for t in inspector.get_table_names(schema=schema))
        return sorted(names)

    def foreign_keys(self, collection: str) -> list[ForeignKey]:
        schema, _, name = collection.rpartition(".")
        with self._connect(f"reading the references of {collection}") as conn:
            declared = sa.inspect(conn).get_foreign_keys(name, schema=schema or None)
        keys = []
        for fk in declared:
            referred = fk["referred_table"]
            if fk.get("referred_schema") and fk["referred_schema"] != (schema or None):
                referred = f"{fk['referred_schema']}.{referred}"
            elif schema:
                referred = f"{schema}.{referred}"
            keys.append(ForeignKey(tuple(fk["constrained_columns"]), referred, tuple(fk["referred_columns"])))
        return keys

    def sample_rows(self, collection: str, columns: Sequence[str], limit: int) -> Sample:
        table = self._table(collection)
        described = self.describe([collection])[collection] or {}
        selected = [_read(table.c[c], described[c].kind if c in described else ColumnKind.OTHER, self.dialect)
                    for c in columns]
        with self._connect(f"sampling {collection}") as conn:
            estimate = self._estimate(conn, table)
            if estimate is not None and estimate <= 2 * limit:
                rows = conn.execute(sa.select(*selected).limit(limit)).all()
                method = "all rows" if len(rows) < limit else "first rows"
                return Sample(tuple(columns), [tuple(r) for r in rows], estimate, method)
            key = _integer_key(table, described)
            statement, method = self._sampling(conn, table, selected, limit, estimate, key)
            rows = conn.execute(statement).all()
            if estimate and len(rows) < min(limit, estimate) // 4:  # an unlucky draw: read the first rows
                rows = conn.execute(sa.select(*selected).limit(limit)).all()
                method = "first rows"
        return Sample(tuple(columns), [tuple(r) for r in rows][:limit], estimate, method)

    def _estimate(self, conn: Connection, table: sa.Table) -> int | None:
        """The table's size as the database knows it without counting (SQLite: its largest rowid)."""
        if self.dialect == "postgresql":
            name = f"{table.schema}.{table.name}" if table.schema else table.name
            found = conn.execute(sa.text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:t)"),
                                 {"t": _quoted(name)}).scalar()
            return max(int(found), 0) if found is not None and found >= 0 else None
        if self.dialect in ("mysql", "mariadb"):
            found = conn.execute(sa.text(
                "SELECT TABLE_ROWS FROM information_schema.TABLES "
                "WHERE TABLE_SCHEMA = COALESCE(:s, DATABASE()) AND TABLE_NAME = :t"),
                {"s": table.schema, "t": table.name}).scalar()
            return int(found) if found is not None else None
        if self.dialect == "sqlite":
            try:
                found = conn.execute(sa.select(sa.func.max(sa.literal_column("rowid"))).select_from(table)).scalar()
            except sa.exc.OperationalError:  # a WITHOUT ROWID table
                return None
            return int(found or 0)
        return None

    def _sampling(self, conn: Connection, table: sa.Table, selected: list[Any], limit: int,
                  estimate: int | None, key: Any) -> tuple[Any, str]:
        if self.dialect == "postgresql" and estimate:
            # whole pages (SYSTEM) on a large table; single rows (BERNOULLI) on one of a few
            # pages, where a handful of sampled pages could miss every row
            percent = min(100.0, 100.0 * 3 * limit / estimate)
            method = sa.func.system if estimate >= 100 * limit else sa.func.bernoulli
            sampled = table.tablesample(method(percent))
            adapted = [sa.sql.util.ClauseAdapter(sampled).traverse(c) for c in selected]
            return sa.select(*adapted).limit(limit), "tablesample"
        if self.dialect == "sqlite" and estimate:
            rowid: Any = sa.literal_column("rowid")
            picks = random.sample(range(1, estimate + 1), min(estimate, 2 * limit))
            return sa.select(*selected).where(rowid.in_(picks)).limit(limit), "random keys"
        if key is not None:
            low, high = conn.execute(sa.select(sa.func.min(key), sa.func.max(key))).one()
            if low is not None and high is not None and high > low:
                size = max(1, limit // _RUNS)
                width = (int(high) - int(low)) / _RUNS  # one run in each of _RUNS equal slices: no overlap
                runs = []
                for part in range(_RUNS):
                    begin, end = int(low + part * width), int(low + (part + 1) * width)
                    start = random.randint(begin, max(begin, end - size))
                    bounded = key < end if part + 1 < _RUNS else key <= int(high)
                    runs.append(sa.select(*selected).where(key >= start, bounded).order_by(key).limit(size))
                return sa.union_all(*(r.subquery().select() for r in runs)), "key ranges"
        return sa.select(*selected).limit(limit), "first rows"


def _integer_key(table: sa.Table, described: dict[str, ColumnInfo]) -> Any:
    """The table's primary key when it is one integer column (from the reflected columns)."""
    keys = [info for info in described.values() if info.primary_key]
    if len(keys) != 1 or keys[0].kind is not ColumnKind.INTEGER:
        return None
    return table.c[keys[0].name]


def _read(column: Any, kind: ColumnKind, dialect: str) -> Any:
    """What is read of one column: text cut in the database, binary as its length."""
    if kind is ColumnKind.BINARY:
        return sa.func.length(column).label(column.name)
    if kind in (ColumnKind.STRING, ColumnKind.JSON, ColumnKind.OTHER):
        text = column if kind is ColumnKind.STRING else sa.cast(column, sa.Text)
        return sa.func.substr(text, 1, TEXT_LIMIT).label(column.name)
    return column


def _quoted(name: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))
