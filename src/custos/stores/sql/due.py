"""Retention conditions in SQL: the ``Due`` of ``custos.stores.due`` as one ``WHERE``.

A chain of references becomes nested ``IN`` subqueries
(``order_lines.order_id IN (SELECT orders.id FROM orders WHERE orders.customer_id IN
(SELECT customers.id FROM customers WHERE <anchors before the cut-off>))``), recent
activity elsewhere a correlated ``NOT EXISTS``. The cut-off is bound as a parameter in the
column's own form: a date for a DATE column, an aware instant for a column with a time
zone, the system's local wall-clock time for one without (UTC unless the system's
``timezone`` option says otherwise).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from custos.errors import StoreError
from custos.stores.base import Assignment
from custos.stores.due import Due, DueSummary, Fresh, Link, Route


def cutoff_for(column: sa.Column[Any], cutoff: dt.datetime, zone: dt.tzinfo) -> Any:
    """``cutoff`` as the column stores instants."""
    kind = column.type
    if isinstance(kind, sa.DateTime) and not isinstance(kind, sa.Date):
        if kind.timezone:
            return cutoff
        return cutoff.astimezone(zone).replace(tzinfo=None)
    if isinstance(kind, sa.Date) and not isinstance(kind, sa.DateTime):
        # a date's period ends with its last day: due once that day is over
        return cutoff.astimezone(zone).date()
    return cutoff.astimezone(zone).replace(tzinfo=None)


class DueQueries:
    """The ``DueStore`` methods of the SQL store (mixed into ``SQLStore``, which provides these)."""

    if TYPE_CHECKING:
        @property
        def engine(self) -> Engine: ...

        def _table(self, collection: str) -> sa.Table: ...

        def _connect(self, doing: str) -> AbstractContextManager[Connection]: ...

        def _error(self, exc: Exception, doing: str) -> StoreError: ...

    @contextmanager
    def _begin(self, doing: str) -> Iterator[Connection]:
        """One transaction; a database error becomes a ``StoreError`` that says what failed."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except StoreError:
            raise
        except sa_exc.SQLAlchemyError as exc:
            raise self._error(exc, doing) from None

    # -- the condition ------------------------------------------------------------------
    def _older(self, table: Any, anchors: Sequence[str], due: Due) -> Any:
        """Every non-empty one of ``anchors`` before the cut-off, and at least one set."""
        zone = dt.UTC if due.zone == "UTC" else ZoneInfo(due.zone)
        cols = [table.c[name] for name in anchors]
        if len(cols) == 1:
            return cols[0] < cutoff_for(cols[0], due.cutoff, zone)
        return sa.and_(sa.func.coalesce(*cols).is_not(None),
                       *(sa.or_(c.is_(None), c < cutoff_for(c, due.cutoff, zone)) for c in cols))

    def _dormant(self, table: Any, anchors: Sequence[str], fresh: Sequence[Fresh], due: Due) -> Any:
        """``_older`` on the row the clock is read from (without dates of its own: some row of
        ``fresh`` has a date), and no fresh row newer."""
        zone = dt.UTC if due.zone == "UTC" else ZoneInfo(due.zone)
        conditions = [self._older(table, anchors, due) if anchors else self._dated_elsewhere(table, fresh)]
        for other in fresh:
            conditions.append(~sa.exists().where(self._fresh(table, other, due, zone)))
        return sa.and_(*conditions)

    def _fresh(self, anchor: Any, fresh: Fresh, due: Due, zone: dt.tzinfo) -> Any:
        other = self._table(fresh.table).alias(f"fresh_{fresh.table.replace('.', '_')}")
        recent = [other.c[a] >= cutoff_for(other.c[a], due.cutoff, zone) for a in fresh.activity]
        return sa.and_(other.c[fresh.field] == anchor.c[fresh.key], sa.or_(*recent))

    def _dated_elsewhere(self, table: Any, fresh: Sequence[Fresh]) -> Any:
        """Some row of ``fresh`` belonging to this row has a date."""
        found = []
        for other in fresh:
            rows = self._table(other.table).alias(f"dated_{other.table.replace('.', '_')}")
            found.append(sa.exists().where(rows.c[other.field] == table.c[other.key],
                                           sa.or_(*(rows.c[a].is_not(None) for a in other.activity))))
        return sa.or_(*found)

    def _empty(self, table: Any, anchors: Sequence[str], fresh: Sequence[Fresh] = ()) -> Any:
        if not anchors:
            return ~self._dated_elsewhere(table, fresh)
        return sa.and_(*(table.c[name].is_(None) for name in anchors))

    def _through(self, table: Any, path: Sequence[Link], at_anchor: Any) -> Any:
        """Rows of ``table`` whose chain of references leads to an anchor row meeting ``at_anchor``."""
        if not path:
            return at_anchor(table)
        link = path[0]
        parent: Any = self._table(link.parent)
        if parent is table:
            parent = parent.alias("parent_" + link.parent.replace(".", "_"))
        inner = sa.select(parent.c[link.parent_field]).where(self._through(parent, path[1:], at_anchor))
        return table.c[link.field].in_(inner)

    def _route_dormant(self, table: Any, route: Route, due: Due) -> Any:
        return self._through(table, route.path, lambda t: self._dormant(t, route.anchors, route.fresh, due))

    def _clock_ran_out(self, table: Any, due: Due) -> Any:
        if not due.routes:
            return self._dormant(table, due.anchors, due.fresh, due)
        conditions: list[Any] = [self._older(table, due.anchors, due)] if due.anchors else []
        for route in due.routes:
            conditions.append(sa.or_(table.c[route.path[0].field].is_(None), self._route_dormant(table, route, due)))
        if not due.anchors:
            conditions.append(sa.or_(*(table.c[r.path[0].field].is_not(None) for r in due.routes)))
        return sa.and_(*conditions)

    def _no_date(self, table: Any, due: Due) -> Any:
        if not due.routes:
            return self._empty(table, due.anchors, due.fresh)
        conditions: list[Any] = [self._empty(table, due.anchors)] if due.anchors else []
        for route in due.routes:
            empty = self._through(table, route.path, lambda t, r=route: self._empty(t, r.anchors, r.fresh))
            conditions.append(sa.or_(table.c[route.path[0].field].is_(None), empty))
        return sa.and_(*conditions)

    def _holding(self, table: Any, due: Due) -> Any:
        if not due.holding:
            return sa.true()
        conditions: list[Any] = []
        for name, form in due.holding:
            column = table.c[name]
            if form == "set":
                conditions.append(column.is_not(None))
            else:
                conditions.append(sa.and_(column.is_not(None), column != form))
        return sa.or_(*conditions)

    def due_condition(self, table: Any, due: Due) -> Any:
        return sa.and_(self._clock_ran_out(table, due), self._holding(table, due))

    # -- the DueStore methods -----------------------------------------------------------
    def due_summary(self, collection: str, due: Due) -> DueSummary:
        table = self._table(collection)
        is_due, no_date = self.due_condition(table, due), self._no_date(table, due)
        # one pass over the table: the due rows, their oldest own date, the undated rows
        counted: list[Any] = [sa.func.sum(sa.case((is_due, 1), else_=0)), sa.func.sum(sa.case((no_date, 1), else_=0))]
        if due.anchors:
            counted.append(sa.func.min(sa.case((is_due, self._newest(table, due.anchors)), else_=None)))
        summary = sa.select(*counted).select_from(table)
        oldest: Any = None
        if not due.anchors and due.routes and due.routes[0].anchors:
            # the oldest date among the rows they belong to (through a chain of one link: those of due rows)
            route = due.routes[0]
            anchor: Any = self._table(route.path[-1].parent).alias("anchor_rows")
            anchored = self._dormant(anchor, route.anchors, route.fresh, due)
            if len(route.path) == 1:
                linked = sa.select(table.c[route.path[0].field]).where(self.due_condition(table, due))
                anchored = sa.and_(anchored, anchor.c[route.path[0].parent_field].in_(linked))
            oldest = sa.select(sa.func.min(self._newest(anchor, route.anchors))).select_from(anchor).where(anchored)
        # (a person dated only by their other rows' activity: no oldest date is shown)
        with self._connect(f"counting due rows of {collection}") as conn:
            row = conn.execute(summary).one()
            first = row[2] if due.anchors else (conn.execute(oldest).scalar() if oldest is not None else None)
            return DueSummary(int(row[0] or 0), first, int(row[1] or 0))

    def _newest(self, table: Any, anchors: Sequence[str]) -> Any:
        cols = [table.c[name] for name in anchors]
        return cols[0] if len(cols) == 1 else _greatest(self.engine.dialect.name, cols)

    def due_keys(self, collection: str, key_columns: Sequence[str], due: Due | None,
                 after: tuple[Any, ...] | None, limit: int) -> list[tuple[Any, ...]]:
        table = self._table(collection)
        keys = [table.c[name] for name in key_columns]
        statement = sa.select(*keys)
        if due is not None:
            statement = statement.where(self.due_condition(table, due))
        if after is not None:
            statement = statement.where(keys[0] > after[0] if len(keys) == 1 else sa.tuple_(*keys) > sa.tuple_(*after))
        statement = statement.order_by(*keys).limit(limit)
        with self._connect(f"finding due rows of {collection}") as conn:
            return [tuple(row) for row in conn.execute(statement)]

    def scan_keys(self, collection: str, key_columns: Sequence[str], after: tuple[Any, ...] | None,
                  limit: int) -> list[tuple[Any, ...]]:
        """Up to ``limit`` keys after ``after``, in key order (the key columns only)."""
        return self.due_keys(collection, key_columns, None, after, limit)

    def scan_values(self, collection: str, field: str, after: Any, limit: int) -> list[Any]:
        """Up to ``limit`` distinct non-empty values of one column after ``after``, in order."""
        table = self._table(collection)
        column = table.c[field]
        statement = sa.select(column).where(column.is_not(None)).distinct()
        if after is not None:
            statement = statement.where(column > after)
        with self._connect(f"reading {collection}.{field}") as conn:
            return [row[0] for row in conn.execute(statement.order_by(column).limit(limit))]

    def younger_than(self, collection: str, field: str, kind: str, age: int, today: dt.date,
                     consent: str | None, fields: Sequence[str], key_columns: Sequence[str],
                     after: tuple[Any, ...] | None, limit: int) -> list[dict[str, Any]]:
        """Rows of people under ``age`` on ``today`` (``field`` a birth date, or an age in years),
        without a parent's consent where ``consent`` names its field; in key order."""
        table = self._table(collection)
        column = table.c[field]
        if kind == "birth_date":
            born_after = shift_years(today, -age)
            condition: Any = column > born_after  # born on that day: turned ``age`` today
        else:
            condition = column < age
        if consent:
            condition = sa.and_(condition, table.c[consent].is_(None))
        keys = [table.c[name] for name in key_columns]
        statement = sa.select(*dict.fromkeys([*keys, *(table.c[f] for f in fields)])).where(condition)
        if after is not None and keys:
            statement = statement.where(keys[0] > after[0] if len(keys) == 1 else sa.tuple_(*keys) > sa.tuple_(*after))
        if keys:
            statement = statement.order_by(*keys)
        with self._connect(f"looking for minors in {collection}") as conn:
            return [dict(row) for row in conn.execute(statement.limit(limit)).mappings()]

    def _within(self, table: Any, due: Due, key_range: tuple[str, Any, Any] | None, skip: Sequence[Any]) -> list[Any]:
        where = [self.due_condition(table, due)]
        if key_range is not None:
            name, low, high = key_range
            column = table.c[name]
            where += [column >= low, column <= high]
            if skip:
                where.append(column.not_in(list(skip)))
        return where

    def delete_due(self, collection: str, due: Due, key_range: tuple[str, Any, Any] | None = None,
                   skip: Sequence[Any] = ()) -> int:
        table = self._table(collection)
        statement = sa.delete(table).where(*self._within(table, due, key_range, skip))
        with self._begin(f"deleting due rows of {collection}") as conn:
            return int(conn.execute(statement).rowcount or 0)

    def update_due(self, collection: str, due: Due, assignments: Sequence[Assignment],
                   key_range: tuple[str, Any, Any] | None = None, skip: Sequence[Any] = ()) -> int:
        table = self._table(collection)
        # a constant never replaces an empty value with a non-empty one
        values = {a.field: None if a.constant is None else
                  sa.case((table.c[a.field].is_(None), sa.null()), else_=sa.literal(a.constant, table.c[a.field].type))
                  for a in assignments if a.set_constant}
        if not values:
            return 0
        statement = sa.update(table).where(*self._within(table, due, key_range, skip)).values(values)
        with self._begin(f"anonymizing due rows of {collection}") as conn:
            return int(conn.execute(statement).rowcount or 0)


def shift_years(day: dt.date, years: int) -> dt.date:
    """``day`` moved by whole years; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _greatest(dialect: str, cols: list[sa.Column[Any]]) -> Any:
    """The newest of several columns, ignoring empty ones (SQLite's ``max`` and the others'
    ``greatest`` give NULL as soon as one argument is NULL, so each is coalesced first)."""
    filled = [sa.func.coalesce(c, *(o for o in cols if o is not c)) for c in cols]
    return sa.func.max(*filled) if dialect == "sqlite" else sa.func.greatest(*filled)

