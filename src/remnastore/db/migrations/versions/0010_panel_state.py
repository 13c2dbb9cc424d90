"""The panel's view of each subscription (status, squads, when last confirmed) and customer notices of
panel events, each sent at most once.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Frozen copies of the column types as they were at this revision (never import the live models here).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("panel_status", sa.String(16), nullable=True))
        batch.add_column(sa.Column("panel_squads", JSON_DOCUMENT, nullable=True))
        batch.add_column(sa.Column("panel_seen_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "panel_event_notices",
        sa.Column("id", ID, primary_key=True, autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("event_key", sa.String(200), nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_panel_event_notices"),
        sa.UniqueConstraint("event_key", name="uq_panel_event_notices_event_key"),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name="fk_panel_event_notices_customer_id_customers",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("panel_event_notices")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("panel_seen_at")
        batch.drop_column("panel_squads")
        batch.drop_column("panel_status")
