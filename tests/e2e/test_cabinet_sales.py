"""Add-ons and typed top-up amounts in the customer cabinet: the bot's catalogue, checkout and settlement,
paid through the YooKassa emulator; refusals change nothing."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from remnastore.db.models import Customer, Order
from tests.e2e.test_cabinet import link_from_bot, sign_in
from tests.fixtures.cabinet import Browser
from tests.fixtures.providers import PaymentEmulators
from tests.fixtures.shop import Shop


@pytest.fixture
def shop_env(payment_emulators: PaymentEmulators) -> dict[str, str]:
    return payment_emulators.settings() | {
        "CABINET_ENABLED": "true",
        "PUBLIC_URL": "https://shop.example",
        "BALANCE_ENABLED": "true",
    }


@pytest.fixture
async def browser(shop: Shop, payment_emulators: PaymentEmulators) -> AsyncIterator[Browser]:
    payment_emulators.point_at(f"http://127.0.0.1:{shop.app.port}")
    opened = Browser(f"http://127.0.0.1:{shop.app.port}/cabinet")
    yield opened
    await opened.close()


async def orders(shop: Shop) -> list[Order]:
    async with shop.db.session() as session:
        return list((await session.scalars(select(Order).order_by(Order.created_at))).all())


async def pay_with_yookassa(payment_emulators: PaymentEmulators, order: Order) -> None:
    """The payer pays on YooKassa's page; YooKassa notifies the shop."""
    yookassa = payment_emulators.yookassa
    assert (await yookassa.deliver(yookassa.pay(str(order.provider_payment_id)))).status == 200


async def followed(browser: Browser, order: Order, query: str = "") -> dict[str, object]:
    """What the return page's polling shows once the order is settled (it polls the same address)."""
    answer: dict[str, object] = {}
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        answer = json.loads((await browser.get(f"/orders/{order.id}{query}"))[1])
        if answer["done"]:
            break
        await asyncio.sleep(0.2)
    return answer


async def test_an_add_on_bought_in_the_cabinet_reaches_the_panel_once(
    shop: Shop, browser: Browser, payment_emulators: PaymentEmulators
) -> None:
    assert (await sign_in(browser, await link_from_bot(shop.user(5201, language_code="en"))))[0] == 303
    _, page, _ = await browser.get("/buy")
    assert 'id="addons"' not in page  # no paid subscription yet: nothing to add to
    form = {"csrf": await browser.csrf(), "addon": "device1", "method": "yookassa"}
    status, page, _ = await browser.post("/addons", form)
    assert status == 400 and "active paid subscription" in page
    assert await orders(shop) == []

    status, _, response = await browser.post(
        "/buy", {"csrf": await browser.csrf(), "tariff": "standard", "period": "1m", "method": "yookassa"}
    )
    [month] = await orders(shop)
    await pay_with_yookassa(payment_emulators, month)
    assert (await followed(browser, month))["status"] == "fulfilled"
    panel_user = shop.panel.user_by_telegram_id(5201)
    assert panel_user is not None and panel_user["hwidDeviceLimit"] == 3

    _, page, _ = await browser.get("/buy")
    assert 'id="addons"' in page and "+1 device" in page and "+50 GB of traffic" not in page  # unlimited
    assert 'data-addon="device1" data-method="yookassa"' in page
    assert 'data-addon="device1" data-method="stars"' not in page  # no payment page outside Telegram
    for refused in ({"addon": "device1", "method": "stars"}, {"addon": "device9", "method": "yookassa"}):
        status, page, _ = await browser.post("/addons", {"csrf": await browser.csrf(), **refused})
        assert status == 400
    assert len(await orders(shop)) == 1
    status, _, response = await browser.post("/addons", form)
    assert status == 303
    _, addon = await orders(shop)
    assert addon.kind == "devices" and addon.meta["addon"] == "device1" and addon.amount_minor == 7900
    assert response.headers["Location"] == addon.pay_url
    payment = payment_emulators.yookassa.payments[str(addon.provider_payment_id)]
    assert payment["confirmation"]["return_url"] == "https://shop.example/cabinet/return"
    _, page, _ = await browser.get("/return")
    assert f'data-status-url="/cabinet/orders/{addon.id}?addon=1"' in page
    await pay_with_yookassa(payment_emulators, addon)
    await pay_with_yookassa(payment_emulators, addon)  # a repeated notification
    answer = await followed(browser, addon, "?addon=1")
    assert answer["status"] == "fulfilled" and answer["addon_text"] == "✅ Added to your subscription."
    panel_user = shop.panel.user_by_telegram_id(5201)
    assert panel_user is not None and panel_user["hwidDeviceLimit"] == 4
    assert len(await orders(shop)) == 2


async def test_a_typed_top_up_is_credited_once(
    shop: Shop, browser: Browser, payment_emulators: PaymentEmulators
) -> None:
    assert (await sign_in(browser, await link_from_bot(shop.user(5202, language_code="en"))))[0] == 303
    _, page, _ = await browser.get("/account")
    assert "Or type an amount from 50.00 ₽ to 100,000.00 ₽" in page and 'name="typed"' in page
    status, _, response = await browser.post(
        "/topup", {"csrf": await browser.csrf(), "typed": " 250,50 ", "method": "yookassa"}
    )
    assert status == 303
    [order] = await orders(shop)
    assert order.kind == "topup" and order.amount_minor == 25050 and order.currency == "RUB"
    assert response.headers["Location"] == order.pay_url
    _, page, _ = await browser.get("/return")
    assert f'data-status-url="/cabinet/orders/{order.id}?topup=1"' in page
    await pay_with_yookassa(payment_emulators, order)
    await pay_with_yookassa(payment_emulators, order)  # a repeated notification
    answer = await followed(browser, order, "?topup=1")
    assert answer["balance_text"] == "Your balance is now 250.50 ₽."
    assert 'id="balance">250.50 ₽<' in (await browser.get("/account"))[1]
    async with shop.db.session() as session:
        customer = await session.scalar(select(Customer).where(Customer.telegram_id == 5202))
    assert customer is not None and customer.balance_minor == 25050


@pytest.mark.parametrize(
    "typed", ["abc", "1e5", "-100", "100.555", "49.99", "100000.01", "1 000", "٣٠٠", "", "NaN"]
)
async def test_garbage_and_out_of_range_top_ups_are_refused_politely(
    shop: Shop, browser: Browser, typed: str
) -> None:
    assert (await sign_in(browser, await link_from_bot(shop.user(5203, language_code="en"))))[0] == 303
    status, page, _ = await browser.post(
        "/topup", {"csrf": await browser.csrf(), "typed": typed, "method": "yookassa"}
    )
    assert status == 400
    assert "Please type an amount from 50.00 ₽ to 100,000.00 ₽, for example 250." in page
    assert await orders(shop) == []


async def test_an_add_on_paid_from_the_balance_is_added_at_once(
    shop: Shop, browser: Browser, payment_emulators: PaymentEmulators
) -> None:
    assert (await sign_in(browser, await link_from_bot(shop.user(5204, language_code="en"))))[0] == 303
    await browser.post("/topup", {"csrf": await browser.csrf(), "typed": "300", "method": "yookassa"})
    [topup] = await orders(shop)
    await pay_with_yookassa(payment_emulators, topup)
    assert (await followed(browser, topup, "?topup=1"))["status"] == "fulfilled"
    form = {"csrf": await browser.csrf(), "tariff": "standard", "period": "1m", "method": "balance"}
    assert (await browser.post("/buy", form))[0] == 303
    _, month = await orders(shop)
    assert (await followed(browser, month))["status"] == "fulfilled"
    _, page, _ = await browser.get("/buy")
    assert 'data-addon="device1" data-method="balance"' in page
    form = {"csrf": await browser.csrf(), "addon": "device1", "method": "balance"}
    status, _, response = await browser.post("/addons", form)
    assert status == 303 and response.headers["Location"] == "/cabinet/return"
    _, _, addon = await orders(shop)
    assert addon.provider == "balance" and addon.amount_minor == 7900
    answer = await followed(browser, addon, "?addon=1")
    assert answer["addon_text"] == "✅ Added to your subscription."
    panel_user = shop.panel.user_by_telegram_id(5204)
    assert panel_user is not None and panel_user["hwidDeviceLimit"] == 4
    assert 'id="balance">22.00 ₽<' in (await browser.get("/account"))[1]  # 300 - 199 - 79
    status, page, _ = await browser.post("/addons", {**form, "csrf": await browser.csrf()})
    assert status == 400 and "Not enough money on your balance" in page  # 22.00 ₽ left
    assert len(await orders(shop)) == 3
