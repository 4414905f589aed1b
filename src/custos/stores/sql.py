"""SQL stores through SQLAlchemy Core: SQLite, PostgreSQL (psycopg 3), MySQL/MariaDB (PyMySQL).

Every statement is built from SQLAlchemy constructs with bound parameters; identity
values and masked values never reach SQL text. Keys travel in batches, so a collection
costs one statement per batch of keys, never one per row.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection, Engine, make_url

from custos.errors import StoreError
from custos.stores.base import Assignment, ColumnInfo, ColumnKind, Selector

DEFAULT_BATCH = 500

_DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg",
            "mysql": "mysql+pymysql", "mariadb": "mariadb+pymysql"}
_EXTRAS = {"psycopg": "postgres", "pymysql": "mysql", "psycopg2": "postgres", "mysqldb": "mysql"}


def normalize_url(url: str) -> URL:
    """Parse a SQLAlchemy URL, choosing the drivers Custos ships with when none is named."""
    parsed = make_url(url)
    if "+" not in parsed.drivername and parsed.drivername in _DRIVERS:
        parsed = parsed.set(drivername=_DRIVERS[parsed.drivername])
    return parsed


def safe_url(url: URL | str) -> str:
    """The URL with its password hidden, for messages."""
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except sa_exc.ArgumentError:
        return "<not a database URL>"
    return parsed.render_as_string(hide_password=True)


def column_kind(type_: sa.types.TypeEngine[Any]) -> ColumnKind:
    checks: list[tuple[type[Any], ColumnKind]] = [
        (sa.Boolean, ColumnKind.BOOLEAN),
        (sa.Uuid, ColumnKind.UUID),
        (sa.JSON, ColumnKind.JSON),
        (sa.String, ColumnKind.STRING),
        (sa.Integer, ColumnKind.INTEGER),
        (sa.Float, ColumnKind.FLOAT),
        (sa.Numeric, ColumnKind.DECIMAL),
        (sa.DateTime, ColumnKind.DATETIME),
        (sa.Date, ColumnKind.DATE),
        (sa.Time, ColumnKind.TIME),
        (sa.LargeBinary, ColumnKind.BINARY),
        (sa.types._Binary, ColumnKind.BINARY),
    ]
    for cls, kind in checks:
        if isinstance(type_, cls):
            return kind
    name = type(type_).__name__.upper()
    if "CHAR" in name or "TEXT" in name:
        return ColumnKind.STRING
    if "INT" in name:
        return ColumnKind.INTEGER
    return ColumnKind.OTHER


def coerce(kind: ColumnKind, value: Any) -> Any:
    """Convert a key found in one store to the type of the column it is matched against.

    Returns ``None`` when the value cannot possibly match (an email against an integer key).
    """
    if value is None:
        return None
    try:
        if kind is ColumnKind.STRING:
            return value if isinstance(value, str) else str(value)
        if kind is ColumnKind.INTEGER:
            if isinstance(value, bool):
                return int(value)
            if isinstance(value, int):
                return value
            if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,19}", value.strip()):
                return int(value)
            if isinstance(value, decimal.Decimal) and value == value.to_integral_value():
                return int(value)
            return None
        if kind is ColumnKind.UUID:
            return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
        if kind is ColumnKind.DECIMAL:
            return decimal.Decimal(str(value))
    except (ValueError, decimal.InvalidOperation):
        return None
    return value


class SQLStore:
    """A relational database reached through a SQLAlchemy URL."""

    def __init__(self, system: str, url: str, *, batch_size: int = DEFAULT_BATCH) -> None:
        self.system = system
        self.batch_size = batch_size
        try:
            self.url = normalize_url(url)
        except sa_exc.ArgumentError:
            raise StoreError(
                f"url {safe_url(url)!r} is not a database URL (e.g. sqlite:///shop.db, "
                "postgresql://user@host/db, mysql://user@host/db)",
                system=system,
            ) from None
        self._engine: Engine | None = None
        self._tables: dict[str, sa.Table] = {}
        self._columns: dict[str, dict[str, ColumnInfo] | None] = {}
        self._selects: dict[tuple[Any, ...], _CompiledSelect] = {}
        self._held: Connection | None = None

    # -- connection -----------------------------------------------------------------
    @property
    def dialect(self) -> str:
        return self.url.get_backend_name()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            if self.dialect == "sqlite":
                database = self.url.database or ""
                if database not in ("", ":memory:") and not database.startswith("file:"):
                    if not Path(database).exists():
                        raise StoreError(
                            f"SQLite database file {database!r} does not exist", system=self.system
                        )
            try:
                self._engine = sa.create_engine(self.url, pool_pre_ping=self.dialect != "sqlite")
            except (sa_exc.NoSuchModuleError, ModuleNotFoundError) as exc:
                extra = next((v for k, v in _EXTRAS.items() if k in str(exc).lower()), None)
                hint = f"; install it with pip install 'custos[{extra}]'" if extra else ""
                raise StoreError(f"no database driver for {self.url.drivername}{hint}", system=self.system) from None
            except sa_exc.ArgumentError as exc:
                raise StoreError(f"bad database URL {safe_url(self.url)}: {exc}", system=self.system) from None
        return self._engine

    def _error(self, exc: Exception, doing: str) -> StoreError:
        orig = getattr(exc, "orig", None) or exc
        text = " ".join(str(orig).split())
        password = self.url.password
        if password:
            text = text.replace(str(password), "***")
        text = re.sub(r"\[SQL:.*", "", text)[:500]
        return StoreError(f"{doing} failed on {safe_url(self.url)}: {text}", system=self.system)

    @contextmanager
    def _connect(self, doing: str) -> Iterator[Connection]:
        try:
            if self._held is not None:
                yield self._held
                return
            with self.engine.connect() as conn:
                yield conn
        except StoreError:
            raise
        except sa_exc.SQLAlchemyError as exc:
            raise self._error(exc, doing) from None

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Keep one connection for a series of reads (a traversal), instead of one per read."""
        if self._held is not None:
            yield
            return
        with self._connect("connecting") as conn:
            self._held = conn
            try:
                yield
            finally:
                self._held = None
                conn.rollback()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    # -- schema -----------------------------------------------------------------------
    @staticmethod
    def _split(collection: str) -> tuple[str | None, str]:
        schema, _, name = collection.rpartition(".")
        return (schema or None), name

    def describe(self, collections: Sequence[str]) -> dict[str, dict[str, ColumnInfo] | None]:
        missing = [c for c in collections if c not in self._columns]
        if missing:
            with self._connect("reading the schema") as conn:
                inspector = sa.inspect(conn)
                for collection in missing:
                    self._reflect(inspector, collection)
        return {c: self._columns[c] for c in collections}

    def _reflect(self, inspector: sa.Inspector, collection: str) -> None:
        schema, name = self._split(collection)
        if not inspector.has_table(name, schema=schema):
            self._columns[collection] = None
            return
        raw = inspector.get_columns(name, schema=schema)
        pk = set(inspector.get_pk_constraint(name, schema=schema).get("constrained_columns") or [])
        unique: set[str] = set()
        for constraint in inspector.get_unique_constraints(name, schema=schema):
            if len(constraint["column_names"]) == 1:
                unique.add(constraint["column_names"][0])
        for index in inspector.get_indexes(name, schema=schema):
            if index.get("unique") and len(index["column_names"]) == 1 and index["column_names"][0]:
                unique.add(str(index["column_names"][0]))
        columns: dict[str, ColumnInfo] = {}
        for col in raw:
            type_ = col["type"]
            length = getattr(type_, "length", None)
            columns[col["name"]] = ColumnInfo(
                name=col["name"],
                kind=column_kind(type_),
                type_name=str(type_.compile(dialect=self.engine.dialect)) if not isinstance(type_, sa.types.NullType) else "NULL",
                nullable=bool(col.get("nullable", True)) and col["name"] not in pk,
                length=length if isinstance(length, int) else None,
                primary_key=col["name"] in pk,
                unique=col["name"] in unique or (col["name"] in pk and len(pk) == 1),
            )
        self._columns[collection] = columns
        self._tables[collection] = sa.Table(
            name,
            sa.MetaData(),
            *(sa.Column(col["name"], col["type"]) for col in raw),
            schema=schema,
        )

    def _table(self, collection: str) -> sa.Table:
        if collection not in self._tables:
            described = self.describe([collection])[collection]
            if described is None:
                raise StoreError(f"table {collection!r} does not exist", system=self.system)
        return self._tables[collection]

    def _column(self, table: sa.Table, collection: str, name: str) -> sa.Column[Any]:
        if name not in table.c:
            raise StoreError(f"table {collection!r} has no column {name!r}", system=self.system)
        return table.c[name]

    # -- statements -------------------------------------------------------------------
    def _conditions(self, collection: str, selector: Selector) -> Iterator[sa.ColumnElement[bool]]:
        """One WHERE condition per batch of keys."""
        table = self._table(collection)
        columns = self._columns[collection] or {}
        if selector.key_columns:
            cols = [self._column(table, collection, c) for c in selector.key_columns]
            kinds = [columns[c].kind for c in selector.key_columns]
            keys = []
            for key in selector.keys:
                converted = tuple(coerce(k, v) for k, v in zip(kinds, key, strict=True))
                if all(v is not None for v in converted):
                    keys.append(converted)
            keys.sort(key=repr)
            for start in range(0, len(keys), self.batch_size):
                batch = keys[start : start + self.batch_size]
                if len(cols) == 1:
                    yield cols[0].in_([k[0] for k in batch])
                else:
                    yield sa.tuple_(*cols).in_(batch)
            return
        pairs: list[tuple[str, Any]] = []
        for name, values in selector.any_of.items():
            kind = columns[name].kind if name in columns else ColumnKind.OTHER
            usable = {coerce(kind, v) for v in values} - {None}
            pairs.extend((name, v) for v in sorted(usable, key=repr))
        for start in range(0, len(pairs), self.batch_size):
            grouped: dict[str, list[Any]] = {}
            for name, value in pairs[start : start + self.batch_size]:
                grouped.setdefault(name, []).append(value)
            yield sa.or_(*(self._column(table, collection, n).in_(v) for n, v in grouped.items()))

    def _fetch(self, conn: Connection, collection: str, selector: Selector, fields: Sequence[str]) -> list[dict[str, Any]]:
        if len(selector.key_columns) > 1:
            return self._fetch_by_tuples(conn, collection, selector, fields)
        table = self._table(collection)
        columns = self._columns[collection] or {}
        by_field: dict[str, list[Any]] = {}
        if selector.key_columns:
            name = selector.key_columns[0]
            by_field[name] = [k[0] for k in selector.keys]
        else:
            by_field = {name: list(values) for name, values in selector.any_of.items()}
        pairs: list[tuple[str, Any]] = []
        for name, values in by_field.items():
            self._column(table, collection, name)
            kind = columns[name].kind if name in columns else ColumnKind.OTHER
            usable = {coerce(kind, v) for v in values} - {None}
            pairs.extend((name, v) for v in sorted(usable, key=repr))
        rows: list[dict[str, Any]] = []
        for start in range(0, len(pairs), self.batch_size):
            grouped: dict[str, list[Any]] = {}
            for name, value in pairs[start : start + self.batch_size]:
                grouped.setdefault(name, []).append(value)
            compiled = self._compiled_select(collection, tuple(fields), grouped)
            rows.extend(compiled.run(conn, grouped))
        return rows

    def _compiled_select(self, collection: str, fields: tuple[str, ...], grouped: dict[str, list[Any]]) -> _CompiledSelect:
        """SQL compiled once per shape: the IN lists are padded to a power of two."""
        shape = tuple(sorted((name, _bucket(len(values))) for name, values in grouped.items()))
        key = (collection, fields, shape)
        compiled = self._selects.get(key)
        if compiled is None:
            table = self._table(collection)
            cols = [self._column(table, collection, f) for f in fields]
            conditions = [
                table.c[name].in_([sa.bindparam(f"{name}_{i}", type_=table.c[name].type) for i in range(size)])
                for name, size in shape
            ]
            statement = sa.select(*cols).where(sa.or_(*conditions))
            compiled = _CompiledSelect(statement.compile(dialect=self.engine.dialect), cols, dict(shape), self.engine.dialect)
            self._selects[key] = compiled
        return compiled

    def _fetch_by_tuples(self, conn: Connection, collection: str, selector: Selector, fields: Sequence[str]) -> list[dict[str, Any]]:
        table = self._table(collection)
        cols = [self._column(table, collection, f) for f in fields]
        rows: list[dict[str, Any]] = []
        for condition in self._conditions(collection, selector):
            result = conn.execute(sa.select(*cols).where(condition))
            rows.extend(dict(row._mapping) for row in result)
        return rows

    def fetch(self, collection: str, selector: Selector, fields: Sequence[str]) -> list[dict[str, Any]]:
        if selector.empty:
            return []
        with self._connect(f"reading {collection}") as conn:
            return self._fetch(conn, collection, selector, fields)

    def _update(self, conn: Connection, collection: str, selector: Selector, assignments: Sequence[Assignment]) -> int:
        table = self._table(collection)
        values: dict[str, Any] = {}
        guards: list[sa.ColumnElement[bool]] = []
        needs: sa.ColumnElement[bool]
        for assignment in assignments:
            col = self._column(table, collection, assignment.field)
            only = assignment.only_where_in
            if assignment.mapping is not None:
                mapping = {k: v for k, v in assignment.mapping.items()
                           if k is not None and (only is None or k in only)}
                if not mapping:
                    continue
                whens = [(col == sa.literal(old, col.type), sa.literal(new, col.type))
                         for old, new in sorted(mapping.items(), key=lambda kv: repr(kv[0]))]
                values[assignment.field] = sa.case(*whens, else_=col)
                guards.append(col.in_(list(mapping)))
            elif assignment.set_constant:
                # an empty (NULL) value holds nothing to mask, and stays empty
                if assignment.constant is None:
                    new: Any = sa.null()
                    needs = col.is_not(None)
                else:
                    constant = sa.literal(assignment.constant, col.type)
                    new = sa.case((col.is_not(None), constant), else_=col)
                    needs = sa.and_(col.is_not(None), col != constant)
                if only is not None:
                    targets = [v for v in only if v is not None]
                    if not targets:
                        continue
                    values[assignment.field] = sa.case((col.in_(targets), new), else_=col)
                    guards.append(col.in_(targets))
                else:
                    values[assignment.field] = new
                    guards.append(needs)
        if not values:
            return 0
        changed = 0
        for condition in self._conditions(collection, selector):
            result = conn.execute(sa.update(table).where(condition, sa.or_(*guards)).values(values))
            changed += max(result.rowcount or 0, 0)
        return changed

    def _delete(self, conn: Connection, collection: str, selector: Selector) -> int:
        table = self._table(collection)
        deleted = 0
        for condition in self._conditions(collection, selector):
            result = conn.execute(sa.delete(table).where(condition))
            deleted += max(result.rowcount or 0, 0)
        return deleted

    @contextmanager
    def transaction(self) -> Iterator[SQLTransaction]:
        try:
            with self.engine.begin() as conn:
                yield SQLTransaction(self, conn)
        except StoreError:
            raise
        except sa_exc.SQLAlchemyError as exc:
            raise self._error(exc, "the transaction") from None


def _bucket(size: int) -> int:
    bucket = 1
    while bucket < size:
        bucket *= 2
    return bucket


class _CompiledSelect:
    """A compiled SELECT run through the driver, with the column types' own conversions."""

    def __init__(self, compiled: sa.sql.compiler.Compiled, cols: list[sa.Column[Any]], sizes: dict[str, int],
                 dialect: sa.Dialect) -> None:
        self.sql = compiled.string
        self.positions = getattr(compiled, "positiontup", None) if getattr(compiled, "positional", False) else None
        self.names = [c.name for c in cols]
        self.sizes = sizes
        self.types = [c.type.dialect_impl(dialect) for c in cols]
        self.dialect = dialect
        self.results: list[Any] | None = None  # built from the driver's type codes on first use
        self.bind_for = {name: _type_bind(compiled, name, dialect) for name in sizes}

    def run(self, conn: Connection, grouped: dict[str, list[Any]]) -> list[dict[str, Any]]:
        params: dict[str, Any] = {}
        for name, values in grouped.items():
            process = self.bind_for[name]
            padded = values + [values[-1]] * (self.sizes[name] - len(values))
            for i, value in enumerate(padded):
                params[f"{name}_{i}"] = process(value) if process else value
        arguments: Any = tuple(params[p] for p in self.positions) if self.positions is not None else params
        result = conn.exec_driver_sql(self.sql, arguments)
        if self.results is None:
            codes = [d[1] for d in result.cursor.description] if result.cursor.description else [None] * len(self.types)
            self.results = [t.result_processor(self.dialect, code) for t, code in zip(self.types, codes, strict=True)]
        names, processors = self.names, self.results
        rows = []
        for raw in result.fetchall():
            rows.append({n: (p(v) if p is not None and v is not None else v)
                         for n, p, v in zip(names, processors, raw, strict=True)})
        return rows


def _type_bind(compiled: sa.sql.compiler.Compiled, name: str, dialect: sa.Dialect) -> Any:
    bind = compiled.binds.get(f"{name}_0")  # type: ignore[attr-defined]
    return bind.type.dialect_impl(dialect).bind_processor(dialect) if bind is not None else None


class SQLTransaction:
    """Reads and writes bound to one open transaction."""

    def __init__(self, store: SQLStore, conn: Connection) -> None:
        self.store = store
        self.conn = conn

    def _guard(self, doing: str, call: Any) -> Any:
        try:
            return call()
        except sa_exc.SQLAlchemyError as exc:
            raise self.store._error(exc, doing) from None

    def fetch(self, collection: str, selector: Selector, fields: Sequence[str]) -> list[dict[str, Any]]:
        if selector.empty:
            return []
        result: list[dict[str, Any]] = self._guard(
            f"reading {collection}", lambda: self.store._fetch(self.conn, collection, selector, fields))
        return result

    def update(self, collection: str, selector: Selector, assignments: Sequence[Assignment]) -> int:
        if selector.empty:
            return 0
        changed: int = self._guard(
            f"updating {collection}", lambda: self.store._update(self.conn, collection, selector, assignments))
        return changed

    def delete(self, collection: str, selector: Selector) -> int:
        if selector.empty:
            return 0
        deleted: int = self._guard(
            f"deleting from {collection}", lambda: self.store._delete(self.conn, collection, selector))
        return deleted


def json_value(value: Any) -> Any:
    """A value as a JSON type: dates and datetimes as ISO-8601 text, decimals as numbers."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        import base64

        return base64.b64encode(bytes(value)).decode()
    return value
