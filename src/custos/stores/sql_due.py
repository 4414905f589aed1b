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
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from custos.stores.base import Assignment
from custos.stores.due import Due, DueSummary, Fresh, Link


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
    """The ``DueStore`` methods of the SQL store (mixed into ``SQLStore``)."""

    def _table(self, collection: str) -> sa.Table:
        raise NotImplementedError

    def _connect(self, doing: str) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def _sa(self) -> Engine:
        raise NotImplementedError

    # -- the condition ------------------------------------------------------------------
    def _anchored(self, table: Any, due: Due) -> Any:
        zone = dt.UTC if due.zone == "UTC" else ZoneInfo(due.zone)
        cols = [table.c[name] for name in due.anchors]
        conditions: list[Any] = [sa.func.coalesce(*cols).is_not(None) if len(cols) > 1 else cols[0].is_not(None)]
        conditions += [sa.or_(c.is_(None), c < cutoff_for(c, due.cutoff, zone)) if len(cols) > 1
                       else c < cutoff_for(c, due.cutoff, zone) for c in cols]
        for fresh in due.fresh:
            conditions.append(~sa.exists().where(self._fresh(table, fresh, due, zone)))
        return sa.and_(*conditions)

    def _fresh(self, anchor: Any, fresh: Fresh, due: Due, zone: dt.tzinfo) -> Any:
        other = self._table(fresh.table).alias(f"fresh_{fresh.table.replace('.', '_')}")
        recent = [other.c[a] >= cutoff_for(other.c[a], due.cutoff, zone) for a in fresh.activity]
        return sa.and_(other.c[fresh.field] == anchor.c[fresh.key], sa.or_(*recent))

    def _undated(self, table: Any, due: Due) -> Any:
        return sa.and_(*(table.c[name].is_(None) for name in due.anchors))

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
        return sa.and_(self._through(table, due.path, lambda t: self._anchored(t, due)), self._holding(table, due))

    def _anchor_table(self, due: Due, table: sa.Table) -> sa.Table:
        return self._table(due.path[-1].parent) if due.path else table

    # -- the DueStore methods -----------------------------------------------------------
    def due_summary(self, collection: str, due: Due) -> DueSummary:
        table = self._table(collection)
        anchor: Any = self._anchor_table(due, table)
        if anchor is table:
            anchor = anchor.alias("anchor_rows")
        cols = [anchor.c[name] for name in due.anchors]
        newest = cols[0] if len(cols) == 1 else _greatest(self._sa().dialect.name, cols)
        count = sa.select(sa.func.count()).select_from(table).where(self.due_condition(table, due))
        undated = sa.select(sa.func.count()).select_from(table).where(
            self._through(table, due.path, lambda t: self._undated(t, due)))
        # the oldest anchor among the anchor rows that make rows of this collection due
        # (a chain of two or more links: the oldest among every anchor row whose clock ran out)
        anchored = self._anchored(anchor, due)
        if len(due.path) == 1:
            linked = sa.select(table.c[due.path[0].field]).where(self.due_condition(table, due))
            anchored = sa.and_(anchored, anchor.c[due.path[0].parent_field].in_(linked))
        elif not due.path:
            anchored = sa.and_(anchored, self._holding(anchor, due))
        oldest = sa.select(sa.func.min(newest)).select_from(anchor).where(anchored)
        with self._connect(f"counting due rows of {collection}") as conn:
            return DueSummary(int(conn.execute(count).scalar_one()), conn.execute(oldest).scalar(),
                              int(conn.execute(undated).scalar_one()))

    def due_keys(self, collection: str, key_columns: Sequence[str], due: Due,
                 after: tuple[Any, ...] | None, limit: int) -> list[tuple[Any, ...]]:
        table = self._table(collection)
        keys = [table.c[name] for name in key_columns]
        statement = sa.select(*keys).where(self.due_condition(table, due))
        if after is not None:
            statement = statement.where(keys[0] > after[0] if len(keys) == 1 else sa.tuple_(*keys) > sa.tuple_(*after))
        statement = statement.order_by(*keys).limit(limit)
        with self._connect(f"finding due rows of {collection}") as conn:
            return [tuple(row) for row in conn.execute(statement)]

    def delete_due(self, collection: str, due: Due) -> int:
        table = self._table(collection)
        with self._sa().begin() as conn:
            return int(conn.execute(sa.delete(table).where(self.due_condition(table, due))).rowcount or 0)

    def update_due(self, collection: str, due: Due, assignments: Sequence[Assignment]) -> int:
        table = self._table(collection)
        values = {a.field: a.constant for a in assignments if a.set_constant}
        if not values:
            return 0
        with self._sa().begin() as conn:
            statement = sa.update(table).where(self.due_condition(table, due)).values(values)
            return int(conn.execute(statement).rowcount or 0)


def _greatest(dialect: str, cols: list[sa.Column[Any]]) -> Any:
    """The newest of several columns, ignoring empty ones (SQLite's ``max`` and the others'
    ``greatest`` give NULL as soon as one argument is NULL, so each is coalesced first)."""
    filled = [sa.func.coalesce(c, *(o for o in cols if o is not c)) for c in cols]
    return sa.func.max(*filled) if dialect == "sqlite" else sa.func.greatest(*filled)

