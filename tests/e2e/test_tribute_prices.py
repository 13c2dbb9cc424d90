"""Tribute events carry their own amount and no order of ours: the shop prices them by its catalogue.

A month is credited only for the catalogue's price of the Tribute product in the paid currency; a kopeck, a
free trial, a currency the item has no price in, or a donation through a link whose id equals the product's
credit nothing; fifty concurrent copies of one notification all get the duplicate answer and credit once.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from remnastore.db.models import Order
from remnastore.emulators.provider_base import Delivery
from tests.fixtures.providers import TRIBUTE_SUBSCRIPTION, PaymentEmulators
from tests.fixtures.shop import Shop


@pytest.fixture
def shop_env(payment_emulators: PaymentEmulators) -> dict[str, str]:
    return payment_emulators.settings()


@pytest.fixture
def providers(shop: Shop, payment_emulators: PaymentEmulators) -> PaymentEmulators:
    payment_emulators.point_at(f"http://127.0.0.1:{shop.app.port}")
    return payment_emulators


async def _customer(shop: Shop, user_id: int) -> None:
    user = shop.user(user_id, first_name="Buyer", language_code="en")
    await user.wait_reply(await user.send("/start"))


async def _credited(shop: Shop) -> list[Order]:
    async with shop.db.session() as session:
        query = select(Order).where(Order.status.in_(("paid", "fulfilled")))
        return list((await session.scalars(query)).all())


async def test_only_the_catalogue_price_buys_a_month(shop: Shop, providers: PaymentEmulators) -> None:
    tribute = providers.tribute
    await _customer(shop, 9700)
    cheap = [
        tribute.pay(TRIBUTE_SUBSCRIPTION, 9700, amount=1),  # one kopeck
        tribute.pay(TRIBUTE_SUBSCRIPTION, 9700, amount=0, kind="trial"),  # a free trial
        tribute.pay(TRIBUTE_SUBSCRIPTION, 9700, amount=199, currency="eur"),  # no EUR price in the catalogue
        tribute.new_donation(9700, TRIBUTE_SUBSCRIPTION, amount=100),  # a donation sharing the product id
        tribute.new_digital_product(9700, TRIBUTE_SUBSCRIPTION, amount=1),
    ]
    for delivery in cheap:
        reply = await tribute.deliver(delivery)
        assert reply.status == 200, reply.reply
    assert await _credited(shop) == []
    assert shop.panel.user_by_telegram_id(9700) is None

    paid = await tribute.deliver(tribute.pay(TRIBUTE_SUBSCRIPTION, 9700, amount=250, currency="usd"))
    assert paid.status == 200
    [order] = await _credited(shop)
    assert (order.amount_minor, order.currency) == (250, "USD")


async def test_fifty_concurrent_duplicates_all_get_the_duplicate_answer(
    shop: Shop, providers: PaymentEmulators
) -> None:
    tribute = providers.tribute
    await _customer(shop, 9701)
    delivery = tribute.pay(TRIBUTE_SUBSCRIPTION, 9701, amount=19900)
    copies = [Delivery(delivery.url, delivery.body, dict(delivery.headers)) for _ in range(50)]
    replies = await asyncio.gather(*(tribute.deliver(copy) for copy in copies))
    assert [r.status for r in replies] == [200] * 50
    async with shop.db.session() as session:
        orders = await session.scalar(
            select(func.count()).select_from(Order).where(Order.provider == "tribute")
        )
    assert orders == 1
    [order] = await _credited(shop)
    assert (order.amount_minor, order.currency) == (19900, "RUB")
