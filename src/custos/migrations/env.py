"""Alembic environment: runs on the connection handed over by ``custos.store.migrate``."""

from __future__ import annotations

from alembic import context

from custos.store import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - always called through custos.store.migrate
    raise RuntimeError("run migrations through custos.store.migrate(engine)")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
