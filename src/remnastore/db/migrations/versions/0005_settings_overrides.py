"""Settings changed from the admin menu (prices, trial, payment methods, links, maintenance).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as they were at this revision (never import the live models here).
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "settings_overrides",
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("value", JSON_DOC, nullable=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_settings_overrides"),
        sa.UniqueConstraint("version", name="uq_settings_overrides_version"),
    )


def downgrade() -> None:
    op.drop_table("settings_overrides")
