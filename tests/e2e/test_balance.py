"""Balance: top up through a provider, pay a tariff from it, and never go below zero."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from remnastore.db.models import BalanceEntry, Customer, Order
from tests.fixtures.providers import PaymentEmulators
from tests.fixtures.shop import Shop


@pytest.fixture
def shop_env(payment_emulators: PaymentEmulators) -> dict[str, str]:
    return {**payment_emulators.settings(), "BALANCE_ENABLED": "true", "BALANCE_TOPUP_AMOUNTS": "100,300"}


async def balance_of(shop: Shop, telegram_id: int) -> int:
    async with shop.db.session() as session:
        customer = await session.scalar(select(Customer).where(Customer.telegram_id == telegram_id))
        assert customer is not None
        return customer.balance_minor


async def test_top_up_then_pay_from_balance(shop: Shop, payment_emulators: PaymentEmulators) -> None:
    payment_emulators.point_at(f"http://127.0.0.1:{shop.app.port}")
    olga = shop.user(9401, first_name="Olga", language_code="en")
    await olga.wait_reply(await olga.send("/start"))
    reply = await olga.wait_reply(await olga.press("Balance"))
    assert "Your balance: 0.00 ₽" in reply.text
    await olga.wait_reply(await olga.press("300.00 ₽"))
    reply = await olga.wait_reply(await olga.press("YooKassa"))
    assert "Balance top-up" in reply.text
    async with shop.db.session() as session:
        order = (await session.scalars(select(Order))).one()
    assert order.kind == "topup" and order.amount_minor == 30000
    delivery = payment_emulators.yookassa.pay(str(order.provider_payment_id))
    assert (await payment_emulators.yookassa.deliver(delivery)).status == 200
    await shop.telegram.wait_until(lambda: any("topped up" in m.text for m in olga.messages), timeout=10)
    assert await balance_of(shop, 9401) == 30000
    # a repeated notification does not credit twice
    await payment_emulators.yookassa.deliver(delivery)
    assert await balance_of(shop, 9401) == 30000

    await olga.wait_reply(await olga.send("/buy"))
    await olga.wait_reply(await olga.press("Standard"))
    await olga.wait_reply(await olga.press("1 month"))
    await olga.wait_reply(await olga.press("From balance"))
    assert any("from your balance" in m.text for m in olga.history)
    await shop.telegram.wait_until(
        lambda: any("Payment received" in m.text for m in olga.messages), timeout=10
    )
    assert await balance_of(shop, 9401) == 30000 - 19900
    assert shop.panel.user_by_telegram_id(9401) is not None

    # 12 months cost more than what is left: refused, nothing changes
    await olga.wait_reply(await olga.send("/buy"))
    await olga.wait_reply(await olga.press("Standard"))
    await olga.wait_reply(await olga.press("12 months"))
    answer = await olga.wait_alert(await olga.press("From balance"))
    assert "Not enough money" in answer["text"]
    assert await balance_of(shop, 9401) == 30000 - 19900
    async with shop.db.session() as session:
        ledger = (await session.scalars(select(BalanceEntry).order_by(BalanceEntry.id))).all()
        assert [(e.reason, e.delta_minor) for e in ledger] == [("topup", 30000), ("purchase", -19900)]

    reply = await olga.wait_reply(await olga.send("/balance"))
    assert "top-up" in reply.text and "purchase" in reply.text


async def test_forged_top_up_amount_is_refused(shop: Shop) -> None:
    ivan = shop.user(9402, first_name="Ivan", language_code="en")
    await ivan.wait_reply(await ivan.send("/start"))
    for data in ("ta:99", "tm:99:yookassa", "ta:-1", "tm:0:balance"):
        answer = await ivan.wait_alert(await ivan.press_data(data))
        assert any(word in answer["text"] for word in ("outdated", "not available", "no longer available")), (
            data,
            answer,
        )
    async with shop.db.session() as session:
        assert (await session.scalars(select(Order))).all() == []
