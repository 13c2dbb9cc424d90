"""Index for the remaining hot lookup: pending orders by age (customers by panel username: 0004).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    # Reconciliation and expiry scan pending orders by age; pending ones are a small share of all orders.
    op.create_index(
        "ix_orders_pending_created_at",
        "orders",
        ["created_at"],
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index("ix_orders_pending_created_at", table_name="orders")
