"""A Stars payment update is acknowledged (long polling: by the next getUpdates offset; webhook: by the
2xx answer) only once the payment is stored. While the database cannot store it, Telegram keeps it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Set as AbstractSet
from typing import Any

import pytest
from sqlalchemy import text

from remnastore.db.session import Database
from tests.e2e.test_purchase_stars import open_invoice, orders
from tests.fixtures.shop import Shop, free_port

pytestmark = pytest.mark.postgres


@pytest.fixture(params=["polling", "webhook"])
def shop_env(request: pytest.FixtureRequest) -> dict[str, str]:
    if request.param == "webhook":
        port = free_port()
        return {"WEBHOOK_BASE_URL": f"http://127.0.0.1:{port}", "WEB_PORT": str(port)}
    return {}


async def waiting_for_a_lock(
    db: Database, seconds: float = 10.0, *, besides: AbstractSet[int] = frozenset()
) -> set[int]:
    """Until some session (other than ``besides``) waits for a lock (PostgreSQL's own view of it); their
    server process ids."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        async with db.session() as session:
            pids = set((await session.scalars(text("SELECT pid FROM pg_locks WHERE NOT granted"))).all())
        if pids - besides:
            return pids - besides
        await asyncio.sleep(0.02)
    raise AssertionError("nobody waited for the lock")


async def test_the_payment_update_stays_with_telegram_until_it_is_stored(shop: Shop) -> None:
    link = await open_invoice(shop, 8801)
    buyer = shop.user(8801)
    acknowledged: list[int] = []

    def on_acknowledged(updates: list[dict[str, Any]]) -> None:
        acknowledged.extend(u["update_id"] for u in updates)

    shop.telegram.hub.on_acknowledged = on_acknowledged
    locker = Database(shop.app.settings.database.url)
    try:
        async with locker.session() as session:
            # writes to orders (and rows referencing them) wait; reads, like the pre-checkout's, go on
            await session.execute(text("LOCK TABLE orders IN EXCLUSIVE MODE"))
            paid = await buyer.pay_invoice(link=link)
            assert paid.approved and paid.payment_update_id is not None
            await waiting_for_a_lock(shop.db)
            # the bot has the update, cannot store the payment yet, and has not acknowledged it
            assert paid.payment_update_id in shop.telegram.hub.delivered_at
            assert paid.payment_update_id not in acknowledged
            assert any(u["update_id"] == paid.payment_update_id for u in shop.telegram.hub.pending)
        # the lock is gone: the payment is stored, then acknowledged
        await shop.telegram.wait_until(lambda: paid.payment_update_id in acknowledged, timeout=10)
    finally:
        await locker.dispose()
        shop.telegram.hub.on_acknowledged = None
    [order] = await orders(shop)
    assert order.status in ("paid", "fulfilled") and order.provider_payment_id == paid.charge_id
    await shop.telegram.wait_until(lambda: any("Payment received" in m.text for m in buyer.messages), 10)


async def test_a_payment_that_could_not_be_stored_is_taken_again_from_telegram(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    link = await open_invoice(shop, 8802)
    buyer = shop.user(8802)
    acknowledged: list[int] = []
    shop.telegram.hub.on_acknowledged = lambda updates: acknowledged.extend(u["update_id"] for u in updates)
    locker = Database(shop.app.settings.database.url)
    try:
        async with locker.session() as session:
            await session.execute(text("LOCK TABLE orders IN EXCLUSIVE MODE"))
            paid = await buyer.pay_invoice(link=link)
            storing = await waiting_for_a_lock(shop.db)
            # the database drops the connection that was storing the payment: storing it fails
            async with shop.db.session() as other:
                for pid in storing:
                    await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            # Telegram still has it and hands it over again (polling: the same offset; webhook: after a
            # 500): storing it waits for the lock once more, on another connection
            await waiting_for_a_lock(shop.db, besides=storing)
            assert paid.payment_update_id not in acknowledged
            assert "could not store a payment update" in caplog.text
        await shop.telegram.wait_until(lambda: paid.payment_update_id in acknowledged, timeout=15)
    finally:
        await locker.dispose()
        shop.telegram.hub.on_acknowledged = None
    if shop.app.settings.use_webhook:
        webhook = shop.telegram.hub.webhook
        assert webhook is not None and "500" in str(webhook.last_error_message)
    [order] = await orders(shop)
    assert order.status in ("paid", "fulfilled") and order.provider_payment_id == paid.charge_id
    await shop.telegram.wait_until(lambda: any("Payment received" in m.text for m in buyer.messages), 10)
    assert sum("Payment received" in m.text for m in buyer.history) == 1
