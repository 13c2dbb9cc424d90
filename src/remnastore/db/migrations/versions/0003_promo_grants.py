"""Promo codes: the target expiry of a bonus-days activation, fixed once before the panel is called.

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-20 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("promo_activations") as batch:
        batch.add_column(sa.Column("grant_expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("promo_activations") as batch:
        batch.drop_column("grant_expires_at")
