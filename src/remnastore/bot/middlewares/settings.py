"""Puts the settings in force into every update, and holds customers back in maintenance mode.

Register it as an outer update middleware *after* the customer middleware (it reads ``is_admin`` and
``t``). It reloads the settings when another instance changed them (see EffectiveSettings), gives
handlers a ``menu`` with the link buttons in force and, while maintenance mode is on, answers customers
with the maintenance text. Admins keep working, and payments (pre-checkout queries, payment messages)
and membership updates always go through, so that no paid order is lost.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from remnastore.bot.keyboards import MenuOptions
from remnastore.locales import Locales, Translator
from remnastore.services.effective_settings import EffectiveSettings

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def passes_maintenance(update: Update) -> bool:
    """Updates maintenance mode never holds back."""
    if update.pre_checkout_query is not None or update.shipping_query is not None:
        return True
    if update.my_chat_member is not None or update.chat_member is not None:
        return True
    message = update.message
    if message is not None:
        if message.successful_payment is not None or message.refunded_payment is not None:
            return True
        return message.chat.type != "private"
    return False


class SettingsMiddleware(BaseMiddleware):
    def __init__(self, settings: EffectiveSettings, menu: MenuOptions, locales: Locales) -> None:
        self._settings = settings
        self._menu = menu
        self._locales = locales

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        effective = await self._settings.refresh()
        data["menu"] = dataclasses.replace(self._menu, links=effective.links)
        maintenance = effective.maintenance
        if not maintenance.enabled or not isinstance(event, Update) or data.get("is_admin"):
            return await handler(event, data)
        if passes_maintenance(event):
            return await handler(event, data)
        t: Translator = data.get("t") or self._locales.get(None)
        text = (
            t("maintenance-custom", message=maintenance.message)
            if maintenance.message
            else t("maintenance-text")
        )
        if event.callback_query is not None:
            await event.callback_query.answer(text[:200], show_alert=True)
        elif event.message is not None:
            await event.message.answer(text)
        elif event.inline_query is not None:
            await event.inline_query.answer([], cache_time=5, is_personal=True)
        log.info("update held back: maintenance mode")
        return None
