"""Buying with Telegram Stars end to end, and the settlement guarantees around it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import func, select

from remnastore.app import Application
from remnastore.db.models import Order, PaymentEvent, SubscriptionPeriod
from remnastore.domain.catalogue import add_months
from remnastore.payments.stars import event_from_payment
from remnastore.services.lifecycle import Lifecycle, OrderEvents
from remnastore.services.settlement import Outcome, Settlement
from tests.fixtures.shop import Shop


def panel_expiry(shop: Shop, telegram_id: int) -> datetime:
    user = shop.panel.user_by_telegram_id(telegram_id)
    assert user is not None
    return datetime.fromisoformat(user["expireAt"].replace("Z", "+00:00"))


async def orders(shop: Shop) -> list[Order]:
    async with shop.db.session() as session:
        return list((await session.scalars(select(Order).order_by(Order.created_at))).all())


async def open_invoice(shop: Shop, user_id: int, tariff: str = "Standard", period: str = "1 month") -> str:
    buyer = shop.user(user_id, first_name="Buyer", language_code="en")
    await buyer.wait_reply(await buyer.send("/start"))
    await buyer.wait_reply(await buyer.press("Buy subscription"))
    await buyer.wait_reply(await buyer.press(tariff))
    await buyer.wait_reply(await buyer.press(period))
    reply = await buyer.wait_reply(await buyer.press("Telegram Stars"))
    assert "Order" in reply.text
    pay = [b for row in reply.buttons for b in row if b.url and b.url.startswith("https://t.me/$")]
    assert pay, reply.buttons
    return str(pay[0].url)


async def test_buying_with_stars_extends_the_panel_user_and_tells_the_customer(shop: Shop) -> None:
    link = await open_invoice(shop, 8001)
    buyer = shop.user(8001)
    started = datetime.now(UTC)
    result = await buyer.pay_invoice(link=link)
    assert result.approved and result.total_amount == 150 and result.currency == "XTR"
    await shop.telegram.wait_until(
        lambda: any("Payment received" in m.text for m in buyer.messages), timeout=10
    )

    expiry = panel_expiry(shop, 8001)
    assert abs(expiry - add_months(started, 1)).total_seconds() < 60
    user = shop.panel.user_by_telegram_id(8001)
    assert user is not None and user["hwidDeviceLimit"] == 3 and user["trafficLimitBytes"] == 0
    [order] = await orders(shop)
    assert order.status == "fulfilled" and order.amount_minor == 150 and order.currency == "XTR"
    assert order.provider_payment_id == result.charge_id
    message = next(m for m in buyer.messages if "Payment received" in m.text)
    assert user["subscriptionUrl"] in message.text


async def test_renewal_extends_from_the_current_expiry(shop: Shop) -> None:
    buyer = shop.user(8002, first_name="Renew", language_code="en")
    await buyer.pay_invoice(link=await open_invoice(shop, 8002))
    await shop.telegram.wait_until(
        lambda: (
            len(shop.telegram.calls_for("sendMessage"))
            and any("Payment received" in m.text for m in buyer.messages)
        ),
        timeout=10,
    )
    first = panel_expiry(shop, 8002)
    await buyer.pay_invoice(link=await open_invoice(shop, 8002, period="3 months"))
    await shop.telegram.wait_until(
        lambda: sum("Payment received" in m.text for m in buyer.history) >= 2, timeout=10
    )
    assert abs((panel_expiry(shop, 8002) - add_months(first, 3)).total_seconds()) < 5


async def test_a_replayed_payment_message_credits_once(shop: Shop) -> None:
    buyer = shop.user(8003, first_name="Twice", language_code="en")
    result = await buyer.pay_invoice(link=await open_invoice(shop, 8003))
    await shop.telegram.wait_until(
        lambda: any("Payment received" in m.text for m in buyer.messages), timeout=10
    )
    expiry = panel_expiry(shop, 8003)
    [order] = await orders(shop)
    event = event_from_payment(
        telegram_user_id=8003,
        payload=order.id,
        charge_id=str(result.charge_id),
        total_amount=150,
        currency="XTR",
    )
    outcomes = await asyncio.gather(*(shop.app.settlement.settle(event) for _ in range(50)))
    assert {o.outcome for o in outcomes} == {Outcome.DUPLICATE}
    assert panel_expiry(shop, 8003) == expiry
    async with shop.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(SubscriptionPeriod)) == 1


async def test_concurrent_first_deliveries_credit_exactly_once(shop: Shop) -> None:
    await open_invoice(shop, 8004)
    [order] = await orders(shop)
    event = event_from_payment(
        telegram_user_id=8004, payload=order.id, charge_id="stxCONCURRENT1", total_amount=150, currency="XTR"
    )
    outcomes = await asyncio.gather(*(shop.app.settlement.settle(event) for _ in range(50)))
    assert [o.outcome for o in outcomes].count(Outcome.CREDITED) == 1
    assert {o.outcome for o in outcomes} == {Outcome.CREDITED, Outcome.DUPLICATE}
    await shop.telegram.wait_until(
        lambda: any("Payment received" in m.text for m in shop.user(8004).messages), timeout=10
    )
    async with shop.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(SubscriptionPeriod)) == 1
        assert await session.scalar(select(func.count()).select_from(PaymentEvent)) == 1


async def test_wrong_amount_or_currency_is_recorded_and_not_credited(shop: Shop) -> None:
    await open_invoice(shop, 8005)
    [order] = await orders(shop)
    cheap = event_from_payment(
        telegram_user_id=8005, payload=order.id, charge_id="stxCHEAP", total_amount=1, currency="XTR"
    )
    assert (await shop.app.settlement.settle(cheap)).outcome is Outcome.MISMATCH
    [order] = await orders(shop)
    assert order.status == "pending"
    assert shop.panel.user_by_telegram_id(8005) is None


async def test_pre_checkout_refuses_a_changed_amount_and_a_foreign_order(shop: Shop) -> None:
    link = await open_invoice(shop, 8006)
    invoice = shop.telegram.state.invoice_links[link]
    forged = dict(invoice, total_amount=1)
    shop.telegram.state.invoice_links["https://t.me/$forged"] = forged
    result = await shop.user(8006).pay_invoice(link="https://t.me/$forged")
    assert not result.approved
    other = shop.user(8007, first_name="Other", language_code="en")
    await other.wait_reply(await other.send("/start"))
    result = await other.pay_invoice(link=link)
    assert not result.approved
    [order] = await orders(shop)
    assert order.status == "pending"


async def test_forged_callback_data_cannot_choose_a_price(shop: Shop) -> None:
    buyer = shop.user(8008, first_name="Mallory", language_code="en")
    await buyer.wait_reply(await buyer.send("/start"))
    for data in (
        "bm:standard:1m:stars:1",
        "bm:standard:99m:stars",
        "bm:nosuch:1m:stars",
        "bm:standard:1m:bank",
    ):
        answer = await buyer.wait_alert(await buyer.press_data(data))
        assert any(word in answer["text"] for word in ("outdated", "not available", "no longer available")), (
            data,
            answer,
        )
    assert await orders(shop) == []


async def test_panel_down_during_fulfilment_keeps_the_order_paid_until_it_returns(shop: Shop) -> None:
    link = await open_invoice(shop, 8009)
    shop.panel.set_down(True)
    result = await shop.user(8009).pay_invoice(link=link)
    assert result.approved
    order = await wait_for_order(shop, lambda o: o.fulfilment_attempts >= 1)
    assert order.status == "paid" and order.next_attempt_at is not None
    shop.panel.set_down(False)
    assert await shop.app.fulfilment.fulfil(order.id)
    [order] = await orders(shop)
    assert order.status == "fulfilled"
    assert shop.panel.user_by_telegram_id(8009) is not None


async def test_payment_survives_a_crash_before_fulfilment(shop: Shop) -> None:
    """The process dies right after the payment was recorded: the next start fulfils it."""
    await open_invoice(shop, 8010)
    [order] = await orders(shop)
    event = event_from_payment(
        telegram_user_id=8010, payload=order.id, charge_id="stxCRASH", total_amount=150, currency="XTR"
    )
    # Settle as the process would, but die before the fulfilment starts: the payment is committed and
    # no subscriber (fulfilment among them) ever hears of it.
    app = shop.app
    unheard = Lifecycle(app.clock, OrderEvents(), promos=app.promos)
    settlement = Settlement(app.db, app.clock, app.catalogue, lifecycle=unheard, admins=app.notifier)
    assert (await settlement.settle(event)).outcome is Outcome.CREDITED
    await shop.app.stop()
    assert shop.panel.user_by_telegram_id(8010) is None
    shop.app = Application(shop.app.settings)
    await shop.app.start()
    order = await wait_for_order(shop, lambda o: o.status == "fulfilled", seconds=20)
    assert shop.panel.user_by_telegram_id(8010) is not None


async def wait_for_order(shop: Shop, predicate: Callable[[Order], bool], seconds: float = 10.0) -> Order:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        [order] = await orders(shop)
        if predicate(order):
            return order
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(
                f"order never reached the expected state: {order.status}, {order.last_error}"
            )
        await asyncio.sleep(0.1)


async def test_a_tariff_change_is_announced_and_starts_from_now(shop: Shop) -> None:
    buyer = shop.user(8011, first_name="Switch", language_code="en")
    await buyer.pay_invoice(link=await open_invoice(shop, 8011, period="3 months"))
    await shop.telegram.wait_until(
        lambda: any("Payment received" in m.text for m in buyer.messages), timeout=10
    )
    await buyer.wait_reply(await buyer.send("/buy"))
    await buyer.wait_reply(await buyer.press("Family"))
    reply = await buyer.wait_reply(await buyer.press("1 month"))
    assert "You now have the Standard tariff" in reply.text and "switches your subscription" in reply.text
    started = datetime.now(UTC)
    link = next(
        b.url
        for row in (await buyer.wait_reply(await buyer.press("Telegram Stars"))).buttons
        for b in row
        if b.url
    )
    await buyer.pay_invoice(link=str(link))
    await shop.telegram.wait_until(
        lambda: sum("Payment received" in m.text for m in buyer.history) >= 2, timeout=10
    )
    user = shop.panel.user_by_telegram_id(8011)
    assert user is not None and user["hwidDeviceLimit"] == 6
    assert abs((panel_expiry(shop, 8011) - add_months(started, 1)).total_seconds()) < 60
