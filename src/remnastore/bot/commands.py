"""The bot's command menu: the customers' commands in each language, and the admins' in their own chats."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat

from remnastore.locales import SUPPORTED_LANGUAGES, Locales

log = logging.getLogger(__name__)

COMMANDS = ("start", "buy", "subscription", "devices", "language", "referrals", "promo", "gifts")
#: shown, after the customers' commands, in each admin's own chat only
ADMIN_COMMANDS = (
    "admin",
    "orders",
    "promos",
    "campaigns",
    "broadcast",
    "sync",
    "settings",
    "maintenance",
    "health",
    "backups",
)


async def set_commands(
    bot: Bot, locales: Locales, *, default_language: str, admin_ids: Sequence[int]
) -> None:
    for language in SUPPORTED_LANGUAGES:
        t = locales.get(language)
        commands = [BotCommand(command=name, description=t(f"cmd-{name}")) for name in COMMANDS]
        await bot.set_my_commands(commands, language_code=language)
        if language == default_language:
            await bot.set_my_commands(commands)
    for admin in admin_ids:
        scope = BotCommandScopeChat(chat_id=admin)
        try:
            # each admin reads the menu in their Telegram language (the shop's default otherwise)
            for code in ("", *SUPPORTED_LANGUAGES):
                tr = locales.get(code or None)
                admin_commands = [
                    BotCommand(command=name, description=tr(f"cmd-{name}"))
                    for name in (*COMMANDS, *ADMIN_COMMANDS)
                ]
                await bot.set_my_commands(admin_commands, scope=scope, language_code=code or None)
        except TelegramAPIError as exc:  # e.g. an admin who has not started the bot yet
            log.info("could not set the admin commands for %s: %s", admin, exc.message)
