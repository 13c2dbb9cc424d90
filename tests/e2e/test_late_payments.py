"""A payment made just before its order expired, whose notification was lost, is still found.

The pending poll stops seeing an order once it has expired, so the ``late-payments`` job asks the
provider again about orders that expired 0, 1, 6 and 24 hours ago (each within one 10-minute job
period). The shop runs on a ManualClock; FreeKassa's emulator takes the payment and its notification is
never delivered.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from remnastore.db.models import Order
from remnastore.infra.clock import ManualClock
from tests.e2e.test_purchase_providers import buy
from tests.fixtures.providers import PaymentEmulators
from tests.fixtures.shop import Shop, admin_alert, admin_is_here

#: FreeKassa names no lifetime of its own: the order lives ORDER_TTL_MINUTES (120)
ORDER_LIFETIME = timedelta(minutes=120)


@pytest.fixture
def shop(clocked_shop: Shop) -> Shop:
    return clocked_shop


async def _status(shop: Shop, order_id: str) -> Order:
    async with shop.db.session() as session:
        return (await session.scalars(select(Order).where(Order.id == order_id))).one()


async def test_a_lost_notification_of_an_order_that_expired_meanwhile_is_credited(
    shop: Shop, manual_clock: ManualClock, payment_emulators: PaymentEmulators
) -> None:
    await admin_is_here(shop)
    user_id = 9720
    order = await buy(shop, user_id, "freekassa")
    payment_emulators.freekassa.pay(order.id)  # paid at FreeKassa; the notification is lost
    manual_clock.advance(ORDER_LIFETIME + timedelta(minutes=1))
    assert await shop.app.reconciliation.expire_stale() == 1
    assert await shop.app.reconciliation.poll_pending() == 0  # no longer pending: not asked

    await shop.app.reconciliation.poll_late()
    buyer = shop.user(user_id)
    await shop.telegram.wait_until(
        lambda: any("Payment received" in m.text for m in buyer.messages), timeout=10
    )
    credited = await _status(shop, order.id)
    assert credited.status == "fulfilled" and credited.meta.get("late_payment") is True
    assert shop.panel.user_by_telegram_id(user_id) is not None
    await admin_alert(shop, "was paid after it had expired or failed", order.id)


async def test_expired_orders_are_asked_about_at_set_times_after_their_expiry(
    shop: Shop, manual_clock: ManualClock, payment_emulators: PaymentEmulators
) -> None:
    order = await buy(shop, 9721, "freekassa")
    manual_clock.advance(ORDER_LIFETIME + timedelta(minutes=1))
    assert await shop.app.reconciliation.expire_stale() == 1
    await shop.app.reconciliation.poll_late()  # asked: not paid
    assert (await _status(shop, order.id)).status == "expired"

    payment_emulators.freekassa.pay(order.id)  # paid late; the notification is lost
    manual_clock.advance(timedelta(minutes=30))  # 31 minutes after the expiry: between two checks
    await shop.app.reconciliation.poll_late()
    assert (await _status(shop, order.id)).status == "expired"

    manual_clock.advance(timedelta(minutes=34))  # 65 minutes after the expiry: the one-hour check
    await shop.app.reconciliation.poll_late()
    assert (await _status(shop, order.id)).status in ("paid", "fulfilled")
