"""Messages that services send (payments, alerts) rendered in each recipient's language."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from remnastore.bot.callbacks import Nav, Screen
from remnastore.bot.keyboards import connect_button
from remnastore.bot.log_chat import LogChat
from remnastore.bot.render import Renderer
from remnastore.domain.money import Money
from remnastore.locales import Locales
from remnastore.services.notifications import Recipient

log = logging.getLogger(__name__)


class TelegramNotifier:
    """Implements CustomerNotifier and AdminNotifier over the Bot API."""

    def __init__(
        self,
        bot: Bot,
        locales: Locales,
        renderer: Renderer,
        *,
        admin_ids: Sequence[int],
        log_chat: LogChat,
        mini_app: str | None,
    ) -> None:
        self._bot = bot
        self._locales = locales
        self._renderer = renderer
        self._admins = list(admin_ids)
        self._log_chat = log_chat
        self._mini_app = mini_app

    async def _send(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        try:
            await self._bot.send_message(chat_id, text, reply_markup=markup)
        except TelegramForbiddenError:
            log.info("a customer has blocked the bot; message not delivered")
        except TelegramAPIError as exc:
            log.warning("message not delivered: %s", exc.message)

    async def order_fulfilled(
        self, to: Recipient, *, tariff_name: str, expires_at: datetime, link: str, amount: Money
    ) -> None:
        t = self._locales.get(to.language)
        text = t("order-fulfilled", tariff=tariff_name, expires=self._renderer.when(expires_at, t), link=link)
        markup = InlineKeyboardMarkup(
            inline_keyboard=[
                [connect_button(t, link, self._mini_app)],
                [
                    InlineKeyboardButton(
                        text=t("btn-subscription"), callback_data=Nav(screen=Screen.SUBSCRIPTION).pack()
                    )
                ],
            ]
        )
        await self._send(to.telegram_id, text, markup)

    async def payment_failed(self, to: Recipient, *, amount: Money) -> None:
        t = self._locales.get(to.language)
        await self._send(to.telegram_id, t("payment-failed", amount=amount.format(to.language)))

    async def payment_refunded(self, to: Recipient, *, amount: Money) -> None:
        t = self._locales.get(to.language)
        await self._send(to.telegram_id, t("payment-refunded", amount=amount.format(to.language)))

    async def balance_topped_up(self, to: Recipient, *, amount: Money, balance: Money) -> None:
        t = self._locales.get(to.language)
        text = t("balance-topped-up", amount=amount.format(to.language), balance=balance.format(to.language))
        await self._send(to.telegram_id, text)

    async def referral_days(self, to: Recipient, *, days: int, expires_at: datetime, inviter: bool) -> None:
        t = self._locales.get(to.language)
        key = "referral-days-inviter" if inviter else "referral-days-invitee"
        await self._send(to.telegram_id, t(key, days=days, expires=self._renderer.when(expires_at, t)))

    async def referral_commission(self, to: Recipient, *, amount: Money) -> None:
        t = self._locales.get(to.language)
        await self._send(to.telegram_id, t("referral-commission", amount=amount.format(to.language)))

    async def addon_fulfilled(self, to: Recipient, *, kind: str, added: int, total: int) -> None:
        t = self._locales.get(to.language)
        markup = InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=t("btn-subscription"), callback_data=Nav(screen=Screen.SUBSCRIPTION).pack()
                    )
                ]
            ]
        )
        await self._send(to.telegram_id, t(f"addon-fulfilled-{kind}", added=added, total=total), markup)

    async def payment_received(
        self, *, order_id: str, customer_telegram_id: int, provider: str, amount: Money, item: str
    ) -> None:
        language = self._locales.get(None).language
        self._log_chat.post(
            "log-payment",
            amount=amount.format(language),
            provider=provider,
            order=order_id,
            customer=str(customer_telegram_id),
            item=item,
        )

    async def alert(self, text_key: str, **args: str | int) -> None:
        if self._log_chat.enabled:
            self._log_chat.post(text_key, **args)
            return
        text = self._locales.get(None)(text_key, **args)
        for admin in self._admins:
            await self._send(admin, text)
