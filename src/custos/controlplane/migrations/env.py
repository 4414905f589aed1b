"""Alembic environment: runs on the connection handed over by ``custos.controlplane.migrate``."""

from __future__ import annotations

from alembic import context

from custos.controlplane import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - always called through custos.controlplane.migrate
    raise RuntimeError("run migrations through custos.controlplane.migrate(engine)")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
