"""Every hot query of the repositories uses its index on a PostgreSQL table of realistic size.

The queries are the ones the repositories really send (captured from the engine), explained with their
own parameters, so a repository change that defeats an index fails here.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession

from remnastore.db import Database
from remnastore.db.models import OrderStatus
from remnastore.db.repositories import CustomerRepository
from remnastore.db.repositories.orders import OrderRepository
from remnastore.db.repositories.promos import PromoRepository
from remnastore.db.repositories.referrals import ReferralRepository
from remnastore.db.repositories.subscriptions import SubscriptionRepository

pytestmark = pytest.mark.postgres

CUSTOMERS = 60_000

SEED = [
    f"""
    INSERT INTO customers (telegram_id, username, first_name, language, referral_code, panel_username,
                           created_at, updated_at, last_seen_at)
    SELECT 10000000 + g, 'User' || g, 'Name' || g, 'en', 'R' || lpad(g::text, 9, '0'), 'tg_' || g,
           now() - (g || ' minutes')::interval, now(), now()
    FROM generate_series(1, {CUSTOMERS}) AS g
    """,  # noqa: S608 - a constant
    """
    INSERT INTO subscriptions (customer_id, kind, expires_at, traffic_limit_bytes, created_at, updated_at)
    SELECT id, 'paid', now() + ((id % 4000) || ' hours')::interval, 0, now(), now() FROM customers
    """,
    """
    INSERT INTO orders (id, customer_id, kind, amount_minor, currency, provider, status, idempotency_key,
                        created_at, updated_at, meta)
    SELECT md5(id::text || 'o'), id, 'subscription', 19900, 'RUB', 'yookassa',
           CASE WHEN id % 100 = 0 THEN 'pending' ELSE 'fulfilled' END, md5(id::text || 'k'),
           now() - ((id % 10000) || ' minutes')::interval, now(), '{}'::jsonb
    FROM customers
    """,
    """
    INSERT INTO promo_codes (code, code_normalized, kind, value, created_at)
    SELECT 'Promo' || g, 'PROMO' || g, 'days', 7, now() FROM generate_series(1, 20000) AS g
    """,
    """
    INSERT INTO referrals (referrer_id, invitee_id, created_at)
    SELECT 1 + (id % 5000), id, now() FROM customers WHERE id > 5000
    """,
    "ANALYZE",
]


@contextmanager
def captured(db: Database) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


def index_names(plan: Any) -> tuple[set[str], set[str]]:
    """(index names used, relations read by a sequential scan) anywhere in a JSON plan."""
    indexes: set[str] = set()
    seq_scans: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "Index Name" in node:
                indexes.add(node["Index Name"])
            if node.get("Node Type") == "Seq Scan":
                seq_scans.add(node.get("Relation Name", "?"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(plan)
    return indexes, seq_scans


Call = Callable[[AsyncSession], Awaitable[object]]


async def explain(db: Database, call: Call) -> tuple[set[str], set[str]]:
    with captured(db) as statements:
        async with db.session() as session:
            await call(session)
    assert statements, "the repository sent no query"
    statement, parameters = statements[-1]
    async with db.engine.connect() as connection:
        raw = await connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters)
        plan = raw.scalar_one()
    return index_names(json.loads(plan) if isinstance(plan, str) else plan)


async def test_hot_queries_use_their_indexes(database: Database, db_backend: str) -> None:
    async with database.engine.begin() as connection:
        for statement in SEED:
            await connection.execute(text(statement))
    now = datetime.now(UTC)
    cases: list[tuple[str, Call, set[str]]] = [
        (
            "customer by telegram id",
            lambda s: CustomerRepository(s).get_by_telegram_id(10_031_337),
            {"uq_customers_telegram_id"},
        ),
        (
            "customer by username, any case",
            lambda s: CustomerRepository(s).get_by_username("@uSeR31337"),
            {"ix_customers_username_lower"},
        ),
        (
            "customer by referral code",
            lambda s: CustomerRepository(s).get_by_referral_code("r000031337"),
            {"uq_customers_referral_code"},
        ),
        (
            "customer by panel username",
            lambda s: CustomerRepository(s).get_by_panel_username("tg_31337"),
            {"ix_customers_panel_username"},
        ),
        (
            "subscriptions by expiry window",
            lambda s: SubscriptionRepository(s).expiring_between(now, now + timedelta(hours=1)),
            {"ix_subscriptions_expires_at"},
        ),
        (
            "pending orders by age",
            lambda s: OrderRepository(s).list(
                status=OrderStatus.PENDING, created_to=now - timedelta(minutes=30), limit=50
            ),
            {"ix_orders_pending_created_at", "ix_orders_status_created_at"},
        ),
        (
            "promo by code, any case",
            lambda s: PromoRepository(s).get_by_code("promo1234"),
            {"uq_promo_codes_code_normalized"},
        ),
        (
            "referrals of a referrer",
            lambda s: ReferralRepository(s).count_invited(42),
            {"ix_referrals_referrer_id"},
        ),
    ]
    try:
        for name, call, expected in cases:
            used, seq_scans = await explain(database, call)
            assert used & expected, f"{name}: expected one of {expected}, plan used {used or 'no index'}"
            assert not seq_scans, f"{name}: sequential scan of {seq_scans}"
    finally:
        async with database.engine.begin() as connection:
            await connection.execute(
                text("TRUNCATE referrals, promo_codes, orders, subscriptions, customers CASCADE")
            )
