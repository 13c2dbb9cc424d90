"""A purchase through every webhook provider, end to end: buttons in Telegram -> invoice at the provider ->
the provider's signed notification -> panel expiry moved by the period -> the customer is told."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import aiohttp
import pytest
from sqlalchemy import func, select

from remnastore.db.models import Order, PaymentEvent
from remnastore.domain.catalogue import add_months
from remnastore.emulators.heleket import php_json
from remnastore.emulators.heleket import sign as heleket_sign
from remnastore.emulators.provider_base import Delivery
from tests.fixtures.providers import TRIBUTE_SUBSCRIPTION, PaymentEmulators
from tests.fixtures.shop import Shop

METHOD_BUTTON = {
    "yookassa": "YooKassa",
    "cryptobot": "CryptoBot",
    "heleket": "Heleket",
    "freekassa": "FreeKassa",
    "platega": "Platega",
    "severpay": "SeverPay",
    "tribute": "Tribute",
    "yoomoney": "YooMoney wallet",
}
ACK = {"freekassa": "YES", "severpay": '{"status": true}'}


@pytest.fixture
def shop_env(payment_emulators: PaymentEmulators) -> dict[str, str]:
    return payment_emulators.settings()


@pytest.fixture
def providers(shop: Shop, payment_emulators: PaymentEmulators) -> PaymentEmulators:
    payment_emulators.point_at(f"http://127.0.0.1:{shop.app.port}")
    return payment_emulators


async def the_order(shop: Shop) -> Order:
    async with shop.db.session() as session:
        orders = (await session.scalars(select(Order).order_by(Order.created_at.desc()))).all()
    assert orders
    return orders[0]


async def buy(shop: Shop, user_id: int, method: str) -> Order:
    buyer = shop.user(user_id, first_name="Buyer", language_code="en")
    await buyer.wait_reply(await buyer.send("/start"))
    await buyer.wait_reply(await buyer.press("Buy subscription"))
    await buyer.wait_reply(await buyer.press("Standard"))
    await buyer.wait_reply(await buyer.press("1 month"))
    reply = await buyer.wait_reply(await buyer.press(METHOD_BUTTON[method]))
    assert "Order" in reply.text, reply.text
    pay_buttons = [b for row in reply.buttons for b in row if b.url]
    assert pay_buttons and pay_buttons[0].text.startswith("💳 Pay")
    return await the_order(shop)


def paid_notification(providers: PaymentEmulators, method: str, order: Order, user_id: int) -> Delivery:
    if method == "yookassa":
        return providers.yookassa.pay(str(order.provider_payment_id))
    if method == "cryptobot":
        return providers.cryptobot.pay(str(order.provider_payment_id))
    if method == "heleket":
        return providers.heleket.pay(order.id)
    if method == "freekassa":
        return providers.freekassa.pay(order.id)
    if method == "platega":
        return providers.platega.pay(str(order.provider_payment_id))
    if method == "severpay":
        return providers.severpay.pay(int(str(order.provider_payment_id)))
    if method == "yoomoney":
        return providers.yoomoney.pay(providers.yoomoney.open_link(str(order.pay_url)).transfer_id)
    return providers.tribute.pay(TRIBUTE_SUBSCRIPTION, user_id, amount=order.amount_minor)


async def wait_fulfilled(shop: Shop, user_id: int) -> Order:
    buyer = shop.user(user_id)
    await shop.telegram.wait_until(
        lambda: any("Payment received" in m.text for m in buyer.messages), timeout=15
    )
    async with shop.db.session() as session:
        return (await session.scalars(select(Order).where(Order.status == "fulfilled"))).one()


@pytest.mark.parametrize("method", list(METHOD_BUTTON))
async def test_purchase_through_each_provider(shop: Shop, providers: PaymentEmulators, method: str) -> None:
    user_id = 9100 + list(METHOD_BUTTON).index(method)
    started = datetime.now(UTC)
    order = await buy(shop, user_id, method)
    delivery = await providers.all()[method].deliver(paid_notification(providers, method, order, user_id))
    assert delivery.status == 200, delivery.reply
    if method in ACK:
        assert delivery.reply.replace(" ", "") == ACK[method].replace(" ", "")
    fulfilled = await wait_fulfilled(shop, user_id)
    assert fulfilled.provider == method
    user = shop.panel.user_by_telegram_id(user_id)
    assert user is not None
    expiry = datetime.fromisoformat(user["expireAt"].replace("Z", "+00:00"))
    assert abs((expiry - add_months(started, 1)).total_seconds()) < 120
    # every provider counts the payment in the one metric the dashboard reads
    registry = shop.app.metrics.registry
    assert registry.get_sample_value("remnastore_payments_total", {"provider": method, "state": "paid"}) == 1


@pytest.mark.parametrize("method", ["yookassa", "cryptobot", "freekassa", "severpay", "yoomoney"])
async def test_fifty_concurrent_duplicate_notifications_credit_once(
    shop: Shop, providers: PaymentEmulators, method: str
) -> None:
    user_id = 9200 + list(METHOD_BUTTON).index(method)
    order = await buy(shop, user_id, method)
    delivery = paid_notification(providers, method, order, user_id)
    replies = await providers.all()[method].deliver_many(delivery, 50)
    # every reply came after its notification was settled: nothing about the order is still under way
    assert {r.status for r in replies} == {200}
    await wait_fulfilled(shop, user_id)
    async with shop.db.session() as session:
        events = await session.scalar(
            select(func.count()).select_from(PaymentEvent).where(PaymentEvent.kind == "paid")
        )
        assert events == 1
    assert sum("Payment received" in m.text for m in shop.user(user_id).history) == 1


async def test_forged_signature_is_refused_and_changes_nothing(
    shop: Shop, providers: PaymentEmulators
) -> None:
    order = await buy(shop, 9301, "cryptobot")
    genuine = providers.cryptobot.pay(str(order.provider_payment_id))
    forged = Delivery(genuine.url, genuine.body, {**genuine.headers, "crypto-pay-api-signature": "0" * 64})
    reply = await providers.cryptobot.deliver(forged)
    assert reply.status in (401, 403)
    order = await the_order(shop)
    assert order.status == "pending"
    assert shop.panel.user_by_telegram_id(9301) is None


async def test_notification_for_a_wrong_amount_is_recorded_not_credited(
    shop: Shop, providers: PaymentEmulators
) -> None:
    order = await buy(shop, 9302, "freekassa")
    delivery = providers.freekassa.pay(order.id, amount="1.00")
    reply = await providers.freekassa.deliver(delivery)
    assert reply.status == 200
    order = await the_order(shop)
    assert order.status == "pending" and order.meta.get("mismatch") == "amount"
    assert shop.panel.user_by_telegram_id(9302) is None
    alerts = [
        c for c in shop.telegram.calls_for("sendMessage") if "does not match" in str(c.params.get("text"))
    ]
    assert alerts, "admins must be alerted about a mismatched payment"


async def test_notification_for_an_unknown_order_credits_nothing(
    shop: Shop, providers: PaymentEmulators, caplog: pytest.LogCaptureFixture
) -> None:
    """A genuine, signed, paid notification for an order this shop never made (another shop on the same
    merchant account) reaches settlement, is refused there and credits nobody."""
    order = await buy(shop, 9303, "heleket")
    heleket = providers.heleket
    foreign_order_id = "f" * 32
    invoice = php_json({"amount": "2.00", "currency": "USD", "order_id": foreign_order_id})
    headers = {"merchant": heleket.merchant_id, "sign": heleket_sign(invoice, heleket.api_key)}
    url = f"{heleket.api_url}/payment"
    async with aiohttp.ClientSession() as http, http.post(url, data=invoice, headers=headers) as created:
        assert created.status == 200, await created.text()
    delivery = heleket.pay(foreign_order_id)
    assert heleket.find(foreign_order_id)["status"] == "paid"
    with caplog.at_level(logging.ERROR, logger="remnastore.services.settlement"):
        reply = await heleket.deliver(delivery)
    assert reply.status == 200, reply.reply  # accepted: there is nothing a redelivery could change
    assert [r.getMessage() for r in caplog.records if r.name == "remnastore.services.settlement"] == [
        "payment event for an unknown order"
    ]
    async with shop.db.session() as session:
        assert (await session.scalars(select(Order.id))).all() == [order.id]
        assert await session.scalar(select(func.count()).select_from(PaymentEvent)) == 0
    assert (await the_order(shop)).status == "pending"
    assert shop.panel.user_by_telegram_id(9303) is None
    assert not any("Payment received" in m.text for m in shop.user(9303).history)


async def test_yookassa_notification_confirmed_by_the_api_only(
    shop: Shop, providers: PaymentEmulators
) -> None:
    """A notification claiming success for a payment YooKassa still holds as pending grants nothing."""
    order = await buy(shop, 9304, "yookassa")
    payment = providers.yookassa.payments[str(order.provider_payment_id)]
    forged = providers.yookassa.notification(
        "payment.succeeded", {**payment, "status": "succeeded", "paid": True}
    )
    reply = await providers.yookassa.deliver(forged)
    assert reply.status == 200
    assert (await the_order(shop)).status == "pending"
    foreign = providers.yookassa.notification("payment.succeeded", payment, sender_ip="8.8.8.8")
    assert (await providers.yookassa.deliver(foreign)).status in (401, 403)


async def test_provider_down_at_checkout_leaves_a_pending_order_and_a_polite_answer(
    shop: Shop, providers: PaymentEmulators
) -> None:
    buyer = shop.user(9305, first_name="Buyer", language_code="en")
    await buyer.wait_reply(await buyer.send("/start"))
    await buyer.wait_reply(await buyer.press("Buy subscription"))
    await buyer.wait_reply(await buyer.press("Standard"))
    await buyer.wait_reply(await buyer.press("1 month"))
    providers.platega.set_down(True)
    answer = await buyer.wait_alert(await buyer.press("Platega"))
    assert "not answering" in answer["text"]
    providers.platega.set_down(False)
    reply = await buyer.wait_reply(await buyer.press("Platega"))
    assert "Order" in reply.text
    async with shop.db.session() as session:
        orders = (await session.scalars(select(Order))).all()
    assert len(orders) == 2 and {o.status for o in orders} == {"pending"}


async def test_reconciliation_settles_a_payment_whose_notification_never_came(
    shop: Shop, providers: PaymentEmulators
) -> None:
    order = await buy(shop, 9306, "yookassa")
    providers.yookassa.pay(str(order.provider_payment_id))  # paid at YooKassa; the notification is lost
    buyer = shop.user(9306)
    answer = await buyer.wait_alert(await buyer.press("I have paid"))
    assert "This order is paid" in answer["text"]
    await wait_fulfilled(shop, 9306)
