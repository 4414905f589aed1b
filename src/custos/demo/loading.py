"""Writing the sample shop into a database: tables, bulk rows, then indexes.

Indexes are created after the rows are in, which is several times faster than keeping
them up to date row by row. PostgreSQL takes rows through ``COPY`` (psycopg 3); other
stores through the driver's ``executemany`` of the ``INSERT`` SQLAlchemy compiles for the
table. SQLAlchemy's per-row parameter processing would cost more than the generation of
the rows, so values reach SQLite already in the form SQLAlchemy stores them in (ISO-8601
text for dates and times, floats for numerics); PyMySQL and psycopg take Python values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateIndex, CreateTable

from custos.demo.schema import TABLES, metadata
from custos.matching import BUILTIN
from custos.stores.sql import match_index_sql

Row = tuple[Any, ...]

_CHUNK = 20_000


def _chunks(rows: Sequence[Row], size: int) -> Iterator[Sequence[Row]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def recreate_tables(conn: Connection) -> None:
    """Drop the shop's tables if they exist and create them empty, without their indexes."""
    metadata.drop_all(conn, checkfirst=True)
    for table in TABLES:
        conn.execute(CreateTable(table))


#: identity columns and their match rules: indexed on the expression each lookup compares
MATCHED = (("customers", "email", "trim_casefold"), ("customers", "phone", "phone"),
           ("support_tickets", "email", "trim_casefold"), ("newsletter_subscribers", "email", "trim_casefold"))


def create_indexes(conn: Connection) -> None:
    for table in TABLES:
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            conn.execute(CreateIndex(index))
    if conn.dialect.name in ("mysql", "mariadb"):
        return  # no expression indexes there; the plain index on each column serves the lookup
    tables = {t.name: t for t in TABLES}
    for table_name, column, rule in MATCHED:
        conn.exec_driver_sql(match_index_sql(tables[table_name], column, BUILTIN[rule], conn.dialect,
                                             f"ix_{table_name}_{column}_match"))


def reset_sequences(conn: Connection) -> None:
    """Point PostgreSQL's id sequences past the ids written, so later inserts do not collide."""
    if conn.dialect.name != "postgresql":
        return  # SQLite and MariaDB continue after the largest id by themselves
    for table in TABLES:
        if "id" not in table.c:
            continue
        conn.execute(
            sa.select(sa.func.setval(
                sa.func.pg_get_serial_sequence(table.name, "id"),
                sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0) + 1).scalar_subquery(),
                False,
            ))
        )


def write_rows(conn: Connection, table: sa.Table, rows: Sequence[Row]) -> None:
    """Insert ``rows`` (tuples in the table's column order) into ``table``."""
    if not rows:
        return
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        _copy(conn, table, rows)
        return
    names = [column.name for column in table.columns]
    compiled = table.insert().compile(dialect=conn.dialect, column_keys=names)
    sql = str(compiled)
    if compiled.positional:
        if compiled.positiontup != names:
            raise AssertionError(f"{table.name}: INSERT parameters {compiled.positiontup} are not in column order")
        convert = _sqlite_row(table) if conn.dialect.name == "sqlite" else tuple
        for chunk in _chunks(rows, _CHUNK):
            conn.exec_driver_sql(sql, [convert(row) for row in chunk])
    else:  # named parameters (PyMySQL's pyformat): the bind names are the column names
        for chunk in _chunks(rows, _CHUNK):
            conn.exec_driver_sql(sql, [dict(zip(names, row, strict=True)) for row in chunk])


def _sqlite_datetime(value: dt.datetime) -> str:
    return value.isoformat(" ", "microseconds")  # SQLAlchemy's DATETIME storage format on SQLite


def _sqlite_date(value: dt.date) -> str:
    return value.isoformat()


def _sqlite_decimal(value: Decimal) -> float:
    return float(value)  # as SQLAlchemy's Numeric binds it where the driver has no decimal


def _sqlite_row(table: sa.Table) -> Callable[[Row], Row]:
    converters: list[tuple[int, Callable[[Any], Any]]] = []
    for index, column in enumerate(table.columns):
        if isinstance(column.type, sa.DateTime):
            converters.append((index, _sqlite_datetime))
        elif isinstance(column.type, sa.Date):
            converters.append((index, _sqlite_date))
        elif isinstance(column.type, sa.Numeric) and not isinstance(column.type, sa.Float):
            converters.append((index, _sqlite_decimal))

    def convert(row: Row) -> Row:
        values = list(row)
        for index, function in converters:
            value = values[index]
            if value is not None:
                values[index] = function(value)
        return tuple(values)

    return convert


def _copy(conn: Connection, table: sa.Table, rows: Sequence[Row]) -> None:
    from psycopg import sql

    raw = conn.connection.driver_connection
    assert raw is not None
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c.name) for c in table.columns)
    )
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
