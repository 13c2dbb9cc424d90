"""A machka-pasla/remnawave-tg-shop database, built in PostgreSQL from its schema (tests, bench).

:data:`SCHEMA` is what that bot's ``Base.metadata.create_all`` plus its own migrations create
(``db/models.py``; section 3 of the audit in the reference docs): the same tables, columns, types,
defaults, unique constraints and foreign keys, money as ``double precision``. :class:`MachkaDatabase`
creates it in an empty database and writes rows the way the old bot would have.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from remnastore.db.session import build_engine

SCHEMA = """
CREATE TABLE users (
    user_id BIGINT PRIMARY KEY,
    username VARCHAR,
    first_name VARCHAR,
    last_name VARCHAR,
    language_code VARCHAR,
    registration_date TIMESTAMPTZ DEFAULT now(),
    is_banned BOOLEAN DEFAULT false,
    panel_user_uuid VARCHAR UNIQUE,
    referral_code VARCHAR(16) UNIQUE,
    referred_by_id BIGINT REFERENCES users (user_id),
    channel_subscription_verified BOOLEAN,
    channel_subscription_checked_at TIMESTAMPTZ,
    channel_subscription_verified_for BIGINT
);
CREATE INDEX ix_users_user_id ON users (user_id);
CREATE INDEX ix_users_username ON users (username);
CREATE UNIQUE INDEX uq_users_referral_code ON users (referral_code) WHERE referral_code IS NOT NULL;

CREATE TABLE subscriptions (
    subscription_id SERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (user_id),
    panel_user_uuid VARCHAR NOT NULL,
    panel_subscription_uuid VARCHAR UNIQUE,
    start_date TIMESTAMPTZ,
    end_date TIMESTAMPTZ NOT NULL,
    duration_months INTEGER,
    is_active BOOLEAN DEFAULT true,
    status_from_panel VARCHAR,
    traffic_limit_bytes BIGINT,
    traffic_used_bytes BIGINT,
    last_notification_sent TIMESTAMPTZ,
    provider VARCHAR,
    skip_notifications BOOLEAN DEFAULT false,
    auto_renew_enabled BOOLEAN DEFAULT true
);
CREATE INDEX ix_subscriptions_user_id ON subscriptions (user_id);
CREATE INDEX ix_subscriptions_panel_user_uuid ON subscriptions (panel_user_uuid);
CREATE INDEX ix_subscriptions_end_date ON subscriptions (end_date);
CREATE INDEX ix_subscriptions_is_active ON subscriptions (is_active);
CREATE INDEX ix_subscriptions_auto_renew_enabled ON subscriptions (auto_renew_enabled);

CREATE TABLE promo_codes (
    promo_code_id SERIAL PRIMARY KEY,
    code VARCHAR NOT NULL UNIQUE,
    bonus_days INTEGER NOT NULL,
    max_activations INTEGER NOT NULL,
    current_activations INTEGER DEFAULT 0,
    is_active BOOLEAN DEFAULT true,
    created_by_admin_id BIGINT NOT NULL,
    created_at TIMESTAMPTZ DEFAULT now(),
    valid_until TIMESTAMPTZ
);

CREATE TABLE payments (
    payment_id SERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (user_id),
    yookassa_payment_id VARCHAR UNIQUE,
    provider_payment_id VARCHAR UNIQUE,
    provider VARCHAR NOT NULL DEFAULT 'yookassa',
    idempotence_key VARCHAR UNIQUE,
    amount DOUBLE PRECISION NOT NULL,
    currency VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    description VARCHAR,
    subscription_duration_months INTEGER,
    promo_code_id INTEGER REFERENCES promo_codes (promo_code_id),
    created_at TIMESTAMPTZ DEFAULT now(),
    updated_at TIMESTAMPTZ
);
CREATE INDEX ix_payments_user_id ON payments (user_id);
CREATE INDEX ix_payments_provider ON payments (provider);
CREATE INDEX ix_payments_status ON payments (status);

CREATE TABLE user_billing (
    user_id BIGINT PRIMARY KEY REFERENCES users (user_id),
    yookassa_payment_method_id VARCHAR UNIQUE,
    card_last4 VARCHAR,
    card_network VARCHAR,
    created_at TIMESTAMPTZ DEFAULT now(),
    updated_at TIMESTAMPTZ
);

CREATE TABLE user_payment_methods (
    method_id SERIAL PRIMARY KEY,
    user_id BIGINT REFERENCES users (user_id),
    provider VARCHAR DEFAULT 'yookassa',
    provider_payment_method_id VARCHAR NOT NULL UNIQUE,
    card_last4 VARCHAR,
    card_network VARCHAR,
    is_default BOOLEAN DEFAULT false,
    created_at TIMESTAMPTZ DEFAULT now(),
    updated_at TIMESTAMPTZ,
    UNIQUE (user_id, provider_payment_method_id)
);
CREATE INDEX ix_user_payment_methods_user_id ON user_payment_methods (user_id);

CREATE TABLE promo_code_activations (
    activation_id SERIAL PRIMARY KEY,
    promo_code_id INTEGER NOT NULL REFERENCES promo_codes (promo_code_id),
    user_id BIGINT NOT NULL REFERENCES users (user_id),
    activated_at TIMESTAMPTZ DEFAULT now(),
    payment_id INTEGER REFERENCES payments (payment_id),
    CONSTRAINT uq_promo_user_activation UNIQUE (promo_code_id, user_id)
);

CREATE TABLE message_logs (
    log_id SERIAL PRIMARY KEY,
    user_id BIGINT REFERENCES users (user_id),
    telegram_username VARCHAR,
    telegram_first_name VARCHAR,
    event_type VARCHAR NOT NULL,
    content TEXT,
    raw_update_preview TEXT,
    timestamp TIMESTAMPTZ DEFAULT now(),
    is_admin_event BOOLEAN DEFAULT false,
    target_user_id BIGINT REFERENCES users (user_id)
);

CREATE TABLE panel_sync_status (
    id INTEGER PRIMARY KEY UNIQUE,
    last_sync_time TIMESTAMPTZ,
    status VARCHAR,
    details TEXT,
    users_processed_from_panel INTEGER,
    subscriptions_synced INTEGER
);

CREATE TABLE ad_campaigns (
    ad_campaign_id SERIAL PRIMARY KEY,
    source VARCHAR NOT NULL,
    start_param VARCHAR NOT NULL UNIQUE,
    cost DOUBLE PRECISION DEFAULT 0,
    is_active BOOLEAN DEFAULT true,
    created_at TIMESTAMPTZ DEFAULT now()
);
CREATE INDEX ix_ad_campaigns_source ON ad_campaigns (source);

CREATE TABLE ad_attributions (
    user_id BIGINT PRIMARY KEY REFERENCES users (user_id),
    ad_campaign_id INTEGER NOT NULL REFERENCES ad_campaigns (ad_campaign_id),
    first_start_at TIMESTAMPTZ DEFAULT now(),
    trial_activated_at TIMESTAMPTZ
);

CREATE TABLE schema_migrations (id VARCHAR(255) PRIMARY KEY, applied_at TIMESTAMPTZ);
INSERT INTO schema_migrations (id, applied_at) VALUES
    ('0001_add_channel_subscription_fields', now()),
    ('0002_add_referral_code_to_users', now()),
    ('0003_normalize_referral_codes', now());
INSERT INTO panel_sync_status (id, status) VALUES (1, 'never_run');
"""

# generate_series seeding of a large database (bench): users, one subscription each, a payment for
# every second user, a saved card for every fifth, referrals between neighbours.
_BULK = [
    """
    INSERT INTO users (user_id, username, first_name, language_code, registration_date, is_banned,
                       panel_user_uuid, referral_code, referred_by_id)
    SELECT :first + i, 'user' || i, 'Name ' || i, CASE WHEN i % 3 = 0 THEN 'en' ELSE 'ru' END,
           now() - make_interval(days => 1 + i % 700), i % 97 = 0,
           md5('panel' || i)::uuid::text, upper(substr(md5('ref' || i), 1, 9)), NULL
    FROM generate_series(0, :count - 1) AS i
    """,
    """
    UPDATE users SET referred_by_id = user_id - 1
    WHERE user_id > :first AND (user_id - :first) % 4 = 1
    """,
    """
    INSERT INTO subscriptions (user_id, panel_user_uuid, panel_subscription_uuid, start_date, end_date,
                               duration_months, is_active, status_from_panel, traffic_limit_bytes,
                               provider, auto_renew_enabled)
    SELECT :first + i, md5('panel' || i)::uuid::text, md5('sub' || i), now() - interval '20 days',
           now() + make_interval(days => i % 90 - 30), 1, i % 90 >= 30,
           CASE WHEN i % 2 = 0 THEN 'ACTIVE' ELSE 'TRIAL' END, 0,
           CASE WHEN i % 2 = 0 THEN 'yookassa' ELSE NULL END, i % 10 = 0
    FROM generate_series(0, :count - 1) AS i
    """,
    """
    INSERT INTO payments (user_id, yookassa_payment_id, provider, amount, currency, status, description,
                          subscription_duration_months, created_at, updated_at)
    SELECT :first + i, md5('pay' || i), 'yookassa', 199.99000000000001, 'RUB',
           CASE WHEN i % 20 = 0 THEN 'canceled' ELSE 'succeeded' END, 'Subscription for 1 month', 1,
           now() - make_interval(days => i % 300), now() - make_interval(days => i % 300)
    FROM generate_series(0, :count - 1, 2) AS i
    """,
    """
    INSERT INTO user_payment_methods (user_id, provider, provider_payment_method_id, card_last4,
                                      card_network, is_default, created_at)
    SELECT :first + i, 'yookassa', md5('card' || i)::uuid::text, lpad((i % 10000)::text, 4, '0'),
           'Visa', true, now() - interval '30 days'
    FROM generate_series(0, :count - 1, 10) AS i
    """,
]


class MachkaDatabase:
    """The predecessor's database at ``url`` (an existing, empty PostgreSQL database)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: AsyncEngine = build_engine(url, pooled=False)

    async def create_schema(self) -> None:
        async with self.engine.begin() as connection:
            raw = await connection.get_raw_connection()
            await raw.driver_connection.execute(SCHEMA)  # type: ignore[union-attr]

    async def insert(self, table: str, *rows: Mapping[str, Any]) -> None:
        """Insert rows into ``table`` in one transaction (each row may name its own columns)."""
        async with self.engine.begin() as connection:
            for row in rows:
                names = ", ".join(f'"{c}"' for c in row)
                values = ", ".join(f":{c}" for c in row)
                statement = f'INSERT INTO "{table}" ({names}) VALUES ({values})'  # noqa: S608
                await connection.execute(text(statement), dict(row))

    async def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(text(sql), dict(params or {}))

    async def scalar(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        async with self.engine.connect() as connection:
            return (await connection.execute(text(sql), dict(params or {}))).scalar()

    async def seed_bulk(self, count: int, *, first_user_id: int = 1_000_000) -> None:
        """``count`` users with realistic history, written by set-based SQL (seconds for 100,000)."""
        async with self.engine.begin() as connection:
            for statement in _BULK:
                await connection.execute(text(statement), {"first": first_user_id, "count": count})

    async def dispose(self) -> None:
        await self.engine.dispose()
