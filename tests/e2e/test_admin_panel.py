"""The admin menu is for ADMIN_IDS only; admin buttons pressed by others are refused and change nothing."""

from __future__ import annotations

import logging

import pytest
from aiogram.types import BotCommandScopeChat
from sqlalchemy import select

from remnastore.bot.callbacks import AdminSection
from remnastore.bot.routers.admin import SECTIONS
from remnastore.db.models import AuditEntry, Customer
from remnastore.locales import Locales
from tests.fixtures.shop import ADMIN_ID, Shop

EN = Locales("en").get("en")
MENU = [EN(f"admin-section-{section.value}") for section in SECTIONS]


async def test_admin_menu_lists_the_sections_and_every_section_returns_to_it(shop: Shop) -> None:
    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    menu = await admin.wait_reply(await admin.send("/admin"))
    assert "Admin panel" in menu.text
    assert menu.button_texts == MENU
    assert MENU[:3] == ["📊 Statistics", "👥 Customers", "🧾 Orders"]
    for label in MENU:
        screen = await admin.wait_reply(await admin.press(label))
        assert screen.message_id == menu.message_id  # the menu message is edited in place
        await admin.wait_reply(await admin.press("Admin menu"))
        assert admin.last_message is not None and admin.last_message.button_texts == MENU


def test_every_section_has_a_label_in_each_language() -> None:
    for language in ("ru", "en"):
        t = Locales("en").get(language)
        labels = [t(f"admin-section-{section.value}") for section in AdminSection]
        assert all(not label.startswith("admin-section") for label in labels)
        assert len(set(labels)) == len(AdminSection)


async def test_a_customer_sending_admin_gets_the_ordinary_reply(shop: Shop) -> None:
    customer = shop.user(7301, first_name="Eve", language_code="en")
    reply = await customer.wait_reply(await customer.send("/admin"))
    assert "Unknown command" in reply.text
    assert "Admin panel" not in reply.text
    assert not any("Statistics" in text for text in reply.button_texts)


async def test_forged_admin_buttons_are_refused_logged_and_change_nothing(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    victim = shop.user(7302, first_name="Victim", language_code="en")
    await victim.wait_reply(await victim.send("/start"))
    await victim.wait_reply(await victim.press("Free trial"))
    panel_before = shop.panel.user_by_telegram_id(7302)
    assert panel_before is not None
    async with shop.db.session() as session:
        target = (await session.scalars(select(Customer).where(Customer.telegram_id == 7302))).one()

    intruder = shop.user(7303, first_name="Mallory", language_code="en")
    await intruder.wait_reply(await intruder.send("/start"))
    shown = len(intruder.messages)
    forged = [
        "an:",
        "an:st",
        "an:cu",
        "asr",
        "acl:0",
        "acs",
        f"acu:{target.id}:view",
        f"acu:{target.id}:ban",
        f"acu:{target.id}:rvk",
        f"acu:{target.id}:del",
        f"acu:{target.id}:trl",
        "ao:all:0",
    ]
    caplog.set_level(logging.WARNING, logger="remnastore.bot.routers.admin.guard")
    for data in forged:
        answer = await intruder.wait_alert(await intruder.press_data(data))
        assert "administrators only" in answer["text"], (data, answer)
        assert answer.get("show_alert") is True

    assert len(intruder.messages) == shown  # no admin screen, no customer card
    assert shop.panel.user_by_telegram_id(7302) == panel_before
    async with shop.db.session() as session:
        stored = (await session.scalars(select(Customer).where(Customer.telegram_id == 7302))).one()
        assert not stored.is_banned and stored.trial_used_at is not None
        assert (await session.scalars(select(AuditEntry))).all() == []
    refusals = [r for r in caplog.records if "non-admin" in r.getMessage()]
    assert len(refusals) == len(forged)
    assert {getattr(r, "telegram_id", None) for r in refusals} == {7303}


async def test_admins_see_the_admin_commands_in_their_own_chat_only(shop: Shop) -> None:
    admin_chat = await shop.app.bot.get_my_commands(scope=BotCommandScopeChat(chat_id=ADMIN_ID))
    names = [command.command for command in admin_chat]
    assert names[0] == "start" and {"admin", "orders", "broadcast", "health"} <= set(names)
    for language in ("en", "ru"):
        everybody = await shop.app.bot.get_my_commands(language_code=language)
        assert "start" in [c.command for c in everybody]
        assert not {"admin", "orders"} & {c.command for c in everybody}
