"""Hot queries of the repositories on a large shop.

Seeds BENCH_DB_CUSTOMERS customers (1,000,000 on PostgreSQL, 100,000 on SQLite), each with a
subscription and an order (1% pending), 20,000 promo codes and referrals, in bulk (``INSERT ... SELECT``
over ``generate_series`` / a recursive CTE), then runs each hot query BENCH_DB_QUERIES (500) times with
random keys through the real repository method and reports p50/p99 of:

* ``call``: the repository call in an open session (SQLAlchemy, driver and round trip included);
* ``server`` (PostgreSQL): the execution time PostgreSQL reports (``EXPLAIN ANALYZE``) for a sample.

Run: ``python -m bench.bench_db`` (DATABASE_URL chooses the backend; Redis is not used).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from bench.harness import reset_database
from bench.report import Backend, backend_from_env, emit, int_env, latency_summary, progress
from remnastore.db.models import OrderStatus
from remnastore.db.repositories import CustomerRepository
from remnastore.db.repositories.orders import OrderRepository
from remnastore.db.repositories.promos import PromoRepository
from remnastore.db.repositories.referrals import ReferralRepository
from remnastore.db.repositories.subscriptions import SubscriptionRepository
from remnastore.db.session import Database, normalize_url

NAME = "db"
BASE_TELEGRAM_ID = 10_000_000
PROMOS = 20_000
REFERRERS = 5_000

Query = Callable[[AsyncSession, int], Awaitable[object]]


def seed_statements(postgres: bool, customers: int) -> list[str]:
    if postgres:
        series = f"generate_series(1, {customers}) AS s(g)"
        promo_series = f"generate_series(1, {PROMOS}) AS s(g)"
        now, minutes, hours = "now()", "(g || ' minutes')::interval", "((id % 4000) || ' hours')::interval"
        order_age = "((id % 10000) || ' minutes')::interval"
        ref = "'R' || lpad(g::text, 9, '0')"
        order_id, key = "md5(id::text || 'o')", "md5(id::text || 'k')"
        minus = f"{now} - {minutes}"
        plus_hours = f"{now} + {hours}"
        order_created = f"{now} - {order_age}"
        meta = "'{}'::jsonb"
        with_series = ""
        promo_with = ""
    else:
        series = "s"
        promo_series = "p"
        now = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
        ref = "'R' || substr('000000000' || g, -9, 9)"
        order_id, key = "lower(hex(randomblob(16)))", "lower(hex(randomblob(16)))"
        minus = "strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || g || ' minutes')"
        plus_hours = "strftime('%Y-%m-%d %H:%M:%f', 'now', '+' || (id % 4000) || ' hours')"
        order_created = "strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || (id % 10000) || ' minutes')"
        meta = "'{}'"
        recursive = "WITH RECURSIVE {0}(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM {0} WHERE g < {1}) "
        with_series = recursive.format("s", customers)
        promo_with = recursive.format("p", PROMOS)
    return [
        f"""INSERT INTO customers (telegram_id, username, first_name, language, referral_code, panel_username,
                                   created_at, updated_at, last_seen_at)
            {with_series}SELECT {BASE_TELEGRAM_ID} + g, 'User' || g, 'Name' || g, 'en', {ref}, 'tg_' || g,
                   {minus}, {now}, {now} FROM {series}""",
        f"""INSERT INTO subscriptions (customer_id, kind, expires_at, traffic_limit_bytes,
                                       created_at, updated_at)
            SELECT id, 'paid', {plus_hours}, 0, {now}, {now} FROM customers""",
        f"""INSERT INTO orders (id, customer_id, kind, amount_minor, currency, provider, status,
                               idempotency_key, created_at, updated_at, meta)
            SELECT {order_id}, id, 'subscription', 19900, 'RUB', 'yookassa',
                   CASE WHEN id % 100 = 0 THEN 'pending' ELSE 'fulfilled' END, {key},
                   {order_created}, {now}, {meta} FROM customers""",
        f"""INSERT INTO promo_codes (code, code_normalized, kind, value, created_at)
            {promo_with}SELECT 'Promo' || g, 'PROMO' || g, 'days', 7, {now} FROM {promo_series}""",
        f"""INSERT INTO referrals (referrer_id, invitee_id, created_at)
            SELECT 1 + (id % {REFERRERS}), id, {now} FROM customers WHERE id > {REFERRERS}""",
        "ANALYZE",
    ]


def hot_queries(customers: int) -> dict[str, Query]:
    now = datetime.now(UTC)

    def n() -> int:
        return random.randint(1, customers)

    return {
        "customer_by_telegram_id": lambda s, _: CustomerRepository(s).get_by_telegram_id(
            BASE_TELEGRAM_ID + n()
        ),
        "customer_by_username_lower": lambda s, _: CustomerRepository(s).get_by_username(f"@uSeR{n()}"),
        "customer_by_referral_code": lambda s, _: CustomerRepository(s).get_by_referral_code(f"r{n():09d}"),
        "customer_by_panel_username": lambda s, _: CustomerRepository(s).get_by_panel_username(f"tg_{n()}"),
        "subscriptions_expiring_in_an_hour": lambda s, i: SubscriptionRepository(s).expiring_between(
            now + timedelta(hours=i % 4000), now + timedelta(hours=i % 4000 + 1), limit=500
        ),
        "pending_orders_older_than_30_min": lambda s, _: OrderRepository(s).list(
            status=OrderStatus.PENDING, created_to=now - timedelta(minutes=30), limit=50
        ),
        "promo_by_code": lambda s, _: PromoRepository(s).get_by_code(f"promo{random.randint(1, PROMOS)}"),
        "referrals_of_a_referrer": lambda s, _: ReferralRepository(s).count_invited(
            random.randint(1, REFERRERS)
        ),
    }


async def server_time(db: Database, query: Query, samples: int) -> list[float]:
    """PostgreSQL's own execution time of the statement the repository sends, for ``samples`` keys."""
    captured: list[tuple[str, Any]] = []

    def record(_c: Any, _cur: Any, statement: str, parameters: Any, _ctx: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, parameters))

    times: list[float] = []
    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        for i in range(samples):
            captured.clear()
            async with db.session() as session:
                await query(session, i)
            statement, parameters = captured[-1]
            async with db.engine.connect() as connection:
                raw = await connection.exec_driver_sql(
                    "EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters
                )
                plan = raw.scalar_one()
            plan = json.loads(plan) if isinstance(plan, str) else plan
            times.append(plan[0]["Execution Time"] / 1000)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)
    return times


async def main(backend: Backend) -> None:
    customers = int_env("BENCH_DB_CUSTOMERS", 1_000_000 if backend.is_postgres else 100_000)
    repeats = int_env("BENCH_DB_QUERIES", 500)
    await reset_database(backend)
    db = Database(backend.database_url)
    try:
        seed_times: dict[str, float] = {}
        # bulk seeding takes minutes: no per-statement client timeout
        options = {"connect_args": {"command_timeout": None}} if backend.is_postgres else {}
        seeder = create_async_engine(normalize_url(backend.database_url), poolclass=NullPool, **options)
        try:
            for statement in seed_statements(backend.is_postgres, customers):
                label = statement.split()[2] if statement.startswith("INSERT") else "analyze"
                progress(f"seeding: {label}")
                started = time.perf_counter()
                async with seeder.begin() as connection:
                    await connection.execute(text(statement))
                seed_times[label] = round(time.perf_counter() - started, 1)
        finally:
            await seeder.dispose()
        results: dict[str, Any] = {}
        for name, query in hot_queries(customers).items():
            progress(f"timing {name}")
            async with db.session() as session:
                for i in range(20):  # warm: statement cache, prepared statements
                    await query(session, i)
                latencies = []
                for i in range(repeats):
                    started = time.perf_counter()
                    await query(session, i)
                    latencies.append(time.perf_counter() - started)
            results[name] = {"call": latency_summary(latencies)}
            if backend.is_postgres:
                results[name]["server"] = latency_summary(await server_time(db, query, 50))
        metrics = {"customers": customers, "seed_seconds": seed_times, "queries": results}
    finally:
        await db.dispose()
    emit(NAME, Backend(backend.database_url, None), metrics)


if __name__ == "__main__":
    import asyncio

    asyncio.run(main(backend_from_env(NAME)))
