"""Admin customer search by panel username: an index on customers.panel_username.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_customers_panel_username", "customers", ["panel_username"])


def downgrade() -> None:
    op.drop_index("ix_customers_panel_username", table_name="customers")
