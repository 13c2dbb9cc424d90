"""Access grants (days given on the panel, keyed, target stored first) and voided gift links.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as they were at this revision (never import the live models here).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
REF = sa.BigInteger()
ORDER_REF = sa.String(36)
MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "access_grants",
        sa.Column("id", ID, primary_key=True, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(96), nullable=False),
        sa.Column("customer_id", REF, nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("starts_at", MOMENT, nullable=False),
        sa.Column("target_expires_at", MOMENT, nullable=False),
        sa.Column("order_id", ORDER_REF, nullable=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("applied_at", MOMENT, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_access_grants"),
        sa.UniqueConstraint("key", name="uq_access_grants_key"),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name="fk_access_grants_customer_id_customers",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name="fk_access_grants_order_id_orders", ondelete="SET NULL"
        ),
    )
    op.create_index("ix_access_grants_customer_id", "access_grants", ["customer_id"])
    op.add_column("gifts", sa.Column("voided_at", MOMENT, nullable=True))


def downgrade() -> None:
    op.drop_column("gifts", "voided_at")
    op.drop_index("ix_access_grants_customer_id", table_name="access_grants")
    op.drop_table("access_grants")
