"""``OwnerStore`` for SQL: nested ``IN`` subqueries up the references, one statement each."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from custos.stores.owners import Part

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from sqlalchemy.engine import Connection


class OwnerQueries:
    if TYPE_CHECKING:
        def _table(self, collection: str) -> sa.Table: ...

        def _connect(self, doing: str) -> AbstractContextManager[Connection]: ...

    def _keys(self, part: Part) -> Any:
        """The person keys of one part, as a SELECT of one column named ``k``."""
        table = self._table(part.collection)
        if not part.path:
            column = table.c[part.key or ""]
            return sa.select(column.label("k")).where(column.is_not(None))
        inner: Any = None
        current = table
        for step, link in enumerate(part.path):
            column = current.c[link.field]
            query = sa.select(column.label("k")).where(column.is_not(None))
            if inner is not None:
                previous = part.path[step - 1]
                query = query.where(current.c[previous.parent_field].in_(inner))
            inner = query
            current = self._table(link.parent) if step + 1 < len(part.path) else current
        return inner

    def _union(self, parts: Sequence[Part]) -> Any:
        selects: list[Any] = [self._keys(part) for part in parts]
        combined: Any = selects[0] if len(selects) == 1 else sa.union(*selects)
        return combined.subquery("people")

    def owner_count(self, parts: Sequence[Part]) -> int:
        people = self._union(parts)
        with self._connect("counting the people affected") as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(people)).scalar() or 0)

    def owner_values(self, person: str, key: str, field: str, parts: Sequence[Part], after: Any,
                     limit: int) -> list[tuple[Any, Any]]:
        table = self._table(person)
        people = self._union(parts)
        query = (sa.select(table.c[key], table.c[field]).where(table.c[key].in_(sa.select(people.c.k)))
                 .order_by(table.c[key]).limit(limit))
        if after is not None:
            query = query.where(table.c[key] > after)
        with self._connect(f"reading {person}.{field} of the people affected") as conn:
            return [(row[0], row[1]) for row in conn.execute(query)]

    def row_count(self, collection: str) -> int:
        table = self._table(collection)
        with self._connect(f"counting {collection}") as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() or 0)
