"""Gifts (growth item 7): a period bought for somebody else, paid with any method; the buyer gets a link
that activates exactly once, on the recipient's panel subscription; the buyer is told when it is used."""

from __future__ import annotations

import asyncio
import re
import secrets
from datetime import datetime
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from remnastore.db.models import Gift, Order
from remnastore.domain.catalogue import add_months
from remnastore.emulators.telegram import FakeUser
from tests.fixtures.renew_shop import RenewShop, eventually


@pytest.fixture
def renew_shop_env() -> dict[str, str]:
    # Tribute sells fixed products only: it is offered for subscriptions, never for gifts
    return {
        "TRIBUTE_ENABLED": "true",
        "TRIBUTE_API_KEY": secrets.token_hex(16),
        "TRIBUTE_PRODUCTS": "standard:1m=777@https://t.me/tribute/app?startapp=s777",
    }


GIFT_LINK = re.compile(r"https://t\.me/(\w+)\?start=(gift_[A-Za-z0-9_-]+)")


def panel_expiry(shop: RenewShop, telegram_id: int) -> datetime | None:
    user = shop.panel.user_by_telegram_id(telegram_id)
    return datetime.fromisoformat(user["expireAt"].replace("Z", "+00:00")) if user else None


def texts(user: FakeUser, needle: str) -> list[str]:
    return [m.text for m in user.history if needle in m.text]


async def buy_gift(shop: RenewShop, telegram_id: int) -> tuple[FakeUser, str]:
    """The buyer pays a month as a gift by YooKassa; returns the buyer and the /start payload."""
    buyer = shop.user(telegram_id, first_name="Gleb", language_code="en")
    await buyer.wait_reply(await buyer.send("/start"))
    await buyer.wait_reply(await buyer.press("Buy subscription"))
    await buyer.wait_reply(await buyer.press("Standard"))
    await buyer.wait_reply(await buyer.press("1 month"))
    reply = await buyer.wait_reply(await buyer.press("Buy as a gift"))
    assert "Gift" in reply.text
    reply = await buyer.wait_reply(await buyer.press("YooKassa"))
    assert "Order" in reply.text
    async with shop.db.session() as session:
        order = (await session.scalars(select(Order))).one()
    assert order.kind == "gift" and order.amount_minor == 19900
    delivery = shop.yookassa.pay(str(order.provider_payment_id))
    assert (await shop.yookassa.deliver(delivery)).status == 200
    await shop.telegram.wait_until(lambda: bool(texts(buyer, "gift is paid")), timeout=10)
    message = next(m for m in buyer.history if "gift is paid" in m.text)
    found = GIFT_LINK.search(message.text)
    assert found is not None, message.text
    share = [b for row in message.buttons for b in row if b.url and "t.me/share/url" in b.url]
    assert share, "the gift message has a share button"
    shared = parse_qs(urlparse(share[0].url or "").query)["url"][0]
    assert shared == found.group(0)
    # the buyer's own access is untouched: the gift is not theirs
    assert shop.panel.user_by_telegram_id(telegram_id) is None
    return buyer, found.group(2)


async def test_gift_is_paid_activated_once_and_the_buyer_is_told(renew_shop: RenewShop) -> None:
    shop = renew_shop
    buyer, payload = await buy_gift(shop, 9701)
    started = shop.clock.now()

    # a repeated payment notification does not issue a second gift
    async with shop.db.session() as session:
        order = (await session.scalars(select(Order).where(Order.kind == "gift"))).one()
    await shop.yookassa.deliver(shop.yookassa.notify(str(order.provider_payment_id)))
    assert len(texts(buyer, "gift is paid")) == 1

    friend = shop.user(9702, first_name="Friend", language_code="en")
    await friend.wait_reply(await friend.send(f"/start {payload}"))
    assert texts(friend, "Gift accepted")
    await shop.telegram.wait_until(lambda: bool(texts(friend, "gift is active")), timeout=10)
    expiry = panel_expiry(shop, 9702)
    assert expiry is not None and abs((expiry - add_months(started, 1)).total_seconds()) < 5
    await shop.telegram.wait_until(lambda: bool(texts(buyer, "has been activated")), timeout=10)
    assert not texts(friend, "Payment received")  # a gift is not the recipient's payment

    # anybody else, and the recipient again, is refused politely; nothing changes
    stranger = shop.user(9703, first_name="Stranger", language_code="ru")
    reply = await stranger.wait_reply(await stranger.send(f"/start {payload}"))
    assert "уже активирован" in reply.text
    reply = await friend.wait_reply(await friend.send(f"/start {payload}"))
    assert "already been activated" in reply.text
    assert shop.panel.user_by_telegram_id(9703) is None
    assert panel_expiry(shop, 9702) == expiry
    assert len(texts(buyer, "has been activated")) == 1
    async with shop.db.session() as session:
        gift = (await session.scalars(select(Gift))).one()
        activation_orders = (await session.scalars(select(Order).where(Order.provider == "gift"))).all()
    assert gift.activated_at is not None and len(activation_orders) == 1
    reply = await buyer.wait_reply(await buyer.send("/gifts"))
    assert "activated" in reply.text and "start=gift_" not in reply.text


async def test_the_buyer_finds_an_unused_gift_link_under_gifts(renew_shop: RenewShop) -> None:
    buyer, payload = await buy_gift(renew_shop, 9730)
    reply = await buyer.wait_reply(await buyer.send("/gifts"))
    assert "not activated yet" in reply.text and f"start={payload}" in reply.text


async def test_simultaneous_activations_grant_one(renew_shop: RenewShop) -> None:
    shop = renew_shop
    _buyer, payload = await buy_gift(shop, 9711)
    users = [shop.user(9712 + i, first_name=f"U{i}", language_code="en") for i in range(4)]
    sent = await asyncio.gather(*(u.send(f"/start {payload}") for u in users))
    for user, update in zip(users, sent, strict=True):
        await user.wait_reply(update)
    accepted = [u for u in users if texts(u, "Gift accepted")]
    refused = [u for u in users if texts(u, "already been activated")]
    assert len(accepted) == 1 and len(refused) == 3

    async def one_panel_user() -> bool:
        return sum(shop.panel.user_by_telegram_id(u.id) is not None for u in users) == 1

    await eventually(one_panel_user)


async def test_unknown_gift_link_is_refused(renew_shop: RenewShop) -> None:
    shop = renew_shop
    user = shop.user(9720, first_name="Curious", language_code="en")
    reply = await user.wait_reply(await user.send("/start gift_NoSuchGift12345"))
    assert "not valid" in reply.text
    assert shop.panel.user_by_telegram_id(9720) is None


async def test_gift_methods_leave_out_fixed_product_providers(renew_shop: RenewShop) -> None:
    shop = renew_shop
    user = shop.user(9740, first_name="Tanya", language_code="en")
    await user.wait_reply(await user.send("/buy"))
    await user.wait_reply(await user.press("Standard"))
    reply = await user.wait_reply(await user.press("1 month"))
    assert any("Tribute" in text for text in reply.button_texts)
    reply = await user.wait_reply(await user.press("Buy as a gift"))
    assert not any("Tribute" in text for text in reply.button_texts)
    assert any("YooKassa" in text for text in reply.button_texts)
    answer = await user.wait_alert(await user.press_data("gm:standard:1m:tribute"))
    assert "not available for this purchase" in answer["text"]
    async with shop.db.session() as session:
        assert (await session.scalars(select(Order))).all() == []
