"""The store conformance suite, run against the reference store and the SQL adapter on
SQLite, PostgreSQL and MariaDB: the adapters agree with the reference on every check."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping

import pytest
import sqlalchemy as sa

from custos.stores import Store, memory, open_store
from custos.stores.base import ColumnKind
from custos.stores.memory import Collection
from custos.stores.sql import normalize_url
from custos.stores.testing import MakeStore, StoreConformance

SQL_TYPES: dict[ColumnKind, sa.types.TypeEngine[object]] = {
    ColumnKind.INTEGER: sa.Integer(),
    ColumnKind.STRING: sa.String(255),
    ColumnKind.DATE: sa.Date(),
    ColumnKind.DATETIME: sa.DateTime(),
    ColumnKind.BOOLEAN: sa.Boolean(),
    ColumnKind.FLOAT: sa.Float(),
}


class TestMemoryStore(StoreConformance):
    @pytest.fixture
    def make_store(self) -> Iterator[MakeStore]:
        url = f"memory://conformance-{uuid.uuid4().hex[:8]}"

        def make(collections: Mapping[str, Collection]) -> Store:
            memory.load(url, collections)
            return open_store("crm", url)

        yield make
        memory.drop(url)


class TestSQLStore(StoreConformance):
    @pytest.fixture
    def make_store(self, db_url: str) -> Iterator[MakeStore]:
        engine = sa.create_engine(normalize_url(db_url))

        def make(collections: Mapping[str, Collection]) -> Store:
            metadata = sa.MetaData()
            tables = {
                name: sa.Table(name, metadata, *(
                    sa.Column(column, SQL_TYPES[kind], primary_key=column in held.key, autoincrement=False)
                    for column, kind in held.columns.items()))
                for name, held in collections.items()
            }
            metadata.create_all(engine)
            with engine.begin() as conn:
                for name, held in collections.items():
                    if held.rows:
                        conn.execute(sa.insert(tables[name]), held.rows)
            return open_store("crm", db_url)

        yield make
        engine.dispose()


def test_a_memory_url_names_its_store() -> None:
    from custos.errors import StoreError

    with pytest.raises(StoreError, match="memory://NAME"):
        open_store("crm", "memory://")
