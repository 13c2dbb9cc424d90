"""Self-employed tax receipts: one row per paid order, the persistent queue of registrations and
cancellations with the tax service ("Мой налог").

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as they were at this revision (never import the live models here).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tax_receipts",
        sa.Column("id", ID, primary_key=True, autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(36), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("receipt_id", sa.String(64), nullable=True),
        sa.Column("paid_at", MOMENT, nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", MOMENT, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("refunded_at", MOMENT, nullable=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_tax_receipts_order_id_orders"),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name="fk_tax_receipts_customer_id_customers"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_tax_receipts"),
        sa.UniqueConstraint("order_id", name="uq_tax_receipts_order_id"),
    )
    op.create_index("ix_tax_receipts_status_next_attempt_at", "tax_receipts", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_tax_receipts_status_next_attempt_at", table_name="tax_receipts")
    op.drop_table("tax_receipts")
