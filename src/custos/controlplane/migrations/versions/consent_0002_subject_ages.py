"""consent: declared age bands of subjects (opt-in to sale and sharing under 16)

Revision ID: consent_0002
Revises: agents_0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "consent_0002"
down_revision = "agents_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent_subject_ages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("age_band", sa.String(length=16), nullable=False),
        sa.Column("declared_by", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("audit_seq", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_consent_subject_ages_subject", "consent_subject_ages", ["subject", "id"])


def downgrade() -> None:
    op.drop_index("ix_consent_subject_ages_subject", table_name="consent_subject_ages")
    op.drop_table("consent_subject_ages")
