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
        log_chat_id: int | None,
        log_thread_id: int | None,
        mini_app: str | None,
    ) -> None:
        self._bot = bot
        self._locales = locales
        self._renderer = renderer
        self._admins = list(admin_ids)
        self._log_chat = log_chat_id
        self._log_thread = log_thread_id
        self._mini_app = mini_app

    async def _send(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None, **kw: int
    ) -> None:
        try:
            await self._bot.send_message(chat_id, text, reply_markup=markup, **kw)  # type: ignore[arg-type]
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
        if self._log_chat is None:
            return
        t = self._locales.get(None)
        text = t(
            "log-payment",
            amount=amount.format(t.language),
            provider=provider,
            order=order_id,
            customer=str(customer_telegram_id),
            item=item,
        )
        await self._to_log(text)

    async def alert(self, text_key: str, **args: str | int) -> None:
        t = self._locales.get(None)
        text = t(text_key, **args)
        if self._log_chat is not None:
            await self._to_log(text)
            return
        for admin in self._admins:
            await self._send(admin, text)

    async def _to_log(self, text: str) -> None:
        assert self._log_chat is not None
        extra = {"message_thread_id": self._log_thread} if self._log_thread else {}
        await self._send(self._log_chat, text, None, **extra)
