"""Initial schema.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types as they were at this revision (never import the live models here).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
REF = sa.BigInteger()
ORDER_REF = sa.String(36)
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _id() -> sa.Column[int]:
    return sa.Column("id", ID, primary_key=True, autoincrement=True, nullable=False)


def _created() -> sa.Column[datetime]:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "customers",
        _id(),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("username", sa.String(64), nullable=True),
        sa.Column("first_name", sa.String(128), nullable=True),
        sa.Column("last_name", sa.String(128), nullable=True),
        sa.Column("language", sa.String(8), nullable=False, server_default="ru"),
        sa.Column("is_banned", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("blocked_bot_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("referral_code", sa.String(16), nullable=False),
        sa.Column("referred_by_id", REF, nullable=True),
        sa.Column("panel_user_id", sa.BigInteger(), nullable=True),
        sa.Column("panel_uuid", sa.String(36), nullable=True),
        sa.Column("panel_username", sa.String(64), nullable=True),
        sa.Column("trial_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("start_payload", sa.String(64), nullable=True),
        sa.Column("pending_promo_code", sa.String(64), nullable=True),
        sa.Column("balance_minor", sa.BigInteger(), nullable=False, server_default="0"),
        _created(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_customers"),
        sa.UniqueConstraint("telegram_id", name="uq_customers_telegram_id"),
        sa.UniqueConstraint("referral_code", name="uq_customers_referral_code"),
        sa.UniqueConstraint("panel_user_id", name="uq_customers_panel_user_id"),
        sa.UniqueConstraint("panel_uuid", name="uq_customers_panel_uuid"),
        sa.ForeignKeyConstraint(
            ["referred_by_id"],
            ["customers.id"],
            name="fk_customers_referred_by_id_customers",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_customers_referred_by_id", "customers", ["referred_by_id"])
    op.create_index("ix_customers_username_lower", "customers", [sa.text("lower(username)")])
    op.create_index("ix_customers_created_at", "customers", ["created_at"])

    op.create_table(
        "subscriptions",
        _id(),
        sa.Column("customer_id", REF, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("tariff_code", sa.String(32), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("traffic_limit_bytes", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("device_limit", sa.Integer(), nullable=True),
        _created(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_subscriptions"),
        sa.UniqueConstraint("customer_id", name="uq_subscriptions_customer_id"),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name="fk_subscriptions_customer_id_customers",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_subscriptions_expires_at", "subscriptions", ["expires_at"])

    op.create_table(
        "promo_codes",
        _id(),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("code_normalized", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(8), nullable=True),
        sa.Column("max_activations", sa.Integer(), nullable=True),
        sa.Column("activations_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_purchase_only", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("tariff_codes", JSON_DOC, nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        _created(),
        sa.PrimaryKeyConstraint("id", name="pk_promo_codes"),
        sa.UniqueConstraint("code_normalized", name="uq_promo_codes_code_normalized"),
    )

    op.create_table(
        "orders",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("customer_id", REF, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("tariff_code", sa.String(32), nullable=True),
        sa.Column("period_code", sa.String(16), nullable=True),
        sa.Column("days", sa.Integer(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("discount_minor", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("provider_payment_id", sa.String(128), nullable=True),
        sa.Column("promo_code_id", REF, nullable=True),
        sa.Column("pay_url", sa.Text(), nullable=True),
        _created(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fulfilled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fulfilment_attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("meta", JSON_DOC, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        sa.UniqueConstraint("idempotency_key", name="uq_orders_idempotency_key"),
        sa.UniqueConstraint("provider", "provider_payment_id", name="uq_orders_provider_provider_payment_id"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name="fk_orders_customer_id_customers"),
        sa.ForeignKeyConstraint(
            ["promo_code_id"], ["promo_codes.id"], name="fk_orders_promo_code_id_promo_codes"
        ),
    )
    op.create_index("ix_orders_customer_id", "orders", ["customer_id"])
    op.create_index("ix_orders_promo_code_id", "orders", ["promo_code_id"])
    op.create_index("ix_orders_status_created_at", "orders", ["status", "created_at"])
    op.create_index("ix_orders_created_at", "orders", ["created_at"])
    op.create_index(
        "ix_orders_next_attempt_at_paid",
        "orders",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'paid'"),
        sqlite_where=sa.text("status = 'paid'"),
    )

    op.create_table(
        "subscription_periods",
        _id(),
        sa.Column("customer_id", REF, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("order_id", ORDER_REF, nullable=True),
        sa.Column("tariff_code", sa.String(32), nullable=True),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", name="pk_subscription_periods"),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name="fk_subscription_periods_customer_id_customers",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name="fk_subscription_periods_order_id_orders", ondelete="SET NULL"
        ),
    )
    op.create_index("ix_subscription_periods_customer_id", "subscription_periods", ["customer_id"])
    op.create_index("ix_subscription_periods_order_id", "subscription_periods", ["order_id"])

    op.create_table(
        "payment_events",
        _id(),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("provider_payment_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("order_id", ORDER_REF, nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("raw", JSON_DOC, nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", name="pk_payment_events"),
        sa.UniqueConstraint(
            "provider",
            "provider_payment_id",
            "kind",
            name="uq_payment_events_provider_provider_payment_id_kind",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name="fk_payment_events_order_id_orders", ondelete="SET NULL"
        ),
    )
    op.create_index("ix_payment_events_order_id", "payment_events", ["order_id"])

    op.create_table(
        "balance_ledger",
        _id(),
        sa.Column("customer_id", REF, nullable=False),
        sa.Column("delta_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("order_id", ORDER_REF, nullable=True),
        sa.Column("idempotency_key", sa.String(96), nullable=True),
        _created(),
        sa.PrimaryKeyConstraint("id", name="pk_balance_ledger"),
        sa.UniqueConstraint("idempotency_key", name="uq_balance_ledger_idempotency_key"),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name="fk_balance_ledger_customer_id_customers"
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_balance_ledger_order_id_orders"),
    )
    op.create_index("ix_balance_ledger_customer_id", "balance_ledger", ["customer_id"])
    op.create_index("ix_balance_ledger_order_id", "balance_ledger", ["order_id"])

    op.create_table(
        "promo_activations",
        _id(),
        sa.Column("promo_id", REF, nullable=False),
        sa.Column("customer_id", REF, nullable=False),
        sa.Column("order_id", ORDER_REF, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reserved_until", sa.DateTime(timezone=True), nullable=True),
        _created(),
        sa.Column("consumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_promo_activations"),
        sa.UniqueConstraint("promo_id", "customer_id", name="uq_promo_activations_promo_id_customer_id"),
        sa.ForeignKeyConstraint(
            ["promo_id"],
            ["promo_codes.id"],
            name="fk_promo_activations_promo_id_promo_codes",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name="fk_promo_activations_customer_id_customers",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name="fk_promo_activations_order_id_orders", ondelete="SET NULL"
        ),
    )
    op.create_index("ix_promo_activations_customer_id", "promo_activations", ["customer_id"])
    op.create_index("ix_promo_activations_order_id", "promo_activations", ["order_id"])

    op.create_table(
        "referrals",
        _id(),
        sa.Column("referrer_id", REF, nullable=False),
        sa.Column("invitee_id", REF, nullable=False),
        _created(),
        sa.Column("first_paid_order_id", ORDER_REF, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_referrals"),
        sa.UniqueConstraint("invitee_id", name="uq_referrals_invitee_id"),
        sa.ForeignKeyConstraint(
            ["referrer_id"], ["customers.id"], name="fk_referrals_referrer_id_customers", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["invitee_id"], ["customers.id"], name="fk_referrals_invitee_id_customers", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["first_paid_order_id"],
            ["orders.id"],
            name="fk_referrals_first_paid_order_id_orders",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_referrals_referrer_id", "referrals", ["referrer_id"])

    op.create_table(
        "referral_rewards",
        _id(),
        sa.Column("referral_id", REF, nullable=False),
        sa.Column("order_id", ORDER_REF, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(8), nullable=True),
        _created(),
        sa.PrimaryKeyConstraint("id", name="pk_referral_rewards"),
        sa.UniqueConstraint(
            "referral_id", "order_id", "kind", name="uq_referral_rewards_referral_id_order_id_kind"
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name="fk_referral_rewards_referral_id_referrals",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_referral_rewards_order_id_orders"),
    )
    op.create_index("ix_referral_rewards_order_id", "referral_rewards", ["order_id"])

    op.create_table(
        "campaigns",
        _id(),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("title", sa.String(128), nullable=False),
        sa.Column("cost_minor", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("cost_currency", sa.String(8), nullable=False, server_default="RUB"),
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        _created(),
        sa.PrimaryKeyConstraint("id", name="pk_campaigns"),
        sa.UniqueConstraint("code", name="uq_campaigns_code"),
    )

    op.create_table(
        "campaign_attributions",
        _id(),
        sa.Column("campaign_id", REF, nullable=False),
        sa.Column("customer_id", REF, nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", name="pk_campaign_attributions"),
        sa.UniqueConstraint("customer_id", name="uq_campaign_attributions_customer_id"),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name="fk_campaign_attributions_campaign_id_campaigns",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name="fk_campaign_attributions_customer_id_customers",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_campaign_attributions_campaign_id", "campaign_attributions", ["campaign_id"])

    op.create_table(
        "audit_log",
        _id(),
        sa.Column("actor_telegram_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target_customer_id", sa.BigInteger(), nullable=True),
        sa.Column("details", JSON_DOC, nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_target_customer_id", "audit_log", ["target_customer_id"])
    op.create_index("ix_audit_log_created_at", "audit_log", ["created_at"])


def downgrade() -> None:
    for table in (
        "audit_log",
        "campaign_attributions",
        "campaigns",
        "referral_rewards",
        "referrals",
        "promo_activations",
        "balance_ledger",
        "payment_events",
        "subscription_periods",
        "orders",
        "promo_codes",
        "subscriptions",
        "customers",
    ):
        op.drop_table(table)
