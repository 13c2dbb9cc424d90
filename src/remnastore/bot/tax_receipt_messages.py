"""The customer's tax receipt link, in their language (implements receipts.queue.ReceiptMessages)."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from remnastore.bot.render import Renderer
from remnastore.domain.money import Money
from remnastore.locales import Locales

log = logging.getLogger(__name__)
SEND_TIMEOUT = 15.0


class TaxReceiptMessages:
    def __init__(self, bot: Bot, locales: Locales, renderer: Renderer) -> None:
        self._bot = bot
        self._locales = locales
        self._renderer = renderer

    async def receipt_issued(self, telegram_id: int, language: str, *, url: str, amount: Money) -> None:
        t = self._locales.get(language)
        markup = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text=t("tax-receipt-open"), url=url)]]
        )
        try:
            await asyncio.wait_for(
                self._bot.send_message(
                    telegram_id,
                    t("tax-receipt-issued", amount=self._renderer.money(amount, t)),
                    reply_markup=markup,
                ),
                SEND_TIMEOUT,
            )
        except TelegramForbiddenError:
            log.info("a customer has blocked the bot; receipt link not delivered")
        except (TelegramAPIError, TimeoutError) as exc:
            log.warning("receipt link not delivered: %s", type(exc).__name__)
