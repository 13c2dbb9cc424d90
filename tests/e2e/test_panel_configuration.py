"""Configuration the panel does not share: squads it does not have, a username taken by another user.

A real panel answers a create naming an unknown internal squad with 500 A018 (an update: A039). That is
the seller's configuration, not an outage: the paid order stays paid, the admins get one alert naming the
squad, and the order is not hammered with "panel unavailable" retries.
"""

from __future__ import annotations

import asyncio
import base64

import aiohttp
import pytest
from sqlalchemy import select

from remnastore.db.models import Order
from remnastore.domain.access import panel_username
from tests.e2e.test_purchase_stars import open_invoice
from tests.fixtures.shop import ADMIN_ID, Shop

UNKNOWN_SQUAD = "0b5e2d61-7c1a-4f6e-9d3b-2a4c6e8f0a1b"


async def both_tried(shop: Shop) -> None:
    """Until both orders are paid and their first fulfilment attempt has failed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while loop.time() < deadline:
        async with shop.db.session() as session:
            rows = (await session.execute(select(Order.status, Order.fulfilment_attempts))).all()
        if len(rows) == 2 and all(status == "paid" and attempts >= 1 for status, attempts in rows):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"orders not paid and tried: {rows}")


def squad_alerts(shop: Shop) -> list[str]:
    admin = shop.user(ADMIN_ID)
    return [m.text for m in admin.messages if "has no internal squad" in m.text]


@pytest.mark.parametrize("shop_env", [{"PANEL_SQUADS": UNKNOWN_SQUAD}])
async def test_a_paid_order_for_an_unknown_squad_stays_paid_and_alerts_once(shop: Shop) -> None:
    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    await admin.wait_reply(await admin.send("/start"))
    for buyer_id in (8101, 8102):
        link = await open_invoice(shop, buyer_id)
        result = await shop.user(buyer_id).pay_invoice(link=link)
        assert result.approved
    await shop.telegram.wait_until(lambda: len(squad_alerts(shop)) >= 1, timeout=15)
    await both_tried(shop)
    creates_before = sum(1 for r in shop.panel.requests if r.method == "POST" and r.path == "/api/users")

    # The scheduler's next rounds do not retry at once: the seller must fix the squad first.
    await shop.app.fulfilment.fulfil_due()
    await shop.app.fulfilment.fulfil_due()
    creates_after = sum(1 for r in shop.panel.requests if r.method == "POST" and r.path == "/api/users")
    assert creates_after == creates_before

    [alert] = squad_alerts(shop)
    assert UNKNOWN_SQUAD in alert
    async with shop.db.session() as session:
        statuses = list(await session.scalars(select(Order.status)))
    assert statuses == ["paid", "paid"]
    assert shop.panel.users == []


async def test_a_trial_when_the_panel_username_belongs_to_another_user_gets_a_suffixed_name(
    shop: Shop,
) -> None:
    prefix = shop.app.settings.panel.username_prefix
    taken = panel_username(prefix, 8103)
    shop.panel.add_user(username=taken, telegram_id=555, description="made by hand")
    buyer = shop.user(8103, first_name="Ivy", language_code="en")
    await buyer.wait_reply(await buyer.send("/start"))
    reply = await buyer.wait_reply(await buyer.press("Free trial"))
    assert "Your free trial is active" in reply.text
    own = shop.panel.user_by_telegram_id(8103)
    assert own is not None and own["username"] == f"{taken}_2"
    assert shop.panel.user_by_telegram_id(555)["description"] == "made by hand"  # type: ignore[index]


async def test_when_every_suffixed_name_is_taken_the_customer_is_told_the_truth(shop: Shop) -> None:
    prefix = shop.app.settings.panel.username_prefix
    base = panel_username(prefix, 8104)
    for index, name in enumerate([base, *(f"{base}_{n}" for n in range(2, 6))]):
        shop.panel.add_user(username=name, telegram_id=600 + index)
    buyer = shop.user(8104, first_name="Jon", language_code="en")
    await buyer.wait_reply(await buyer.send("/start"))
    await buyer.press("Free trial")
    await shop.telegram.wait_until(
        lambda: any(
            "could not be created automatically" in (c.params.get("text") or "")
            for c in shop.telegram.calls_for("answerCallbackQuery") + shop.telegram.calls_for("sendMessage")
        ),
        timeout=10,
    )
    assert shop.panel.user_by_telegram_id(8104) is None


@pytest.mark.parametrize("shop_env", [{"TRIAL_SQUADS": UNKNOWN_SQUAD}])
async def test_a_trial_naming_an_unknown_squad_alerts_the_admins_once(shop: Shop) -> None:
    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    await admin.wait_reply(await admin.send("/start"))

    def refusals() -> int:
        answers = shop.telegram.calls_for("answerCallbackQuery")
        return sum("temporarily unavailable" in (c.params.get("text") or "") for c in answers)

    for number, customer_id in enumerate((8105, 8106), start=1):
        customer = shop.user(customer_id, first_name="Kim", language_code="en")
        await customer.wait_reply(await customer.send("/start"))
        await customer.press("Free trial")
        await shop.telegram.wait_until(lambda number=number: refusals() == number, timeout=10)
    [alert] = squad_alerts(shop)
    assert UNKNOWN_SQUAD in alert and "trial" in alert
    assert shop.panel.users == []


async def fulfilled_on_first_try(shop: Shop, telegram_id: int) -> Order:
    buyer = shop.user(telegram_id)
    link = await open_invoice(shop, telegram_id)
    assert (await buyer.pay_invoice(link=link)).approved
    await shop.telegram.wait_until(
        lambda: any("Payment received" in m.text for m in buyer.messages), timeout=15
    )
    await shop.idle()
    async with shop.db.session() as session:
        [order] = list(await session.scalars(select(Order)))
    assert order.status == "fulfilled" and order.fulfilment_attempts == 0, (order.status, order.last_error)
    return order


async def test_a_paid_order_when_the_panel_username_belongs_to_another_user_gets_a_suffixed_name(
    shop: Shop,
) -> None:
    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    await admin.wait_reply(await admin.send("/start"))
    taken = panel_username(shop.app.settings.panel.username_prefix, 8107)
    shop.panel.add_user(username=taken, telegram_id=556, description="made by hand")

    await fulfilled_on_first_try(shop, 8107)

    own = shop.panel.user_by_telegram_id(8107)
    assert own is not None and own["username"] == f"{taken}_2"
    message = next(m for m in shop.user(8107).messages if "Payment received" in m.text)
    assert own["subscriptionUrl"] in message.text
    proxied = {"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Proto": "https"}  # the panel's HTTPS proxy
    async with aiohttp.ClientSession(headers=proxied) as http, http.get(own["subscriptionUrl"]) as reply:
        assert reply.status == 200
        assert base64.b64decode(await reply.text()).decode().startswith("vless://")
    assert shop.panel.user_by_telegram_id(556)["description"] == "made by hand"  # type: ignore[index]
    assert [m.text for m in admin.messages if "🚨" in m.text] == []


async def test_a_paid_order_adopts_the_panel_user_that_is_already_the_customers(shop: Shop) -> None:
    name = panel_username(shop.app.settings.panel.username_prefix, 8108)
    existing = shop.panel.add_user(username=name, telegram_id=8108, description="made by hand")

    await fulfilled_on_first_try(shop, 8108)

    [own] = [user for user in shop.panel.users if user["telegramId"] == 8108]
    assert own["id"] == existing["id"] and own["username"] == name
    assert own["expireAt"] != existing["expireAt"]
