"""Credentials of the customer cabinet: sign-in links, browser sessions, used Mini App sign-ins.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 09:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as they were at this revision (never import the live models here).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cabinet_tokens",
        sa.Column("id", ID, primary_key=True, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("expires_at", MOMENT, nullable=False),
        sa.Column("used_at", MOMENT, nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name="fk_cabinet_tokens_customer_id_customers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cabinet_tokens"),
        sa.UniqueConstraint("kind", "digest", name="uq_cabinet_tokens_kind_digest"),
    )
    op.create_index("ix_cabinet_tokens_customer_id", "cabinet_tokens", ["customer_id"])
    op.create_index("ix_cabinet_tokens_expires_at", "cabinet_tokens", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_cabinet_tokens_expires_at", table_name="cabinet_tokens")
    op.drop_index("ix_cabinet_tokens_customer_id", table_name="cabinet_tokens")
    op.drop_table("cabinet_tokens")
