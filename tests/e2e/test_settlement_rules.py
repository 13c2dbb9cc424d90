"""Settlement's money rules, each one as a seller would notice it: the order, the panel and the admin chat.

Each test here was written against a deliberately planted bug (the currency not compared, a second payment
for a paid order silently ignored, a late payment for an expired or failed order not credited) and fails
with that bug in place.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from remnastore.db.models import Order, OrderStatus
from remnastore.db.models import PaymentEvent as PaymentEventRow
from remnastore.payments.base import EventKind, PaymentEvent
from remnastore.payments.stars import event_from_payment
from remnastore.services.settlement import Outcome
from tests.e2e.test_purchase_stars import open_invoice, orders, panel_expiry
from tests.fixtures.shop import Shop, admin_alert, admin_is_here


async def _event_kinds(shop: Shop) -> list[str]:
    async with shop.db.session() as session:
        return sorted((await session.scalars(select(PaymentEventRow.kind))).all())


async def test_a_payment_in_another_currency_is_a_mismatch_even_with_the_same_number(shop: Shop) -> None:
    await admin_is_here(shop)
    await open_invoice(shop, 8101)
    [order] = await orders(shop)
    assert (order.amount_minor, order.currency) == (150, "XTR")
    # 150 kopecks, not 150 stars: the same number of minor units in another currency
    roubles = event_from_payment(
        telegram_user_id=8101, payload=order.id, charge_id="stxRUB", total_amount=150, currency="RUB"
    )
    assert (await shop.app.settlement.settle(roubles)).outcome is Outcome.MISMATCH
    [order] = await orders(shop)
    assert order.status == "pending"
    assert order.meta.get("mismatch") == "amount"
    assert shop.panel.user_by_telegram_id(8101) is None
    assert "amount_mismatch" in await _event_kinds(shop)
    text = await admin_alert(shop, "does not match the order", order.id)
    assert "NOT credited" in text


async def test_a_second_different_payment_for_a_paid_order_is_a_mismatch_with_an_alert(shop: Shop) -> None:
    await admin_is_here(shop)
    buyer = shop.user(8102, first_name="Twice", language_code="en")
    first = await buyer.pay_invoice(link=await open_invoice(shop, 8102))
    await shop.telegram.wait_until(
        lambda: any("Payment received" in m.text for m in buyer.messages), timeout=10
    )
    expiry = panel_expiry(shop, 8102)
    [order] = await orders(shop)
    assert order.status == "fulfilled" and order.provider_payment_id == first.charge_id

    second = event_from_payment(
        telegram_user_id=8102, payload=order.id, charge_id="stxSECOND", total_amount=150, currency="XTR"
    )
    assert (await shop.app.settlement.settle(second)).outcome is Outcome.MISMATCH
    [order] = await orders(shop)
    assert order.status == "fulfilled" and order.provider_payment_id == first.charge_id
    assert order.meta.get("mismatch") == "second payment"
    assert panel_expiry(shop, 8102) == expiry
    text = await admin_alert(shop, "does not match the order", order.id)
    assert "second payment" in text


async def _late_payment_is_credited(shop: Shop, user_id: int, charge_id: str) -> None:
    [order] = await orders(shop)
    event = event_from_payment(
        telegram_user_id=user_id, payload=order.id, charge_id=charge_id, total_amount=150, currency="XTR"
    )
    assert (await shop.app.settlement.settle(event)).outcome is Outcome.CREDITED
    buyer = shop.user(user_id)
    await shop.telegram.wait_until(
        lambda: any("Payment received" in m.text for m in buyer.messages), timeout=10
    )
    assert shop.panel.user_by_telegram_id(user_id) is not None
    [order] = await orders(shop)
    assert order.status == "fulfilled" and order.meta.get("late_payment") is True
    await admin_alert(shop, "was paid after it had expired or failed", order.id)


async def test_a_payment_for_an_expired_order_is_credited_with_an_alert(shop: Shop) -> None:
    await admin_is_here(shop)
    await open_invoice(shop, 8103)
    async with shop.db.session() as session:
        await session.execute(update(Order).values(status=OrderStatus.EXPIRED))
    [order] = await orders(shop)
    assert order.status == "expired"
    await _late_payment_is_credited(shop, 8103, "stxLATE1")


async def test_a_payment_for_a_failed_order_is_credited_with_an_alert(shop: Shop) -> None:
    await admin_is_here(shop)
    await open_invoice(shop, 8104)
    [order] = await orders(shop)
    failed = PaymentEvent(
        provider="stars",
        provider_payment_id="stxFAILED",
        kind=EventKind.FAILED,
        order_id=order.id,
        amount=None,
        occurred_at=datetime.now(UTC),
    )
    assert (await shop.app.settlement.settle(failed)).outcome is Outcome.FAILED
    [order] = await orders(shop)
    assert order.status == "failed"
    await _late_payment_is_credited(shop, 8104, "stxLATE2")
