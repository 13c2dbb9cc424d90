"""Messages posted once a day (the tax receipts' summary), recorded so that a restart does not repeat them.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 12:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as they were at this revision (never import the live models here).
MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "daily_posts",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("posted_at", MOMENT, nullable=False),
        sa.PrimaryKeyConstraint("name", "day", name="pk_daily_posts"),
    )


def downgrade() -> None:
    op.drop_table("daily_posts")
