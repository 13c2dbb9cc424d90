"""The command menu offers /buy in both languages; a Stars invoice names the item in its title and says
what the customer gets in its description; its order text does not send the customer to a payment page."""

from __future__ import annotations

from aiogram.types import BotCommandScopeChat

from tests.e2e.test_purchase_stars import open_invoice
from tests.fixtures.shop import ADMIN_ID, Shop


async def test_buy_is_in_the_command_menu_in_both_languages(shop: Shop) -> None:
    menus = {
        language: {
            c.command: c.description for c in await shop.app.bot.get_my_commands(language_code=language)
        }
        for language in ("ru", "en")
    }
    assert menus["en"]["buy"] == "Buy or renew a subscription"
    assert menus["ru"]["buy"] == "Купить или продлить подписку"
    assert list(menus["en"])[:2] == ["start", "buy"]
    default = {c.command for c in await shop.app.bot.get_my_commands()}
    assert "buy" in default


async def test_admins_get_their_commands_in_their_language(shop: Shop) -> None:
    scope = BotCommandScopeChat(chat_id=ADMIN_ID)
    ru = {
        c.command: c.description for c in await shop.app.bot.get_my_commands(scope=scope, language_code="ru")
    }
    en = {
        c.command: c.description for c in await shop.app.bot.get_my_commands(scope=scope, language_code="en")
    }
    assert ru["buy"] == "Купить или продлить подписку" and en["buy"] == "Buy or renew a subscription"
    assert "admin" in ru and "admin" in en and ru["admin"] != en["admin"]


async def test_the_stars_invoice_has_a_title_and_a_different_description(shop: Shop) -> None:
    link = await open_invoice(shop, 7901)
    invoice = shop.telegram.state.invoice_links[link]
    assert invoice["title"] == "VPN Standard, 1 month"
    assert invoice["description"] != invoice["title"]
    assert "Unlimited traffic, up to 3 devices" in invoice["description"]
    assert "1 month" in invoice["description"]

    order_text = shop.user(7901).last_message
    assert order_text is not None
    assert "payment page" not in order_text.text
    assert "Telegram's payment window" in order_text.text


async def test_the_stars_order_text_in_russian_points_to_telegram_not_a_page(shop: Shop) -> None:
    buyer = shop.user(7902, first_name="Покупатель", language_code="ru")
    await buyer.wait_reply(await buyer.send("/start"))
    await buyer.wait_reply(await buyer.press("Купить подписку"))
    await buyer.wait_reply(await buyer.press("Стандарт"))
    await buyer.wait_reply(await buyer.press("1 месяц"))
    reply = await buyer.wait_reply(await buyer.press("Telegram Stars"))
    assert "окне Telegram" in reply.text and "странице оплаты" not in reply.text
