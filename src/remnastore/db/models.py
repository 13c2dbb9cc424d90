"""The database schema (SQLAlchemy 2 declarative models).

Table and column names are a contract for the rest of the code and for migrations: change them only
together with a new alembic revision. Money is stored as integer minor units next to a currency code.
Every timestamp is timezone-aware UTC on both PostgreSQL and SQLite (see :class:`UTCDateTime`).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from remnastore.domain.money import Money

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

REFERRAL_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1; 32 symbols (see below)
REFERRAL_CODE_LENGTH = 8


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_referral_code() -> str:
    """Eight symbols of the 32-symbol alphabet from one read of the system's randomness (the low five bits
    of each byte: uniform, as 32 divides 256; one ``secrets.choice`` per symbol was eight reads)."""
    return "".join(REFERRAL_CODE_ALPHABET[byte & 31] for byte in secrets.token_bytes(REFERRAL_CODE_LENGTH))


def new_order_id() -> str:
    return uuid.uuid4().hex


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware.

    PostgreSQL keeps ``timestamptz``; SQLite has no time zones, so values are stored as naive UTC text
    (one fixed format, so comparisons in SQL stay correct) and marked UTC again when read. Naive values
    are refused: they are a bug waiting to happen.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: use an aware datetime (UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Autoincrementing surrogate keys: BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")
JSONDocument = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _pk() -> Mapped[int]:
    return mapped_column(BigIntPK, primary_key=True, autoincrement=True)


def _created() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), nullable=False, default=utcnow)


def _updated() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow)


def _flag(default: bool) -> Mapped[bool]:
    return mapped_column(
        Boolean, nullable=False, default=default, server_default=text("true" if default else "false")
    )


def _customer_fk(*, ondelete: str | None = "CASCADE", **kwargs: Any) -> Any:
    return mapped_column(BigInteger, ForeignKey("customers.id", ondelete=ondelete), **kwargs)


# Values of the String "kind"/"status" columns. StrEnum members are plain strings, so either may be used.


class SubscriptionKind(StrEnum):
    TRIAL = "trial"
    PAID = "paid"
    BONUS = "bonus"
    GIFT = "gift"


class PeriodKind(StrEnum):
    TRIAL = "trial"
    PAID = "paid"
    BONUS = "bonus"
    PROMO = "promo"
    REFERRAL = "referral"
    GIFT = "gift"
    ADMIN = "admin"
    SYNC = "sync"


class OrderKind(StrEnum):
    SUBSCRIPTION = "subscription"
    TOPUP = "topup"
    DEVICES = "devices"
    TRAFFIC = "traffic"
    GIFT = "gift"


class OrderStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FULFILLED = "fulfilled"
    EXPIRED = "expired"
    FAILED = "failed"
    REFUNDED = "refunded"


class PromoKind(StrEnum):
    DAYS = "days"
    PERCENT = "percent"
    FIXED = "fixed"
    BALANCE = "balance"


class PromoActivationStatus(StrEnum):
    RESERVED = "reserved"
    CONSUMED = "consumed"
    RELEASED = "released"
    APPLIED = "applied"


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = _pk()
    telegram_id: Mapped[int] = mapped_column(BigInteger, nullable=False, unique=True)
    username: Mapped[str | None] = mapped_column(String(64))
    first_name: Mapped[str | None] = mapped_column(String(128))
    last_name: Mapped[str | None] = mapped_column(String(128))
    language: Mapped[str] = mapped_column(String(8), nullable=False, default="ru", server_default="ru")
    is_banned: Mapped[bool] = _flag(False)
    blocked_bot_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    referral_code: Mapped[str] = mapped_column(
        String(16), nullable=False, unique=True, default=new_referral_code
    )
    referred_by_id: Mapped[int | None] = _customer_fk(ondelete="SET NULL", index=True)
    panel_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    panel_uuid: Mapped[str | None] = mapped_column(String(36), unique=True)
    panel_username: Mapped[str | None] = mapped_column(String(64))
    trial_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    start_payload: Mapped[str | None] = mapped_column(String(64))
    pending_promo_code: Mapped[str | None] = mapped_column(String(64))
    balance_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0, server_default="0")
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    __table_args__ = (
        Index("ix_customers_username_lower", func.lower(username)),
        Index("ix_customers_created_at", "created_at"),
        Index("ix_customers_panel_username", "panel_username"),
    )


class Subscription(Base):
    """The current access state of a customer: at most one row each."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = _pk()
    customer_id: Mapped[int] = _customer_fk(nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    tariff_code: Mapped[str | None] = mapped_column(String(32))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    traffic_limit_bytes: Mapped[int] = mapped_column(
        BigInteger, nullable=False, default=0, server_default="0"
    )
    device_limit: Mapped[int | None] = mapped_column(Integer)
    #: the panel user's status as the panel last told it (ACTIVE, DISABLED, LIMITED, EXPIRED; DELETED when
    #: the panel deleted the user); None until the panel was asked or told
    panel_status: Mapped[str | None] = mapped_column(String(16))
    #: uuids of the panel user's internal squads, as the panel last told them
    panel_squads: Mapped[list[str] | None] = mapped_column(JSONDocument)
    #: when the panel last confirmed expiry, status and limits (a webhook, a sync or a direct read)
    panel_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class PanelEventNotice(Base):
    """A customer message about a panel event (traffic exhausted, link changed...), recorded before it
    is sent: ``event_key`` (event, panel user, the event's timestamp) makes each go out at most once."""

    __tablename__ = "panel_event_notices"

    id: Mapped[int] = _pk()
    customer_id: Mapped[int] = _customer_fk(nullable=False)
    event_key: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    event: Mapped[str] = mapped_column(String(64), nullable=False)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class ReminderSent(Base):
    """An expiry reminder, recorded before it is sent: once per customer, expiry and offset.

    ``expires_at`` is the expiry the reminder is about (a renewal moves it, so the next period gets its
    own reminders); ``offset_hours`` is relative to it (negative: before, 0: at, positive: after). The
    unique key is also the index the reminder job probes.
    """

    __tablename__ = "reminders_sent"

    id: Mapped[int] = _pk()
    customer_id: Mapped[int] = _customer_fk(nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    offset_hours: Mapped[int] = mapped_column(Integer, nullable=False)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("customer_id", "expires_at", "offset_hours"),)


class SubscriptionPeriod(Base):
    """An immutable record of time granted to a customer, whatever its source."""

    __tablename__ = "subscription_periods"

    id: Mapped[int] = _pk()
    customer_id: Mapped[int] = _customer_fk(nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    order_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("orders.id", ondelete="SET NULL"), index=True
    )
    tariff_code: Mapped[str | None] = mapped_column(String(32))
    days: Mapped[int] = mapped_column(Integer, nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    created_at: Mapped[datetime] = _created()


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_order_id)
    customer_id: Mapped[int] = _customer_fk(ondelete=None, nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    tariff_code: Mapped[str | None] = mapped_column(String(32))
    period_code: Mapped[str | None] = mapped_column(String(16))
    days: Mapped[int | None] = mapped_column(Integer)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(8), nullable=False)
    discount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0, server_default="0")
    provider: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, default=OrderStatus.PENDING.value, server_default="pending"
    )
    idempotency_key: Mapped[str] = mapped_column(
        String(64), nullable=False, unique=True, default=new_idempotency_key
    )
    provider_payment_id: Mapped[str | None] = mapped_column(String(128))
    promo_code_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("promo_codes.id"), index=True)
    pay_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fulfilment_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False, default=dict)

    __table_args__ = (
        UniqueConstraint("provider", "provider_payment_id"),
        Index("ix_orders_status_created_at", "status", "created_at"),
        Index("ix_orders_created_at", "created_at"),
        Index(
            "ix_orders_next_attempt_at_paid",
            "next_attempt_at",
            postgresql_where=text("status = 'paid'"),
            sqlite_where=text("status = 'paid'"),
        ),
        Index(
            "ix_orders_pending_created_at",
            "created_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def discount(self) -> Money:
        return Money(self.discount_minor, self.currency)


class PaymentEvent(Base):
    """Every notification from a payment provider, stored once per (provider, payment, kind)."""

    __tablename__ = "payment_events"

    id: Mapped[int] = _pk()
    provider: Mapped[str] = mapped_column(String(32), nullable=False)
    provider_payment_id: Mapped[str] = mapped_column(String(128), nullable=False)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    order_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("orders.id", ondelete="SET NULL"), index=True
    )
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(8), nullable=False)
    raw: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False, default=dict)
    created_at: Mapped[datetime] = _created()

    __table_args__ = (UniqueConstraint("provider", "provider_payment_id", "kind"),)


class BalanceEntry(Base):
    """One change of a customer's balance; ``idempotency_key`` makes each change happen once."""

    __tablename__ = "balance_ledger"

    id: Mapped[int] = _pk()
    customer_id: Mapped[int] = _customer_fk(ondelete=None, nullable=False, index=True)
    delta_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(8), nullable=False)
    reason: Mapped[str] = mapped_column(String(32), nullable=False)
    order_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("orders.id"), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(96), unique=True)
    created_at: Mapped[datetime] = _created()


class PromoCode(Base):
    __tablename__ = "promo_codes"

    id: Mapped[int] = _pk()
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    code_normalized: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    value: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str | None] = mapped_column(String(8))
    max_activations: Mapped[int | None] = mapped_column(Integer)
    activations_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_purchase_only: Mapped[bool] = _flag(False)
    tariff_codes: Mapped[list[str] | None] = mapped_column(JSONDocument)
    is_active: Mapped[bool] = _flag(True)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = _created()


class PromoActivation(Base):
    __tablename__ = "promo_activations"

    id: Mapped[int] = _pk()
    promo_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("promo_codes.id", ondelete="CASCADE"), nullable=False
    )
    customer_id: Mapped[int] = _customer_fk(nullable=False, index=True)
    order_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("orders.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    reserved_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = _created()
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: bonus days: the expiry the days extend to, fixed once before the panel is called (exactly once)
    grant_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("promo_id", "customer_id"),)


class Referral(Base):
    __tablename__ = "referrals"

    id: Mapped[int] = _pk()
    referrer_id: Mapped[int] = _customer_fk(nullable=False, index=True)
    invitee_id: Mapped[int] = _customer_fk(nullable=False, unique=True)
    created_at: Mapped[datetime] = _created()
    first_paid_order_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("orders.id", ondelete="SET NULL")
    )


class ReferralReward(Base):
    __tablename__ = "referral_rewards"

    id: Mapped[int] = _pk()
    referral_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("referrals.id", ondelete="CASCADE"), nullable=False
    )
    order_id: Mapped[str] = mapped_column(String(36), ForeignKey("orders.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = _created()
    #: None while the reward is claimed but not yet given (a panel failure): it is retried
    granted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("referral_id", "order_id", "kind"),)


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = _pk()
    code: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    title: Mapped[str] = mapped_column(String(128), nullable=False)
    cost_minor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0, server_default="0")
    cost_currency: Mapped[str] = mapped_column(String(8), nullable=False, default="RUB", server_default="RUB")
    is_active: Mapped[bool] = _flag(True)
    created_at: Mapped[datetime] = _created()

    @property
    def cost(self) -> Money:
        return Money(self.cost_minor, self.cost_currency)


class CampaignAttribution(Base):
    __tablename__ = "campaign_attributions"

    id: Mapped[int] = _pk()
    campaign_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False, index=True
    )
    customer_id: Mapped[int] = _customer_fk(nullable=False, unique=True)
    created_at: Mapped[datetime] = _created()


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = _pk()
    actor_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    target_customer_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSONDocument, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, index=True)


class SettingsOverride(Base):
    """A setting changed from the admin menu: ``key`` -> JSON ``value`` (None = back to the default).

    ``version`` is unique and grows with every change, so an instance knows that its cached settings are
    stale by reading one number (the largest version).
    """

    __tablename__ = "settings_overrides"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONDocument, nullable=True)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, unique=True)
    updated_by: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = _updated()


class BroadcastStatus(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    DONE = "done"


class RecipientState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender; the outcome is not yet recorded
    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"
    UNKNOWN = "unknown"  # claimed by an instance that died: maybe delivered, never sent again


class Broadcast(Base):
    """A message an admin sends to an audience: the admin's own message, copied to every recipient."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = _pk()
    created_by: Mapped[int] = mapped_column(BigInteger, nullable=False)
    source_chat_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    source_message_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    buttons: Mapped[list[Any]] = mapped_column(JSONDocument, nullable=False, default=list)
    audience: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    total: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = _created()
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class BroadcastRecipient(Base):
    """One recipient of one broadcast and where its delivery stands (see services/broadcasts.py)."""

    __tablename__ = "broadcast_recipients"

    id: Mapped[int] = _pk()
    broadcast_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("broadcasts.id", ondelete="CASCADE"), nullable=False
    )
    customer_id: Mapped[int] = _customer_fk(nullable=False)
    chat_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    state: Mapped[str] = mapped_column(
        String(16), nullable=False, default=RecipientState.PENDING.value, server_default="pending"
    )
    error: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("broadcast_id", "customer_id"),
        Index("ix_broadcast_recipients_broadcast_id_state", "broadcast_id", "state"),
    )


class AutoRenewal(Base):
    """A customer's standing order to renew their subscription before it expires (one row each).

    ``method`` is a provider that can charge a saved method ("yookassa") or "balance". The attempt
    columns describe the renewal of the expiry ``period_expires_at``: ``attempts`` charges were started
    for it, the last one being ``last_order_id``; ``noticed_expires_at`` is the expiry whose advance
    notice went out.
    """

    __tablename__ = "auto_renewals"

    id: Mapped[int] = _pk()
    customer_id: Mapped[int] = _customer_fk(nullable=False, unique=True)
    enabled: Mapped[bool] = _flag(True)
    method: Mapped[str] = mapped_column(String(32), nullable=False)
    saved_method_id: Mapped[str | None] = mapped_column(String(64))
    saved_method_title: Mapped[str | None] = mapped_column(String(64))
    tariff_code: Mapped[str | None] = mapped_column(String(32))
    period_code: Mapped[str | None] = mapped_column(String(16))
    period_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    noticed_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_order_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("orders.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class Gift(Base):
    """A paid period for somebody else: issued once per paid gift order, activated once by its token."""

    __tablename__ = "gifts"

    id: Mapped[int] = _pk()
    token: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    order_id: Mapped[str] = mapped_column(String(36), ForeignKey("orders.id"), nullable=False, unique=True)
    buyer_id: Mapped[int] = _customer_fk(nullable=False, index=True)
    tariff_code: Mapped[str] = mapped_column(String(32), nullable=False)
    period_code: Mapped[str] = mapped_column(String(16), nullable=False)
    recipient_id: Mapped[int | None] = _customer_fk(ondelete="SET NULL", index=True)
    recipient_order_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("orders.id", ondelete="SET NULL")
    )
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: set when the gift's order was refunded before anybody activated the link: it can no longer be
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = _created()


class ImportKey(Base):
    """A row brought over from another shop's database: its stable key there and what it became here.

    One row per (source, entity, source key); ``fingerprint`` is a digest of the source row as last
    imported, so a later run updates only what changed in the source and skips the rest
    (see :mod:`remnastore.ops.importers`).
    """

    __tablename__ = "import_keys"

    id: Mapped[int] = _pk()
    source: Mapped[str] = mapped_column(String(32), nullable=False)
    entity: Mapped[str] = mapped_column(String(32), nullable=False)
    source_key: Mapped[str] = mapped_column(String(64), nullable=False)
    target_key: Mapped[str] = mapped_column(String(64), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    imported_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    __table_args__ = (UniqueConstraint("source", "entity", "source_key"),)


class AccessGrant(Base):
    """Days given on the panel for one reason, keyed: the target expiry is stored before the panel is
    called, so a retry (after a timeout the panel did apply) sets the same expiry instead of adding the
    days again; ``applied_at`` is set, and the period recorded, once."""

    __tablename__ = "access_grants"

    id: Mapped[int] = _pk()
    key: Mapped[str] = mapped_column(String(96), nullable=False, unique=True)
    customer_id: Mapped[int] = _customer_fk(nullable=False, index=True)
    reason: Mapped[str] = mapped_column(String(16), nullable=False)
    days: Mapped[int] = mapped_column(Integer, nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    target_expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    order_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("orders.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = _created()
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TaxReceiptStatus(StrEnum):
    PENDING = "pending"  # to be registered
    SENDING = "sending"  # a registration request is (or was) in flight
    UNKNOWN = "unknown"  # the service may have registered it: look it up before sending again
    REGISTERED = "registered"
    FAILED = "failed"  # refused by the service: an admin retries it
    SKIPPED = "skipped"  # no receipt by rule (not roubles): see ``note``
    CANCELLED = "cancelled"  # registered, then cancelled after a refund
    VOID = "void"  # refunded before anything was registered


class TaxReceipt(Base):
    """One self-employed income receipt ("Мой налог") per paid order: the persistent queue of registrations
    and cancellations (see :mod:`remnastore.receipts`)."""

    __tablename__ = "tax_receipts"

    id: Mapped[int] = _pk()
    order_id: Mapped[str] = mapped_column(String(36), ForeignKey("orders.id"), nullable=False, unique=True)
    customer_id: Mapped[int] = _customer_fk(ondelete=None, nullable=False)
    amount_minor: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(8), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    receipt_id: Mapped[str | None] = mapped_column(String(64))
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    __table_args__ = (Index("ix_tax_receipts_status_next_attempt_at", "status", "next_attempt_at"),)


class DailyPost(Base):
    """A message the shop posts once a day (the tax receipts' summary), recorded before it is posted: the
    primary key (what, day) makes it go out at most once a day, whatever restarts or instances run the
    job (the scheduler's lock lives in the process when there is no Redis)."""

    __tablename__ = "daily_posts"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    posted_at: Mapped[datetime] = _created()


class CabinetToken(Base):
    """A credential of the customer cabinet (see :mod:`remnastore.cabinet`), stored only as a digest.

    ``kind`` "link": a personal sign-in link (single use: ``used_at`` is set in the same statement that
    accepts it); "session": a browser's session cookie (with its CSRF token); "initdata": the hash of a
    Telegram Mini App sign-in, kept until it is stale so that the same data cannot sign in twice; "code":
    a one-time sign-in code from the bot (single use, like a link).
    """

    __tablename__ = "cabinet_tokens"

    id: Mapped[int] = _pk()
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    digest: Mapped[str] = mapped_column(String(64), nullable=False)
    customer_id: Mapped[int] = _customer_fk(nullable=False, index=True)
    csrf: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = _created()
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("kind", "digest"),)
