"""Messages of auto-renewal and gifts, in each recipient's language (implements RenewalNotifier and
GiftNotifier)."""

from __future__ import annotations

import logging
from datetime import datetime
from urllib.parse import quote

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from remnastore.bot.callbacks import Nav, Screen
from remnastore.bot.render import Renderer
from remnastore.domain.catalogue import Period, Tariff
from remnastore.domain.deep_links import gift_payload
from remnastore.domain.money import Money
from remnastore.locales import Locales, Translator
from remnastore.services.notifications import Recipient

log = logging.getLogger(__name__)


def gift_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={gift_payload(token)}"


class RenewalMessages:
    def __init__(self, bot: Bot, locales: Locales, renderer: Renderer) -> None:
        self._bot = bot
        self._locales = locales
        self._renderer = renderer

    async def _send(self, to: Recipient, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        try:
            await self._bot.send_message(to.telegram_id, text, reply_markup=markup)
        except TelegramForbiddenError:
            log.info("a customer has blocked the bot; message not delivered")
        except TelegramAPIError as exc:
            log.warning("message not delivered: %s", exc.message)

    def _screen(self, t: Translator, key: str, screen: Screen) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text=t(key), callback_data=Nav(screen=screen).pack())]]
        )

    # -- auto-renewal ----------------------------------------------------------------------------
    async def renewal_upcoming(
        self, to: Recipient, *, amount: Money, charge_at: datetime, card: str | None
    ) -> None:
        t = self._locales.get(to.language)
        text = t(
            "autorenew-upcoming",
            amount=self._renderer.money(amount, t),
            when=self._renderer.when(charge_at, t),
            method=card or t("autorenew-method-balance"),
        )
        await self._send(to, text, self._screen(t, "autorenew-btn-manage", Screen.AUTORENEW))

    async def renewal_succeeded(self, to: Recipient, *, amount: Money, card: str | None) -> None:
        t = self._locales.get(to.language)
        text = t(
            "autorenew-succeeded",
            amount=self._renderer.money(amount, t),
            method=card or t("autorenew-method-balance"),
        )
        await self._send(to, text)

    async def renewal_failed(
        self, to: Recipient, *, amount: Money, retry_at: datetime | None, reason: str
    ) -> None:
        t = self._locales.get(to.language)
        key = "autorenew-failed-retry" if retry_at is not None else "autorenew-failed-final"
        text = t(
            key,
            amount=self._renderer.money(amount, t),
            when=self._renderer.when(retry_at, t) if retry_at is not None else "",
            reason=t(f"autorenew-reason-{reason}"),
        )
        await self._send(to, text, self._screen(t, "btn-renew", Screen.BUY))

    async def card_kept(self, to: Recipient, *, card: str | None) -> None:
        t = self._locales.get(to.language)
        if card is None:
            await self._send(to, t("autorenew-card-not-saved"))
            return
        text = t("autorenew-card-kept", card=card or t("autorenew-card"))
        await self._send(to, text, self._screen(t, "autorenew-btn-manage", Screen.AUTORENEW))

    def charge_description(self, tariff: Tariff, period: Period, language: str) -> str:
        t = self._locales.get(language)
        return str(t("invoice-title", tariff=tariff.name(language), period=self._renderer.period(period, t)))

    # -- gifts -----------------------------------------------------------------------------------
    async def gift_ready(self, to: Recipient, *, token: str, tariff_name: str, period: Period) -> None:
        t = self._locales.get(to.language)
        me = await self._bot.me()
        link = gift_link(me.username or "", token)
        text = t("gift-ready", tariff=tariff_name, period=self._renderer.period(period, t), link=link)
        share = f"https://t.me/share/url?url={quote(link, safe='')}&text={quote(str(t('gift-share-text')))}"
        markup = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text=t("gift-btn-share"), url=share)]]
        )
        await self._send(to, text, markup)

    async def gift_activated(
        self, buyer: Recipient, recipient: Recipient, *, tariff_name: str, expires_at: datetime
    ) -> None:
        t = self._locales.get(recipient.language)
        text = t("gift-active", tariff=tariff_name, expires=self._renderer.when(expires_at, t))
        await self._send(recipient, text, self._screen(t, "btn-subscription", Screen.SUBSCRIPTION))
        tb = self._locales.get(buyer.language)
        await self._send(buyer, tb("gift-buyer-notified", tariff=tariff_name))
