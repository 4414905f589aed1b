"""SQL stores through SQLAlchemy Core: SQLite, PostgreSQL (psycopg 3), MySQL/MariaDB (PyMySQL).

Every statement is built from SQLAlchemy constructs with bound parameters; identity
values and masked values never reach SQL text. Keys travel in batches, so a collection
costs one statement per batch of keys, never one per row.
"""

from __future__ import annotations

import copy
import re
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from custos.errors import StoreError
from custos.matching import REMOVABLE, MatchRule
from custos.stores.base import Assignment, ColumnInfo, ColumnKind, LookupPlan, Selector
from custos.stores.sql.due import DueQueries
from custos.stores.sql.owners import OwnerQueries
from custos.stores.sql.scan import ScanQueries
from custos.stores.values import coerce

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


class SQLStore(DueQueries, OwnerQueries, ScanQueries):
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
        self._statements: dict[tuple[Any, ...], _Compiled] = {}
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
        with warnings.catch_warnings():
            # an index on an expression (such as the one a match rule recommends) is not reflected
            warnings.filterwarnings("ignore", message="Skipped unsupported reflection", category=sa_exc.SAWarning)
            constraints = inspector.get_unique_constraints(name, schema=schema)
            indexes = inspector.get_indexes(name, schema=schema)
        for constraint in constraints:
            if len(constraint["column_names"]) == 1:
                unique.add(constraint["column_names"][0])
        for index in indexes:
            if index.get("unique") and len(index["column_names"]) == 1 and index["column_names"][0]:
                unique.add(str(index["column_names"][0]))
        collations = self._collations(inspector, schema, name)
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
                collation=collations.get(col["name"]),
            )
        self._columns[collection] = columns
        self._tables[collection] = sa.Table(
            name,
            sa.MetaData(),
            *(sa.Column(col["name"], col["type"]) for col in raw),
            schema=schema,
        )

    def _collations(self, inspector: sa.Inspector, schema: str | None, name: str) -> dict[str, str]:
        if self.dialect not in ("mysql", "mariadb"):
            return {}
        query = sa.text(
            "SELECT COLUMN_NAME, COLLATION_NAME FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = COALESCE(:schema, DATABASE()) AND TABLE_NAME = :name"
        )
        bind = inspector.bind
        conn = bind if isinstance(bind, Connection) else None
        if conn is None:  # pragma: no cover - describe always inspects a connection
            return {}
        rows = conn.execute(query, {"schema": schema, "name": name})
        return {str(column): str(collation) for column, collation in rows if collation}

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
    def _fetch(self, conn: Connection, collection: str, selector: Selector, fields: Sequence[str]) -> list[dict[str, Any]]:
        table = self._table(collection)
        cols = [self._column(table, collection, f) for f in fields]
        rows: list[dict[str, Any]] = []
        match = self._match(collection, selector)
        for grouped in self._groups(collection, selector):
            shape = tuple(sorted((name, _bucket(len(values), self.batch_size)) for name, values in grouped.items()))
            key = ("select", collection, tuple(fields), shape, match)
            compiled = self._statements.get(key)
            if compiled is None:
                where = self._where(table, shape, dict(match))
                compiled = _Compiled(sa.select(*cols).where(where), self.engine.dialect)
                self._statements[key] = compiled
            rows.extend(compiled.rows(conn, self._key_params(grouped, shape), [c.name for c in cols]))
        return rows

    def fetch(self, collection: str, selector: Selector, fields: Sequence[str]) -> list[dict[str, Any]]:
        if selector.empty:
            return []
        with self._connect(f"reading {collection}") as conn:
            return self._fetch(conn, collection, selector, fields)

    def _update(self, conn: Connection, collection: str, selector: Selector, assignments: Sequence[Assignment]) -> int:
        """One UPDATE per batch of keys, compiled once per shape; only rows that still need it change."""
        table = self._table(collection)
        parts: list[tuple[str, str, int]] = []
        params: dict[str, Any] = {}
        for assignment in assignments:
            name = assignment.field
            self._column(table, collection, name)
            only = assignment.only_where_in
            if assignment.mapping is not None:
                pairs = sorted(((k, v) for k, v in assignment.mapping.items()
                                if k is not None and (only is None or k in only)), key=lambda kv: repr(kv[0]))
                if not pairs:
                    continue
                size = _bucket(len(pairs), self.batch_size)
                pairs += [pairs[-1]] * (size - len(pairs))
                for i, (old, new) in enumerate(pairs):
                    params[f"{name}_o{i}"], params[f"{name}_n{i}"] = old, new
                parts.append((name, "map", size))
            elif assignment.set_constant:
                targets = None if only is None else sorted((v for v in only if v is not None), key=repr)
                if targets == []:
                    continue
                size = 0 if targets is None else _bucket(len(targets), self.batch_size)
                for i, target in enumerate(_padded(targets or [], size)):
                    params[f"{name}_w{i}"] = target
                if assignment.constant is not None:
                    params[f"{name}_c"] = assignment.constant
                kind = "null" if assignment.constant is None else "fill" if assignment.fill_empty else "const"
                parts.append((name, kind, size))
        if not parts:
            return 0
        changed = 0
        match = self._match(collection, selector)
        for grouped in self._groups(collection, selector):
            shape = tuple(sorted((name, _bucket(len(values), self.batch_size)) for name, values in grouped.items()))
            key = ("update", collection, tuple(parts), shape, match)
            compiled = self._statements.get(key)
            if compiled is None:
                where = self._where(table, shape, dict(match))
                compiled = _Compiled(self._update_statement(table, parts, where, self.dialect), self.engine.dialect)
                self._statements[key] = compiled
            batch = {**params, **self._key_params(grouped, shape)}
            changed += compiled.execute(conn, batch)
        return changed

    @staticmethod
    def _update_statement(table: sa.Table, parts: list[tuple[str, str, int]], where: Any, dialect: str) -> Any:
        def bind(name: str, col: sa.Column[Any]) -> Any:
            return sa.bindparam(name, type_=col.type)

        def exact(col: sa.Column[Any], value: Any) -> Any:
            # MySQL/MariaDB compare text by the column's collation (case, accents, trailing
            # spaces); a mask replaces exactly the value read, so both sides compare as bytes
            if dialect in ("mysql", "mariadb") and isinstance(col.type, sa.String):
                return _Utf8Bytes(value)
            return value

        values: dict[str, Any] = {}
        guards: list[Any] = []
        for name, kind, size in parts:
            col = table.c[name]
            if kind == "map":
                olds = [bind(f"{name}_o{i}", col) for i in range(size)]
                values[name] = sa.case(*[(exact(col, col) == exact(col, olds[i]), bind(f"{name}_n{i}", col))
                                         for i in range(size)], else_=col)
                guards.append(col.in_(olds))
                continue
            new = sa.null() if kind == "null" else bind(f"{name}_c", col)
            if size:
                targets = [bind(f"{name}_w{i}", col) for i in range(size)]
                values[name] = sa.case((exact(col, col).in_([exact(col, t) for t in targets]), new), else_=col)
                guards.append(col.in_(targets))
            elif kind == "null":
                values[name] = new
                guards.append(col.is_not(None))
            elif kind == "fill":
                # a correction: every selected row gets the value, empty or not, compared exactly
                values[name] = new
                guards.append(sa.or_(col.is_(None), exact(col, col) != exact(col, new)))
            else:
                # an empty (NULL) value holds nothing to mask, and stays empty
                values[name] = sa.case((col.is_not(None), new), else_=col)
                guards.append(sa.and_(col.is_not(None), col != new))
        return sa.update(table).where(where, sa.or_(*guards)).values(values)

    def _match(self, collection: str, selector: Selector) -> tuple[tuple[str, MatchRule], ...]:
        """The selector's match rules, checked against the table; part of a statement's shape."""
        if not selector.match:
            return ()
        table = self._table(collection)
        for name in selector.match:
            self._column(table, collection, name)
        return tuple(sorted(selector.match.items()))

    def matched(self, table: sa.Table, name: str, rule: MatchRule) -> Any:
        """The column as ``rule`` compares it, in this dialect (bound values never enter the text)."""
        return match_expression(table.c[name], rule, self.dialect)

    def _collation(self, table: sa.Table, name: str) -> str | None:
        """MySQL/MariaDB: a text column's collation (``binary`` for other columns); else None."""
        if self.dialect not in ("mysql", "mariadb"):
            return None
        key = f"{table.schema + '.' if table.schema else ''}{table.name}"
        info = (self._columns.get(key) or {}).get(name)
        if info is None or info.kind is not ColumnKind.STRING:
            return None
        return info.collation or "binary"

    def _where(self, table: sa.Table, shape: tuple[tuple[str, int], ...],
               match: dict[str, MatchRule] | None = None) -> Any:
        """``col IN (...)`` per column of the shape (``(a, b) IN ((...), ...)`` for a composite key);
        a column under a match rule is compared as the rule makes it."""
        conditions = []
        for name, size in shape:
            names = name.split(",")
            cols = [table.c[n] for n in names]
            rule = (match or {}).get(name)
            if rule is not None:
                binds = [sa.bindparam(f"k_{name}_{i}", type_=sa.String()) for i in range(size)]
                conditions.append(self._matched_in(table, name, rule, binds))
            elif len(cols) == 1:
                conditions.append(cols[0].in_(
                    [sa.bindparam(f"k_{names[0]}_{i}", type_=cols[0].type) for i in range(size)]))
            else:
                conditions.append(sa.tuple_(*cols).in_([
                    sa.tuple_(*(sa.bindparam(f"k_{n}_{i}", type_=c.type) for n, c in zip(names, cols, strict=True)))
                    for i in range(size)]))
        return sa.or_(*conditions)

    def _matched_in(self, table: sa.Table, name: str, rule: MatchRule, binds: list[Any]) -> Any:
        column = table.c[name]
        collation = self._collation(table, name)
        if rule.exact and collation is None:
            return column.in_([sa.bindparam(b.key, b.value, type_=column.type) for b in binds])
        condition: Any = self.matched(table, name, rule).in_(binds)
        if collation is not None and _index_finds_superset(collation, rule):
            # MariaDB cannot index an expression, but where the column's collation already
            # folds case (``_ci``) and ignores trailing spaces (PAD SPACE), the column's own
            # index finds every row the rule can match; a leading space is a range of the same
            # index. The byte-exact comparison of the rule's expression then filters.
            near: Any = column.in_(binds)
            if rule.trim:
                near = sa.or_(near, column.like(sa.literal_column("' %'")))
            condition = sa.and_(near, condition)
        return condition

    @staticmethod
    def _key_params(grouped: dict[str, list[Any]], shape: tuple[tuple[str, int], ...]) -> dict[str, Any]:
        params: dict[str, Any] = {}
        sizes = dict(shape)
        for name, values in grouped.items():
            names = name.split(",")
            for i, value in enumerate(_padded(values, sizes[name])):
                if len(names) == 1:
                    params[f"k_{name}_{i}"] = value
                else:
                    params.update({f"k_{n}_{i}": v for n, v in zip(names, value, strict=True)})
        return params

    def _groups(self, collection: str, selector: Selector) -> Iterator[dict[str, list[Any]]]:
        """The selector's values per column, converted to the column's type, in batches."""
        table = self._table(collection)
        columns = self._columns[collection] or {}
        pairs: list[tuple[str, Any]] = []
        if len(selector.key_columns) > 1:
            names = selector.key_columns
            kinds = [columns[self._column(table, collection, n).name].kind for n in names]
            keys = {tuple(coerce(k, v) for k, v in zip(kinds, key, strict=True)) for key in selector.keys}
            pairs = [(",".join(names), key) for key in keys if None not in key]
        else:
            if selector.key_columns:
                by_field = {selector.key_columns[0]: [k[0] for k in selector.keys]}
            else:
                by_field = {name: list(values) for name, values in selector.any_of.items()}
            for name, values in by_field.items():
                self._column(table, collection, name)
                kind = columns[name].kind if name in columns else ColumnKind.OTHER
                if name in selector.match and not selector.match[name].exact:
                    kind = ColumnKind.STRING  # compared as the rule's text, whatever the column's type
                usable = {coerce(kind, v) for v in values} - {None}
                pairs.extend((name, v) for v in usable)
        for start in range(0, len(pairs), self.batch_size):
            grouped: dict[str, list[Any]] = {}
            for name, value in pairs[start : start + self.batch_size]:
                grouped.setdefault(name, []).append(value)
            yield grouped

    def _delete(self, conn: Connection, collection: str, selector: Selector) -> int:
        table = self._table(collection)
        deleted = 0
        match = self._match(collection, selector)
        for grouped in self._groups(collection, selector):
            shape = tuple(sorted((name, _bucket(len(values), self.batch_size)) for name, values in grouped.items()))
            key = ("delete", collection, shape, match)
            compiled = self._statements.get(key)
            if compiled is None:
                where = self._where(table, shape, dict(match))
                compiled = _Compiled(sa.delete(table).where(where), self.engine.dialect)
                self._statements[key] = compiled
            deleted += compiled.execute(conn, self._key_params(grouped, shape))
        return deleted

    # -- identity columns ---------------------------------------------------------------
    def sample(self, collection: str, field: str, limit: int = 1000) -> list[Any]:
        """Up to ``limit`` non-empty stored values of one column (a bounded read, never the table)."""
        table = self._table(collection)
        column = self._column(table, collection, field)
        statement = sa.select(column).where(column.is_not(None)).limit(limit)
        with self._connect(f"sampling {collection}.{field}") as conn:
            return [row[0] for row in conn.execute(statement)]

    def value_spread(self, collection: str, field: str) -> tuple[int, int, int]:
        """(non-empty values, distinct values, rows holding the most common value) of one
        column, counted in the database in one statement."""
        table = self._table(collection)
        column = self._column(table, collection, field)
        groups = (sa.select(sa.func.count().label("n")).where(column.is_not(None)).group_by(column)
                  .subquery("spread"))
        statement = sa.select(sa.func.coalesce(sa.func.sum(groups.c.n), 0), sa.func.count(),
                              sa.func.coalesce(sa.func.max(groups.c.n), 0))
        with self._connect(f"measuring {collection}.{field}") as conn:
            rows, distinct, top = conn.execute(statement).one()
        return int(rows), int(distinct), int(top)

    def lookup_plan(self, collection: str, field: str, rule: MatchRule) -> LookupPlan:
        """Whether a lookup of ``field`` under ``rule`` uses an index, and which index would help."""
        table = self._table(collection)
        self._column(table, collection, field)
        probe = sa.select(table.c[field]).where(
            self._matched_in(table, field, rule, [sa.literal("probe@example.invalid")]))
        sql = str(probe.compile(dialect=self.engine.dialect, compile_kwargs={"literal_binds": True}))
        with self._connect(f"explaining a lookup on {collection}") as conn:
            if self.dialect == "sqlite":
                details = [str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]
                scans = any(d.startswith("SCAN") for d in details)
            elif self.dialect == "postgresql":
                with conn.begin_nested() if conn.in_transaction() else conn.begin():
                    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
                    details = [str(r[0]) for r in conn.exec_driver_sql(f"EXPLAIN {sql}")]
                scans = any("Seq Scan" in d for d in details)
            else:
                rows = conn.exec_driver_sql(f"EXPLAIN {sql}").mappings().all()
                # "index" is a read of the whole index: every row all the same
                scans = any(str(r.get("type")).upper() in ("ALL", "INDEX") for r in rows)
        return LookupPlan(collection, field, rule.name, uses_index=not scans,
                          advice=None if not scans else self._index_advice(table, field, rule))

    def _index_advice(self, table: sa.Table, field: str, rule: MatchRule) -> str:
        collation = self._collation(table, field)
        if self.dialect in ("mysql", "mariadb") and not (
                rule.exact or (collation is not None and _index_finds_superset(collation, rule))):
            return (f"none: MariaDB and MySQL cannot use an index for the rule {rule.name!r} on this column "
                    f"(collation {collation or 'of a non-text column'}); each lookup reads the whole table")
        return match_index_sql(table, field, rule, self.engine.dialect)

    @contextmanager
    def transaction(self) -> Iterator[SQLTransaction]:
        try:
            with self.engine.begin() as conn:
                yield SQLTransaction(self, conn)
        except StoreError:
            raise
        except sa_exc.SQLAlchemyError as exc:
            raise self._error(exc, "the transaction") from None


class _Utf8Bytes(FunctionElement[Any]):
    """MySQL/MariaDB: a text as its UTF-8 bytes, compared byte for byte (no collation folding
    case, accents or trailing spaces)."""

    inherit_cache = True
    type = sa.LargeBinary()


@compiles(_Utf8Bytes)
def _utf8_bytes(element: _Utf8Bytes, compiler: Any, **kw: Any) -> str:
    inner = compiler.process(list(element.clauses)[0], **kw)
    return f"CAST(CONVERT({inner} USING utf8mb4) AS BINARY)"


def match_expression(column: Any, rule: MatchRule, dialect: str) -> Any:
    """``column`` put through ``rule``'s steps: trim, remove separators, lower-case.

    The separators are literals from a fixed set (no quote or backslash can be among them),
    so the expression is the same text an index on it is created with.
    """
    mysql = dialect in ("mysql", "mariadb")
    expression: Any = column
    if not isinstance(column.type, sa.String):
        expression = sa.cast(column, sa.CHAR() if mysql else sa.String())
    if rule.trim:
        expression = sa.func.trim(expression)
    for ch in rule.remove:
        if ch not in REMOVABLE:  # pragma: no cover - rules are checked when the map loads
            raise ValueError(f"match rule {rule.name!r} removes {ch!r}, which is not a separator")
        expression = sa.func.replace(expression, sa.literal_column(f"'{ch}'"), sa.literal_column("''"))
    if rule.casefold:
        expression = sa.func.lower(expression)
    if mysql:
        expression = _Utf8Bytes(expression)
    return expression


def match_index_sql(table: sa.Table, field: str, rule: MatchRule, dialect: sa.Dialect, name: str | None = None) -> str:
    """``CREATE INDEX`` on the expression a lookup under ``rule`` uses (SQLite, PostgreSQL)."""
    name = name or f"ix_{table.name}_{field}_{rule.name}"[:60]
    target = f"{table.schema}.{table.name}" if table.schema else table.name
    if rule.exact or dialect.name in ("mysql", "mariadb"):
        return f"CREATE INDEX {name} ON {target} ({field})"
    expression = match_expression(table.c[field], rule, dialect.name)
    text = str(expression.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    text = text.replace(f"{table.name}.", "")
    return f"CREATE INDEX {name} ON {target} (({text}))" if dialect.name == "postgresql" \
        else f"CREATE INDEX {name} ON {target} ({text})"


def _index_finds_superset(collation: str, rule: MatchRule) -> bool:
    """Whether ``column IN (values)`` under ``collation`` finds every row ``rule`` matches."""
    name = collation.lower()
    if rule.remove:
        return False
    if rule.casefold and not name.endswith("_ci"):
        return False
    return not (rule.trim and "nopad" in name)


def _bucket(size: int, cap: int = DEFAULT_BATCH) -> int:
    """Sizes of IN lists and CASE branches come in few shapes (1, 4, 16, ...): each shape is
    compiled once, and the padding costs far less than compiling another statement."""
    bucket = 1
    while bucket < size:
        bucket *= 4
    return max(size, min(bucket, cap))


def _padded(values: list[Any], size: int) -> list[Any]:
    """``values`` repeated at the end up to ``size``: an IN list or CASE of a cached shape."""
    return values + [values[-1]] * (size - len(values)) if values else values


class _Compiled:
    """A statement compiled once, run through the driver with the types' own conversions.

    Bound values go through each parameter type's bind processor, and result columns
    through their result processors, exactly as SQLAlchemy would, without compiling the
    statement again for every batch of keys.
    """

    def __init__(self, statement: Any, dialect: sa.Dialect) -> None:
        # psycopg re-parses named placeholders of long statements on every call; compiled
        # with PostgreSQL's own $n placeholders, a raw cursor sends them as they are
        self.raw = dialect.driver == "psycopg"
        if self.raw:
            dialect = copy.copy(dialect)
            dialect.paramstyle, dialect.positional = "numeric_dollar", True
        compiled = statement.compile(dialect=dialect)
        self.sql: str = compiled.string
        self.positions = compiled.positiontup if compiled.positional else None
        self.dialect = dialect
        self.binds = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for name, bind in compiled.binds.items()
        }
        self.types = [c.type.dialect_impl(dialect) for c in getattr(statement, "selected_columns", [])]
        self.results: list[Any] | None = None  # from the driver's type codes on first use

    def _arguments(self, params: dict[str, Any]) -> Any:
        processed = {}
        for name, value in params.items():
            process = self.binds.get(name)
            processed[name] = process(value) if process is not None and value is not None else value
        return tuple(processed[p] for p in self.positions) if self.positions is not None else processed

    def _cursor(self, conn: Connection, arguments: Any) -> Any:
        dbapi = conn.connection.dbapi_connection
        if self.raw:
            import psycopg

            cursor: Any = psycopg.RawCursor(dbapi)  # type: ignore[call-overload]
        else:
            cursor = dbapi.cursor()  # type: ignore[union-attr]
        # listeners (instrumentation, tests) see every statement, as with SQLAlchemy's own
        conn.dispatch.before_cursor_execute(conn, cursor, self.sql, arguments, None, False)
        error = self.dialect.loaded_dbapi.Error
        try:
            cursor.execute(self.sql, arguments)
        except error as exc:
            cursor.close()
            # the same wrapping SQLAlchemy applies, without the bound values in the message
            raise sa_exc.DBAPIError.instance(self.sql, None, exc, error) from None
        return cursor

    def execute(self, conn: Connection, params: dict[str, Any]) -> int:
        """Run a write on the connection's driver cursor; the number of rows it changed."""
        cursor = self._cursor(conn, self._arguments(params))
        try:
            return max(int(cursor.rowcount or 0), 0)
        finally:
            cursor.close()

    def rows(self, conn: Connection, params: dict[str, Any], names: list[str]) -> list[dict[str, Any]]:
        """Run a SELECT on the connection's driver cursor (inside its transaction).

        SQLAlchemy's result objects cost several times the query itself on an indexed
        lookup, so statements skip them; the column types' conversions still apply.
        """
        cursor = self._cursor(conn, self._arguments(params))
        try:
            description = cursor.description or []
            fetched = cursor.fetchall()
        finally:
            cursor.close()
        if self.results is None:
            codes = [d[1] for d in description] or [None] * len(self.types)
            self.results = [t.result_processor(self.dialect, c) for t, c in zip(self.types, codes, strict=True)]
        processors = self.results
        return [
            {n: (p(v) if p is not None and v is not None else v) for n, p, v in zip(names, processors, raw, strict=True)}
            for raw in fetched
        ]


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
