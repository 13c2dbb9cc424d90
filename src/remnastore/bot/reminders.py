"""Expiry reminders over the Bot API: a localised text and a button that opens the shop; with the cabinet
on, also a personal sign-in link, a way in for a customer whom Telegram no longer reaches later."""

from __future__ import annotations

import logging
from datetime import datetime

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from remnastore.bot.callbacks import Nav, Screen
from remnastore.bot.render import Renderer
from remnastore.cabinet.links import CabinetLinks
from remnastore.locales import Html, Locales, Translator

log = logging.getLogger(__name__)


def _span(hours: int, t: Translator) -> Html:
    """``hours`` as customers read it: whole days when it is whole days."""
    if hours % 24 == 0:
        return t("reminder-left-days", days=hours // 24)
    return t("reminder-left-hours", hours=hours)


class TelegramReminderSender:
    """Implements ``services.reminders.ReminderSender``."""

    def __init__(
        self, bot: Bot, locales: Locales, renderer: Renderer, *, cabinet_links: CabinetLinks | None = None
    ) -> None:
        self._bot = bot
        self._locales = locales
        self._renderer = renderer
        self._cabinet = cabinet_links

    def text(self, language: str, *, offset_hours: int, expires_at: datetime, kind: str) -> Html:
        t = self._locales.get(language)
        if offset_hours < 0:
            return t(
                f"reminder-before-{kind}",
                left=_span(-offset_hours, t),
                expires=self._renderer.when(expires_at, t),
            )
        if offset_hours == 0:
            return t(f"reminder-at-{kind}")
        return t(f"reminder-after-{kind}", ago=_span(offset_hours, t))

    def markup(self, language: str, kind: str) -> InlineKeyboardMarkup:
        t = self._locales.get(language)
        label = t("reminder-btn-buy") if kind == "trial" else t("reminder-btn-renew")
        button = InlineKeyboardButton(text=label, callback_data=Nav(screen=Screen.BUY).pack())
        return InlineKeyboardMarkup(inline_keyboard=[[button]])

    async def with_cabinet_link(self, text: Html, language: str, customer_id: int) -> Html:
        """The reminder with a new personal sign-in link below it, when the cabinet is on."""
        if self._cabinet is None:
            return text
        link = await self._cabinet.reminder_link(customer_id)
        t = self._locales.get(language)
        return Html(
            f"{text}\n\n{t('reminder-cabinet-link', link=link, hours=self._cabinet.reminder_link_hours)}"
        )

    async def send(
        self,
        telegram_id: int,
        language: str,
        *,
        customer_id: int,
        offset_hours: int,
        expires_at: datetime,
        kind: str,
    ) -> bool:
        text = self.text(language, offset_hours=offset_hours, expires_at=expires_at, kind=kind)
        text = await self.with_cabinet_link(text, language, customer_id)
        try:
            await self._bot.send_message(telegram_id, text, reply_markup=self.markup(language, kind))
        except TelegramForbiddenError:
            return False
        except TelegramBadRequest as exc:
            if "chat not found" in exc.message.lower():
                return False
            # Our own mistake (a text Telegram refuses): retrying would fail the same way.
            log.error("a reminder was refused by Telegram: %s", exc.message)
        return True
