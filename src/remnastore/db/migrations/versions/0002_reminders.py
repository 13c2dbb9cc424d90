"""Expiry reminders: one row per reminder sent.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-15 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as they were at this revision (never import the live models here).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "reminders_sent",
        sa.Column("id", ID, primary_key=True, autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("offset_hours", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reminders_sent"),
        sa.UniqueConstraint(
            "customer_id",
            "expires_at",
            "offset_hours",
            name="uq_reminders_sent_customer_id_expires_at_offset_hours",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name="fk_reminders_sent_customer_id_customers",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("reminders_sent")
