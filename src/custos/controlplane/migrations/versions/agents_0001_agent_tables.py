"""authorized agents (DRP): registry, pairing tokens, seen messages, requests, callbacks

Revision ID: agents_0001
Revises: consent_0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "agents_0001"
down_revision = "consent_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("verify_key", sa.String(length=64), nullable=False),
        sa.Column("web_url", sa.String(length=500), nullable=True),
        sa.Column("identity_assurance_url", sa.String(length=500), nullable=True),
        sa.Column("technical_contact", sa.String(length=320), nullable=True),
        sa.Column("business_contact", sa.String(length=320), nullable=True),
        sa.Column("rate_limit_per_minute", sa.Integer(), nullable=False),
        sa.Column("trust_claims", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "agent_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agent_id", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_agent_tokens_agent_id", "agent_tokens", ["agent_id"])
    op.create_table(
        "agent_messages",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.String(length=100), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )
    op.create_index("ix_agent_messages_expires_at", "agent_messages", ["expires_at"])
    op.create_table(
        "agent_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("agent_id", sa.String(length=100), nullable=False),
        sa.Column("agent_request_id", sa.String(length=200), nullable=True),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.Column("exercise", sa.String(length=32), nullable=False),
        sa.Column("regime", sa.String(length=32), nullable=True),
        sa.Column("status_callback", sa.String(length=1000), nullable=True),
        sa.Column("final_status", sa.String(length=24), nullable=True),
        sa.Column("final_reason", sa.String(length=32), nullable=True),
        sa.Column("processing_details", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.Column("notified", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_agent_requests_agent_id", "agent_requests", ["agent_id"])
    op.create_index("ix_agent_requests_request_id", "agent_requests", ["request_id"])
    op.create_table(
        "agent_callbacks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agent_request_id", sa.String(length=36), nullable=False),
        sa.Column("agent_id", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["agent_request_id"], ["agent_requests.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_agent_callbacks_agent_request_id", "agent_callbacks", ["agent_request_id"])
    op.create_index("ix_agent_callbacks_agent_id", "agent_callbacks", ["agent_id"])
    op.create_index("ix_agent_callbacks_state", "agent_callbacks", ["state"])
    op.create_index("ix_agent_callbacks_next_attempt_at", "agent_callbacks", ["next_attempt_at"])


def downgrade() -> None:
    op.drop_table("agent_callbacks")
    op.drop_table("agent_requests")
    op.drop_table("agent_messages")
    op.drop_table("agent_tokens")
    op.drop_table("agents")
