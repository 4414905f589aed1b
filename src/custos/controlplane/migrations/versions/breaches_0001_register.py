"""breaches: the breach register

Revision ID: breaches_0001
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "breaches_0001"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "breaches",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("summary", sa.String(length=2000), nullable=False),
        sa.Column("detected_at", sa.DateTime(), nullable=False),
        sa.Column("aware_at", sa.DateTime(), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("collections", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("jurisdictions", sa.JSON(), nullable=False),
        sa.Column("encrypted", sa.Boolean(), nullable=False),
        sa.Column("consequences", sa.String(length=2000), nullable=True),
        sa.Column("measures", sa.String(length=2000), nullable=True),
        sa.Column("people_count", sa.Integer(), nullable=True),
        sa.Column("records_count", sa.Integer(), nullable=True),
        sa.Column("count_approximate", sa.Boolean(), nullable=False),
        sa.Column("counted_at", sa.DateTime(), nullable=True),
        sa.Column("authority_due_at", sa.DateTime(), nullable=True),
        sa.Column("authority_notified_at", sa.DateTime(), nullable=True),
        sa.Column("late_reason", sa.String(length=2000), nullable=True),
        sa.Column("reminded_at", sa.DateTime(), nullable=True),
        sa.Column("people_notice", sa.String(length=16), nullable=True),
        sa.Column("people_notified", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_breaches_aware_at", "breaches", ["aware_at"])


def downgrade() -> None:
    op.drop_table("breaches")
