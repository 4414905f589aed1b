"""control plane: the operator a request is assigned to

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("assignee", sa.String(length=320), nullable=True))
    op.create_index("ix_requests_assignee", "requests", ["assignee"])


def downgrade() -> None:
    op.drop_index("ix_requests_assignee", table_name="requests")
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("assignee")
