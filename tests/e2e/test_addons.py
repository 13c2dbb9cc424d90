"""Add-ons to an active paid subscription (more devices, more traffic), bought with Stars end to end."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from remnastore.db.models import Order, Subscription
from remnastore.domain.catalogue import GIB, add_months
from remnastore.emulators.telegram import FakeUser
from remnastore.payments.stars import event_from_payment
from remnastore.services.settlement import Outcome
from tests.e2e.test_purchase_stars import open_invoice, orders, panel_expiry
from tests.fixtures.shop import Shop

CATALOGUE = """
[[tariffs]]
code = "standard"
name = { ru = "Стандарт", en = "Standard" }
traffic_gb = 0
devices = 3

[[tariffs.periods]]
code = "1m"
months = 1
prices = { RUB = "199.00", XTR = 150 }

[[tariffs]]
code = "metered"
name = { ru = "Лимит", en = "Metered" }
traffic_gb = 100
devices = 2
traffic_strategy = "MONTH"

[[tariffs.periods]]
code = "1m"
months = 1
prices = { RUB = "99.00", XTR = 80 }

[[addons]]
code = "traffic50"
kind = "traffic"
traffic_gb = 50
name = { ru = "+50 ГБ", en = "+50 GB" }
prices = { RUB = "99.00", XTR = 40 }

[[addons]]
code = "device1"
kind = "devices"
devices = 1
name = { ru = "+1 устройство", en = "+1 device" }
prices = { RUB = "79.00", XTR = 30 }
"""


@pytest.fixture
def shop_env(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "catalogue.toml"
    path.write_text(CATALOGUE, encoding="utf-8")
    return {"CATALOGUE_FILE": str(path)}


async def subscribe(shop: Shop, user_id: int, tariff: str = "Standard") -> FakeUser:
    buyer = shop.user(user_id, first_name="Buyer", language_code="en")
    before = sum("Payment received" in m.text for m in buyer.history)
    result = await buyer.pay_invoice(link=await open_invoice(shop, user_id, tariff=tariff))
    assert result.approved
    await shop.telegram.wait_until(
        lambda: sum("Payment received" in m.text for m in buyer.history) > before, timeout=10
    )
    return buyer


async def my_subscription_buttons(buyer: FakeUser) -> list[str]:
    reply = await buyer.wait_reply(await buyer.send("/subscription"))
    return [b.text for row in reply.buttons for b in row]


async def buy_addon_with_stars(shop: Shop, buyer: FakeUser, kind_button: str, addon: str) -> str:
    """Open the add-on's Stars invoice from "My subscription"; returns the pay link."""
    await buyer.wait_reply(await buyer.send("/subscription"))
    await buyer.wait_reply(await buyer.press(kind_button))
    await buyer.wait_reply(await buyer.press(addon))
    reply = await buyer.wait_reply(await buyer.press("Telegram Stars"))
    assert "Order" in reply.text and addon in reply.text
    labels = [b.text for row in reply.buttons for b in row]
    assert "🔄 I have paid" in labels and "↩️ Another payment method" in labels
    return next(
        str(b.url) for row in reply.buttons for b in row if b.url and b.url.startswith("https://t.me/$")
    )


async def addon_orders(shop: Shop) -> list[Order]:
    return [o for o in await orders(shop) if o.kind != "subscription"]


async def test_more_devices_applies_once_and_survives_a_renewal(shop: Shop) -> None:
    buyer = await subscribe(shop, 9101)
    user = shop.panel.user_by_telegram_id(9101)
    assert user is not None and user["hwidDeviceLimit"] == 3
    buttons = await my_subscription_buttons(buyer)
    assert "➕ More devices" in buttons and "➕ More traffic" not in buttons  # unlimited traffic

    link = await buy_addon_with_stars(shop, buyer, "More devices", "+1 device")
    result = await buyer.pay_invoice(link=link)
    assert result.approved and result.total_amount == 30 and result.currency == "XTR"
    await shop.telegram.wait_until(lambda: any("1 device added" in m.text for m in buyer.messages), 10)
    notice = next(m for m in buyer.messages if "1 device added" in m.text)
    assert "up to 4 devices" in notice.text
    user = shop.panel.user_by_telegram_id(9101)
    assert user is not None and user["hwidDeviceLimit"] == 4

    [order] = await addon_orders(shop)
    assert order.kind == "devices" and order.meta["addon"] == "device1" and order.status == "fulfilled"
    assert order.amount_minor == 30 and order.currency == "XTR"
    event = event_from_payment(
        telegram_user_id=9101,
        payload=order.id,
        charge_id=str(result.charge_id),
        total_amount=30,
        currency="XTR",
    )
    assert (await shop.app.settlement.settle(event)).outcome is Outcome.DUPLICATE
    assert not await shop.app.fulfilment.fulfil(order.id)
    user = shop.panel.user_by_telegram_id(9101)
    assert user is not None and user["hwidDeviceLimit"] == 4
    raises = [
        r
        for r in shop.panel.requests
        if r.method == "PATCH" and isinstance(r.json, dict) and r.json.get("hwidDeviceLimit") == 4
    ]
    assert len(raises) == 1

    expiry = panel_expiry(shop, 9101)
    await subscribe(shop, 9101)  # renew the same tariff
    user = shop.panel.user_by_telegram_id(9101)
    assert user is not None and user["hwidDeviceLimit"] == 4
    assert abs((panel_expiry(shop, 9101) - add_months(expiry, 1)).total_seconds()) < 5
    async with shop.db.session() as session:
        record = await session.scalar(select(Subscription))
        assert record is not None and record.device_limit == 4 and record.tariff_code == "standard"


async def test_more_traffic_adds_to_a_limited_tariff(shop: Shop) -> None:
    buyer = await subscribe(shop, 9102, tariff="Metered")
    user = shop.panel.user_by_telegram_id(9102)
    assert user is not None and user["trafficLimitBytes"] == 100 * GIB
    buttons = await my_subscription_buttons(buyer)
    assert "➕ More traffic" in buttons and "➕ More devices" in buttons

    await buyer.pay_invoice(link=await buy_addon_with_stars(shop, buyer, "More traffic", "+50 GB"))
    await shop.telegram.wait_until(
        lambda: any("50 GB of traffic added" in m.text for m in buyer.messages), 10
    )
    assert any("now 150 GB" in m.text for m in buyer.messages)
    user = shop.panel.user_by_telegram_id(9102)
    assert user is not None and user["trafficLimitBytes"] == 150 * GIB and user["hwidDeviceLimit"] == 2
    [order] = await addon_orders(shop)
    assert order.kind == "traffic" and order.status == "fulfilled"


async def test_traffic_is_not_sold_on_unlimited_traffic(shop: Shop) -> None:
    buyer = await subscribe(shop, 9103)
    assert "➕ More traffic" not in await my_subscription_buttons(buyer)
    update = await buyer.press_data("am:traffic50:stars")
    answer = await buyer.wait_alert(update)
    assert "does not apply" in answer["text"]
    reply = await buyer.wait_reply(await buyer.press_data("ak:traffic"))
    assert "nothing of this kind" in reply.text
    assert await addon_orders(shop) == []
    user = shop.panel.user_by_telegram_id(9103)
    assert user is not None and user["trafficLimitBytes"] == 0


async def test_forged_addon_buttons_create_no_order(shop: Shop) -> None:
    buyer = await subscribe(shop, 9104)
    for data in (
        "am:nosuch:stars",
        "ap:nosuch",
        "am:device1:bank",
        "am:device1:stars:1",
        "am:DEVICE1:stars",
        "ak:speed",
    ):
        answer = await buyer.wait_alert(await buyer.press_data(data))
        assert any(word in answer["text"] for word in ("outdated", "not available", "no longer available")), (
            data,
            answer,
        )
    assert await addon_orders(shop) == []
    user = shop.panel.user_by_telegram_id(9104)
    assert user is not None and user["hwidDeviceLimit"] == 3


async def test_a_customer_without_a_paid_subscription_is_refused_politely(shop: Shop) -> None:
    buyer = shop.user(9105, first_name="Nobody", language_code="en")
    await buyer.wait_reply(await buyer.send("/start"))
    for data in ("ap:device1", "am:device1:stars"):
        update = await buyer.press_data(data)
        answer = await buyer.wait_alert(update)
        assert "active paid subscription" in answer["text"]
    reply = await buyer.wait_reply(await buyer.press_data("ak:devices"))
    assert "nothing of this kind" in reply.text
    assert await orders(shop) == []


async def test_a_started_addon_order_is_reused_not_duplicated(shop: Shop) -> None:
    buyer = await subscribe(shop, 9106)
    first = await buy_addon_with_stars(shop, buyer, "More devices", "+1 device")
    second = await buy_addon_with_stars(shop, buyer, "More devices", "+1 device")
    assert first == second
    [order] = await addon_orders(shop)
    assert order.status == "pending"
    assert datetime.now(UTC) < panel_expiry(shop, 9106)
