"""The control-plane store: migrations match the models, on every store kind."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from custos.controlplane import Base, migrate
from tests.conftest import Databases

# The control-plane tables defined in custos.controlplane; other packages add their own tables
# through their own migrations on the same chain and check them themselves.
CONTROL_PLANE = frozenset({
    "requests", "identities", "verification_attempts", "request_results", "packages", "users", "api_keys",
    "jobs", "audit_log", "audit_head",
})


def _ours(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table in CONTROL_PLANE


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_migrations_build_exactly_the_models(kind: str, tmp_path: Path) -> None:
    databases = Databases(kind, tmp_path)
    try:
        engine = sa.create_engine(databases.new())
        migrate(engine)
        migrate(engine)  # a second run changes nothing
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_object": _ours})
            assert compare_metadata(context, Base.metadata) == []
        engine.dispose()
    finally:
        databases.close()
