"""Payment notifications settled end to end: YooKassa webhooks with 10% duplicates.

BENCH_PAYMENTS (1,000) customers each have a pending 1-month order with a YooKassa payment created
through the fake YooKassa's API (as the shop's checkout does). The payments are paid and their
notifications POSTed to the shop (``remnastore run`` in a child process) BENCH_CONCURRENCY (32) at a time,
10% of them twice. Reported: notifications answered per second, orders settled (paid -> fulfilled: panel
user created or extended, customer told) per second end to end, and the checks that every order was
credited exactly once.

Run: ``python -m bench.bench_payments`` (DATABASE_URL / REDIS_URL choose the backend).
"""

from __future__ import annotations

import asyncio
import base64
import random
import time
import uuid

import aiohttp
from sqlalchemy import func, select

from bench.harness import ADMIN_ID, ShopProcess, flush_redis, reset_database
from bench.report import (
    Backend,
    ProcessStats,
    backend_from_env,
    emit,
    float_env,
    int_env,
    latency_summary,
    progress,
)
from remnastore.db.models import Order, OrderStatus, PaymentEvent, SubscriptionPeriod
from remnastore.db.repositories import CustomerRepository
from remnastore.db.repositories.orders import OrderRepository
from remnastore.db.session import Database
from remnastore.domain.money import Money
from remnastore.emulators.panel import PanelEmulator
from remnastore.emulators.provider_base import Delivery
from remnastore.emulators.telegram import TelegramEmulator
from remnastore.emulators.yookassa import YooKassaEmulator

NAME = "payments"
FIRST_TELEGRAM_ID = 60_000_000
DUPLICATE_SHARE = 0.10


async def seed(db: Database, yookassa: YooKassaEmulator, count: int) -> list[str]:
    """``count`` customers with a pending order and its YooKassa payment; returns the payment ids."""
    auth = base64.b64encode(f"{yookassa.shop_id}:{yookassa.secret_key}".encode()).decode()
    payment_ids: list[str] = []
    async with aiohttp.ClientSession(headers={"Authorization": f"Basic {auth}"}) as http:
        for start in range(0, count, 200):
            async with db.session() as session:
                customers, orders = CustomerRepository(session), OrderRepository(session)
                created = []
                for n in range(start, min(count, start + 200)):
                    customer, _ = await customers.register(
                        FIRST_TELEGRAM_ID + n,
                        username=None,
                        first_name=f"Payer{n}",
                        last_name=None,
                        language="en",
                        start_payload=None,
                    )
                    order = await orders.create(
                        customer.id,
                        kind="subscription",
                        amount=Money(19900, "RUB"),
                        provider="yookassa",
                        tariff_code="standard",
                        period_code="1m",
                    )
                    created.append((customer.telegram_id, order))
                for telegram_id, order in created:
                    body = {
                        "amount": {"value": "199.00", "currency": "RUB"},
                        "capture": True,
                        "confirmation": {"type": "redirect", "return_url": "https://t.me"},
                        "description": "bench",
                        "metadata": {"order_id": order.id, "telegram_user_id": str(telegram_id)},
                    }
                    headers = {"Idempotence-Key": str(uuid.uuid4())}
                    async with http.post(f"{yookassa.api_url}/payments", json=body, headers=headers) as resp:
                        payment = await resp.json()
                    order.provider_payment_id = payment["id"]
                    payment_ids.append(payment["id"])
    return payment_ids


async def deliver_all(deliveries: list[Delivery], concurrency: int) -> tuple[list[float], int]:
    latencies: list[float] = []
    failures = 0
    queue: asyncio.Queue[Delivery] = asyncio.Queue()
    for delivery in deliveries:
        queue.put_nowait(delivery)

    async def worker(http: aiohttp.ClientSession) -> None:
        nonlocal failures
        while not queue.empty():
            delivery = queue.get_nowait()
            started = time.monotonic()
            async with http.post(delivery.url, data=delivery.body, headers=delivery.headers) as resp:
                await resp.read()
                if resp.status != 200:
                    failures += 1
            latencies.append(time.monotonic() - started)

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
    return latencies, failures


async def count(db: Database, query: object) -> int:
    async with db.session() as session:
        return int(await session.scalar(query) or 0)  # type: ignore[call-overload]


async def main(backend: Backend) -> None:
    total = int_env("BENCH_PAYMENTS", 1000)
    concurrency = int_env("BENCH_CONCURRENCY", 32)
    settle_timeout = float_env("BENCH_SETTLE_TIMEOUT", 600.0)
    await reset_database(backend)
    await flush_redis(backend)
    yookassa = YooKassaEmulator("bench" + uuid.uuid4().hex[:6], "test_" + uuid.uuid4().hex)
    async with TelegramEmulator() as telegram, PanelEmulator() as panel, yookassa:
        telegram.user(ADMIN_ID, first_name="Admin")
        for n in range(total):
            telegram.user(FIRST_TELEGRAM_ID + n, first_name=f"Payer{n}")
        shop = ShopProcess(
            backend,
            telegram,
            panel,
            {
                "TRUSTED_PROXIES": "127.0.0.1",
                "YOOKASSA_ENABLED": "true",
                "YOOKASSA_SHOP_ID": yookassa.shop_id,
                "YOOKASSA_SECRET_KEY": yookassa.secret_key,
                "YOOKASSA_API_URL": yookassa.api_url,
            },
        )
        await shop.start(telegram)
        yookassa.notify_url = f"{shop.url}/webhooks/yookassa"
        db = Database(backend.database_url)
        try:
            progress(f"seeding {total} pending orders")
            payment_ids = await seed(db, yookassa, total)
            deliveries = [yookassa.pay(payment_id) for payment_id in payment_ids]
            duplicates = random.sample(deliveries, int(total * DUPLICATE_SHARE))
            batch = deliveries + [Delivery(d.url, d.body, dict(d.headers)) for d in duplicates]
            random.shuffle(batch)
            here = ProcessStats()
            cpu0, here0 = shop.stats.cpu_seconds(), here.cpu_seconds()
            progress(f"delivering {len(batch)} notifications ({len(duplicates)} duplicates)")
            started = time.monotonic()
            latencies, failures = await deliver_all(batch, concurrency)
            delivered_in = time.monotonic() - started
            fulfilled_query = (
                select(func.count()).select_from(Order).where(Order.status == OrderStatus.FULFILLED.value)
            )
            while await count(db, fulfilled_query) < total:
                if time.monotonic() - started > settle_timeout:
                    break
                await asyncio.sleep(0.2)
            settled_in = time.monotonic() - started
            cpu1, here1 = shop.stats.cpu_seconds(), here.cpu_seconds()
            fulfilled = await count(db, fulfilled_query)
            events = await count(db, select(func.count()).select_from(PaymentEvent))
            periods = await count(db, select(func.count()).select_from(SubscriptionPeriod))
            metrics = {
                "orders": total,
                "notifications": len(batch),
                "duplicates": len(duplicates),
                "concurrency": concurrency,
                "notifications_per_second": round(len(batch) / delivered_in, 1),
                "notification_reply": latency_summary(latencies),
                "non_200_replies": failures,
                "settled_end_to_end_per_second": round(fulfilled / settled_in, 1),
                "seconds_until_all_fulfilled": round(settled_in, 2),
                "shop_cpu_seconds_per_1000_notifications": round((cpu1 - cpu0) / len(batch) * 1000, 3),
                "shop_cpu_utilisation": round((cpu1 - cpu0) / settled_in, 2),
                "driver_cpu_utilisation": round((here1 - here0) / settled_in, 2),
                "shop_peak_rss_mb": shop.stats.peak_rss_mb(),
                "checks": {
                    "orders_fulfilled": fulfilled,
                    "payment_events_stored": events,
                    "subscription_periods_granted": periods,
                    "panel_users": len(panel.users) if hasattr(panel, "users") else None,
                    "credited_exactly_once": fulfilled == total == events == periods,
                },
            }
        finally:
            await db.dispose()
            await shop.stop()
    emit(NAME, backend, metrics)


if __name__ == "__main__":
    asyncio.run(main(backend_from_env(NAME)))
