"""Settings changed from the admin menu: prices, tariffs, trial, payment methods and menu links reach
customers at once, on every instance, and every change is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from remnastore.app import Application
from remnastore.config import load_settings
from remnastore.db.models import AuditEntry, SettingsOverride
from remnastore.emulators.panel import PanelEmulator
from remnastore.emulators.telegram import FakeUser, TelegramEmulator
from remnastore.infra.clock import ManualClock
from tests.e2e.test_purchase_stars import orders, panel_expiry
from tests.fixtures.providers import PaymentEmulators
from tests.fixtures.shop import ADMIN_ID, Shop, shop_settings
from tests.fixtures.text import shows


@pytest.fixture
def shop_env(payment_emulators: PaymentEmulators) -> dict[str, str]:
    """Telegram Stars and YooKassa, so that the order of payment methods shows."""
    return {k: v for k, v in payment_emulators.settings().items() if k.startswith("YOOKASSA_")}


async def admin_at(shop: Shop, *buttons: str) -> FakeUser:
    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    await admin.wait_reply(await admin.send("/settings"))
    for button in buttons:
        await admin.wait_reply(await admin.press(button))
    return admin


async def audit_keys(shop: Shop) -> list[tuple[str, str, int | None]]:
    async with shop.db.session() as session:
        entries = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    return [(e.action, str(e.details.get("key")), e.actor_telegram_id) for e in entries]


async def period_buttons(user: FakeUser) -> list[str]:
    await user.wait_reply(await user.send("/start"))
    await user.wait_reply(await user.press("Buy subscription"))
    reply = await user.wait_reply(await user.press("Standard"))
    return reply.button_texts


async def test_new_price_shows_on_the_buy_screen_and_in_the_order(shop: Shop) -> None:
    admin = await admin_at(shop, "Tariffs and prices", "Standard", "1 month")
    reply = await admin.wait_reply(await admin.press("Price in XTR"))
    assert "150 ⭐" in reply.text
    refused = await admin.wait_reply(await admin.send("cheap"))
    assert "not a price" in refused.text
    saved = await admin.wait_reply(await admin.send("175"))
    assert "Saved" in saved.text and "175 ⭐" in saved.text

    buyer = shop.user(8601, first_name="Buyer", language_code="en")
    assert any("1 month" in b and "175 ⭐" in b for b in await period_buttons(buyer))
    await buyer.wait_reply(await buyer.press("1 month"))
    invoice = await buyer.wait_reply(await buyer.press("Telegram Stars"))
    assert "175 ⭐" in invoice.text
    link = next(b.url for row in invoice.buttons for b in row if b.url and b.url.startswith("https://t.me/$"))
    paid = await buyer.pay_invoice(link=str(link))
    assert paid.approved and paid.total_amount == 175
    await shop.telegram.wait_until(lambda: any("Payment received" in m.text for m in buyer.messages), 10)
    [order] = await orders(shop)
    assert (order.status, order.amount_minor, order.currency) == ("fulfilled", 175, "XTR")
    assert await audit_keys(shop) == [("settings.change", "catalogue.price.standard.1m.XTR", ADMIN_ID)]


async def test_a_period_taken_off_sale_disappears_for_customers(shop: Shop) -> None:
    admin = await admin_at(shop, "Tariffs and prices", "Standard", "3 months")
    reply = await admin.wait_reply(await admin.press("Take off sale"))
    assert "On sale: off" in reply.text
    buttons = await period_buttons(shop.user(8602, language_code="en"))
    assert not any("3 months" in b for b in buttons) and any("1 month" in b for b in buttons)
    # a forged button for the period does not sell it either
    buyer = shop.user(8602)
    answer = await buyer.wait_alert(await buyer.press_data("bm:standard:3m:stars"))
    assert "no longer available" in answer["text"]
    assert all(o.period_code != "3m" for o in await orders(shop))
    await admin.wait_reply(await admin.press("Put on sale"))
    assert any("3 months" in b for b in await period_buttons(buyer))


async def test_second_instance_sees_the_change_without_restart(
    shop: Shop, database_url: str, redis_url: str | None, panel_emulator: PanelEmulator
) -> None:
    async with TelegramEmulator() as telegram2:
        clock = ManualClock()
        values = shop_settings(database_url, telegram2, panel_emulator, redis_url)
        second = Application(load_settings(None, values), clock=clock)
        await second.start()
        try:
            customer = telegram2.user(8603, first_name="Other", language_code="en")
            assert any("150 ⭐" in b for b in await period_buttons(customer))

            admin = await admin_at(shop, "Tariffs and prices", "Standard", "1 month")
            await admin.wait_reply(await admin.press("Price in XTR"))
            await admin.wait_reply(await admin.send("99"))

            clock.advance(timedelta(seconds=second.settings.shop.settings_refresh_seconds))
            buttons = await period_buttons(customer)
            assert any("1 month" in b and "99 ⭐" in b for b in buttons), buttons
        finally:
            await second.stop()


async def test_trial_days_change_applies_to_the_next_trial(shop: Shop) -> None:
    admin = await admin_at(shop, "Free trial")
    await admin.wait_reply(await admin.press("Days"))
    refused = await admin.wait_reply(await admin.send("999"))
    assert "from 1 to 365" in refused.text
    saved = await admin.wait_reply(await admin.send("7"))
    assert shows("Days: 7", saved.text)

    customer = shop.user(8604, first_name="Trial", language_code="en")
    menu = await customer.wait_reply(await customer.send("/start"))
    assert "7 days" in menu.text
    await customer.wait_reply(await customer.press("trial"))
    expiry = panel_expiry(shop, 8604)
    async with shop.db.session() as session:
        row = await session.get(SettingsOverride, "trial.days")
    assert row is not None and row.value == 7
    assert abs((expiry - row.updated_at).total_seconds() - 7 * 86400) < 120

    await admin.wait_reply(await admin.press("Stop offering the trial"))
    other = shop.user(8605, language_code="en")
    menu = await other.wait_reply(await other.send("/start"))
    assert "trial" not in " ".join(menu.button_texts).lower()
    assert [k for _, k, _ in await audit_keys(shop)] == ["trial.days", "trial.enabled"]


async def test_payment_method_order_and_switch(shop: Shop) -> None:
    customer = shop.user(8606, first_name="Buyer", language_code="en")
    await period_buttons(customer)
    methods = await customer.wait_reply(await customer.press("1 month"))
    assert [b.split(" · ")[0] for b in methods.button_texts[:2]] == [
        "⭐ Telegram Stars",
        "💳 Card, SBP (YooKassa)",
    ]

    admin = await admin_at(shop, "Payment methods")
    reply = await admin.wait_reply(await admin.press_data("as:mu:::yookassa"))
    assert reply.text.index("YooKassa") < reply.text.index("Telegram Stars")
    await period_buttons(customer)
    methods = await customer.wait_reply(await customer.press("1 month"))
    assert methods.button_texts[0].startswith("💳 Card, SBP (YooKassa)")
    assert "199.00" in methods.button_texts[0]

    await admin.wait_reply(await admin.press("Telegram Stars"))  # turns it off
    await period_buttons(customer)
    methods = await customer.wait_reply(await customer.press("1 month"))
    assert not any("Stars" in b for b in methods.button_texts)
    assert [k for _, k, _ in await audit_keys(shop)] == ["payments.order", "payments.disabled"]


async def test_menu_link_added_and_removed(shop: Shop) -> None:
    admin = await admin_at(shop, "Menu links")
    await admin.wait_reply(await admin.press("Support"))
    refused = await admin.wait_reply(await admin.send("not a link"))
    assert "not a link" in refused.text.lower()
    saved = await admin.wait_reply(await admin.send("https://t.me/shop_support"))
    assert "https://t.me/shop_support" in saved.text

    customer = shop.user(8607, language_code="en")
    menu = await customer.wait_reply(await customer.send("/start"))
    support = [b for row in menu.buttons for b in row if b.text == "💬 Support"]
    assert support and support[0].url == "https://t.me/shop_support"

    await admin.wait_reply(await admin.press("🗑"))
    menu = await customer.wait_reply(await customer.send("/start"))
    assert "💬 Support" not in menu.button_texts
    assert [k for _, k, _ in await audit_keys(shop)] == ["links.support", "links.support"]


async def test_customers_cannot_reach_settings(shop: Shop) -> None:
    customer = shop.user(8608, language_code="en")
    await customer.wait_reply(await customer.send("/start"))
    for data in ("an:se", "as:ts", "as:tt:standard", "as:mu:::stars", "as:lr:::support", "as:trt"):
        answer = await customer.wait_alert(await customer.press_data(data))
        assert "administrators only" in answer["text"], (data, answer)
    reply = await customer.wait_reply(await customer.send("/settings"))
    assert "Unknown command" in reply.text
    async with shop.db.session() as session:
        assert (await session.scalars(select(SettingsOverride))).all() == []
    assert await audit_keys(shop) == []
