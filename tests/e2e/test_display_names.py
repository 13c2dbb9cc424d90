"""Admins read payment providers, tariffs, subscription kinds and languages by their names, not codes."""

from __future__ import annotations

from tests.e2e.test_admin_customers import open_card
from tests.e2e.test_purchase_stars import open_invoice
from tests.fixtures.shop import ADMIN_ID, Shop


async def test_the_customer_card_names_the_provider_and_the_tariff(shop: Shop) -> None:
    buyer = shop.user(7801)
    await buyer.pay_invoice(link=await open_invoice(shop, 7801))
    await shop.telegram.wait_until(
        lambda: any("Payment received" in m.text for m in buyer.messages), timeout=10
    )
    _, card = await open_card(shop, 7801)
    assert "Subscription: paid, tariff Standard" in card.text, card.text
    assert "Telegram Stars" in card.text and "language: 🇬🇧 English" in card.text
    assert " stars " not in card.text and "standard" not in card.text


async def test_the_orders_list_and_card_name_the_provider_and_the_tariff(shop: Shop) -> None:
    buyer = shop.user(7802)
    await buyer.pay_invoice(link=await open_invoice(shop, 7802))
    await shop.telegram.wait_until(
        lambda: any("Payment received" in m.text for m in buyer.messages), timeout=10
    )
    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    listing = await admin.wait_reply(await admin.send("/orders"))
    assert "Telegram Stars" in listing.text and "· stars ·" not in listing.text
    order_button = next(b for row in listing.buttons for b in row if b.text.startswith("#"))
    card = await admin.wait_reply(await admin.press(order_button.text))
    assert "via Telegram Stars" in card.text and "Item: Standard / 1m" in card.text, card.text
