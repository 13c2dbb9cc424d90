"""Customer messages about panel events over the Bot API: a short text and the button that helps."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from remnastore.bot.callbacks import AddonKind, Nav, Screen
from remnastore.locales import Html, Locales

log = logging.getLogger(__name__)

#: the text of each event a customer can be told about
EVENT_TEXTS = {
    "user.limited": "panel-event-user-limited",
    "user.traffic_reset": "panel-event-user-traffic_reset",
    "user.first_connected": "panel-event-user-first_connected",
    "user.not_connected": "panel-event-user-not_connected",
    "user.disabled": "panel-event-user-disabled",
    "user.enabled": "panel-event-user-enabled",
    "user.deleted": "panel-event-user-deleted",
    "user.revoked": "panel-event-user-revoked",
}
_BUY_EVENTS = frozenset({"user.deleted"})
_TRAFFIC_EVENTS = frozenset({"user.limited"})


class TelegramPanelEventSender:
    """Implements ``services.panel_events.PanelEventSender``.

    ``traffic_addons``: the shop sells extra traffic, so a customer out of traffic is offered it
    (otherwise the plans)."""

    def __init__(self, bot: Bot, locales: Locales, *, traffic_addons: bool) -> None:
        self._bot = bot
        self._locales = locales
        self._traffic_addons = traffic_addons

    def text(self, language: str, event: str, *, subscription_url: str) -> Html:
        t = self._locales.get(language)
        return t(EVENT_TEXTS[event], link=subscription_url)

    def markup(self, language: str, event: str) -> InlineKeyboardMarkup:
        t = self._locales.get(language)
        if event in _TRAFFIC_EVENTS and self._traffic_addons:
            button = InlineKeyboardButton(
                text=t("panel-event-btn-traffic"), callback_data=AddonKind(kind="traffic").pack()
            )
        elif event in _TRAFFIC_EVENTS or event in _BUY_EVENTS:
            button = InlineKeyboardButton(
                text=t("panel-event-btn-buy"), callback_data=Nav(screen=Screen.BUY).pack()
            )
        else:
            button = InlineKeyboardButton(
                text=t("panel-event-btn-subscription"), callback_data=Nav(screen=Screen.SUBSCRIPTION).pack()
            )
        return InlineKeyboardMarkup(inline_keyboard=[[button]])

    async def send(self, telegram_id: int, language: str, event: str, *, subscription_url: str) -> bool:
        text = self.text(language, event, subscription_url=subscription_url)
        try:
            await self._bot.send_message(telegram_id, text, reply_markup=self.markup(language, event))
        except TelegramForbiddenError:
            return False
        except TelegramBadRequest as exc:
            if "chat not found" in exc.message.lower():
                return False
            log.error("a panel event message was refused by Telegram: %s", exc.message)
        return True
