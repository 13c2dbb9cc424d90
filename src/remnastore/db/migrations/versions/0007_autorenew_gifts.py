"""Auto-renewal of subscriptions, gifts, and referral rewards retried until given.

Revision ID: 0007
Revises: 0006
Create Date: 2025-02-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as they were at this revision (never import the live models here).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
REF = sa.BigInteger()
ORDER_REF = sa.String(36)
MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "auto_renewals",
        sa.Column("id", ID, primary_key=True, autoincrement=True, nullable=False),
        sa.Column("customer_id", REF, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("saved_method_id", sa.String(64), nullable=True),
        sa.Column("saved_method_title", sa.String(64), nullable=True),
        sa.Column("tariff_code", sa.String(32), nullable=True),
        sa.Column("period_code", sa.String(16), nullable=True),
        sa.Column("period_expires_at", MOMENT, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", MOMENT, nullable=True),
        sa.Column("noticed_expires_at", MOMENT, nullable=True),
        sa.Column("last_order_id", ORDER_REF, nullable=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_auto_renewals"),
        sa.UniqueConstraint("customer_id", name="uq_auto_renewals_customer_id"),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name="fk_auto_renewals_customer_id_customers",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["last_order_id"],
            ["orders.id"],
            name="fk_auto_renewals_last_order_id_orders",
            ondelete="SET NULL",
        ),
    )
    op.create_table(
        "gifts",
        sa.Column("id", ID, primary_key=True, autoincrement=True, nullable=False),
        sa.Column("token", sa.String(32), nullable=False),
        sa.Column("order_id", ORDER_REF, nullable=False),
        sa.Column("buyer_id", REF, nullable=False),
        sa.Column("tariff_code", sa.String(32), nullable=False),
        sa.Column("period_code", sa.String(16), nullable=False),
        sa.Column("recipient_id", REF, nullable=True),
        sa.Column("recipient_order_id", ORDER_REF, nullable=True),
        sa.Column("activated_at", MOMENT, nullable=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_gifts"),
        sa.UniqueConstraint("token", name="uq_gifts_token"),
        sa.UniqueConstraint("order_id", name="uq_gifts_order_id"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_gifts_order_id_orders"),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["customers.id"], name="fk_gifts_buyer_id_customers", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["customers.id"], name="fk_gifts_recipient_id_customers", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["recipient_order_id"],
            ["orders.id"],
            name="fk_gifts_recipient_order_id_orders",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_gifts_buyer_id", "gifts", ["buyer_id"])
    op.create_index("ix_gifts_recipient_id", "gifts", ["recipient_id"])
    op.add_column("referral_rewards", sa.Column("granted_at", MOMENT, nullable=True))
    op.add_column("referral_rewards", sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("referral_rewards", sa.Column("next_attempt_at", MOMENT, nullable=True))
    # every reward recorded so far was given when it was recorded
    op.execute("UPDATE referral_rewards SET granted_at = created_at")


def downgrade() -> None:
    for column in ("next_attempt_at", "attempts", "granted_at"):
        op.drop_column("referral_rewards", column)
    op.drop_index("ix_gifts_recipient_id", table_name="gifts")
    op.drop_index("ix_gifts_buyer_id", table_name="gifts")
    op.drop_table("gifts")
    op.drop_table("auto_renewals")
