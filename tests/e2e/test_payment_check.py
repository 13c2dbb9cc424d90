"""The "I have paid" button tells the truth: what the provider says, and whether the invoice lapsed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from sqlalchemy import select, update

from remnastore.db.models import Order
from remnastore.emulators.telegram import FakeUser
from remnastore.emulators.yookassa_checkout import CHECKOUT_PATH
from tests.fixtures.providers import PaymentEmulators
from tests.fixtures.shop import Shop


@pytest.fixture
def shop_env(payment_emulators: PaymentEmulators) -> dict[str, str]:
    return payment_emulators.settings()


async def order_with_yookassa(shop: Shop, user_id: int, language: str = "en") -> tuple[FakeUser, Order]:
    buyer = shop.user(user_id, first_name="Buyer", language_code=language)
    await buyer.wait_reply(await buyer.send("/start"))
    await buyer.wait_reply(await buyer.press("Buy subscription" if language == "en" else "Купить"))
    await buyer.wait_reply(await buyer.press("Standard" if language == "en" else "Стандарт"))
    await buyer.wait_reply(await buyer.press("1 month" if language == "en" else "1 месяц"))
    reply = await buyer.wait_reply(await buyer.press("Kassa"))
    assert "Order" in reply.text or "Заказ" in reply.text, reply.text
    async with shop.db.session() as session:
        order = (await session.scalars(select(Order).where(Order.provider == "yookassa"))).one()
    return buyer, order


async def i_have_paid(buyer: FakeUser, label: str = "I have paid") -> str:
    answer = await buyer.wait_alert(await buyer.press(label))
    assert answer.get("show_alert") is True, answer
    return str(answer.get("text", ""))


async def test_a_payment_declined_on_the_checkout_page_is_reported_as_declined(
    shop: Shop, payment_emulators: PaymentEmulators
) -> None:
    """The bank refused on YooKassa's page; its notification never reached the shop. "I have paid" asks
    YooKassa and says the payment was declined, not that it will be credited."""
    buyer, order = await order_with_yookassa(shop, 9401)
    form = {"orderId": str(order.provider_payment_id), "action": "decline"}
    async with aiohttp.ClientSession() as http:
        url = f"{payment_emulators.yookassa.url}{CHECKOUT_PATH}"
        page = await http.post(url, data=form, allow_redirects=False)
        assert page.status == 303  # back to the bot; no notify_url, so the shop was not notified
    text = await i_have_paid(buyer)
    assert "declined or cancelled" in text and "credited" not in text
    async with shop.db.session() as session:
        assert (await session.get(Order, order.id)).status == "failed"  # type: ignore[union-attr]


async def test_a_payment_cancelled_by_the_payer_is_reported_in_the_chosen_language(
    shop: Shop, payment_emulators: PaymentEmulators
) -> None:
    buyer, order = await order_with_yookassa(shop, 9402, language="ru")
    payment_emulators.yookassa.cancel(str(order.provider_payment_id), reason="canceled_by_merchant")
    text = await i_have_paid(buyer, "Я оплатил")
    assert "отклонён или отменён" in text and "зачислится" not in text


async def test_a_pending_payment_is_reported_as_not_arrived_yet(
    shop: Shop, payment_emulators: PaymentEmulators
) -> None:
    buyer, _ = await order_with_yookassa(shop, 9403)
    text = await i_have_paid(buyer)
    assert "has not arrived yet" in text


async def test_a_paid_payment_is_reported_as_paid(shop: Shop, payment_emulators: PaymentEmulators) -> None:
    buyer, order = await order_with_yookassa(shop, 9404)
    payment_emulators.yookassa.pay(str(order.provider_payment_id))  # the notification is lost
    text = await i_have_paid(buyer)
    assert "This order is paid" in text


async def test_an_invoice_past_its_expiry_is_reported_as_expired(
    shop: Shop, payment_emulators: PaymentEmulators
) -> None:
    buyer, order = await order_with_yookassa(shop, 9405)
    async with shop.db.session() as session:
        past = datetime.now(UTC) - timedelta(minutes=1)
        await session.execute(update(Order).where(Order.id == order.id).values(expires_at=past))
        await session.commit()
    text = await i_have_paid(buyer)
    assert "expired" in text and "has not arrived yet" not in text
