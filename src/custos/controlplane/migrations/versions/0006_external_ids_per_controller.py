"""control plane: an OpenDSR request id is unique per controller, not across controllers

Two controllers may give the same ``subject_request_id``; each finds only its own. The id
moves to ``external_ref`` under a unique index on (controller, id). The older column keeps
its global UNIQUE (dropping it would rebuild the table on SQLite) and is no longer written:
new rows leave it empty, which that constraint allows any number of times.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("external_ref", sa.String(length=64), nullable=True))
    op.execute("UPDATE requests SET external_ref = external_id WHERE external_id IS NOT NULL")
    op.create_index("ix_requests_agent_external_ref", "requests", ["agent_id", "external_ref"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_requests_agent_external_ref", table_name="requests")
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("external_ref")
