"""Telegram payment messages are settled BEFORE Telegram is told their update arrived.

Telegram sends a ``successful_payment`` (and a ``refunded_payment``) once. An update is acknowledged
in long polling by the next ``getUpdates`` offset, which aiogram sends while the previous batch is still
being handled, and by webhook with the 200 answer, which aiogram gives before handling. A process that
died in between lost the payment for good. Here the payment is settled (stored under its
``telegram_payment_charge_id``, the key settlement uses) first:

* long polling: :class:`SettleBeforeAcknowledging`, a Bot API request middleware, settles the payment
  updates of a ``getUpdates`` answer before aiogram sees them, so the offset is advanced past them only
  after they are stored; should that fail, aiogram retries ``getUpdates`` with the same offset and
  Telegram sends them again;
* webhook: :class:`remnastore.bot.webhook.SettleFirstRequestHandler` settles an authenticated payment
  update before answering; should that fail it answers 500 and Telegram delivers the update again.

The update then goes through the dispatcher as usual; its handler finds the payment settled (a duplicate).
What is lost before even this point is found by :mod:`remnastore.services.stars_reconciliation`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Update

from remnastore.payments.base import PaymentEvent
from remnastore.payments.stars import event_from_payment

log = logging.getLogger(__name__)


def payment_events(update: Update) -> list[PaymentEvent]:
    """The payment events an update carries (none for anything but a payment message)."""
    message = update.message
    if message is None or message.from_user is None:
        return []
    events: list[PaymentEvent] = []
    if message.successful_payment is not None:
        paid = message.successful_payment
        events.append(
            event_from_payment(
                telegram_user_id=message.from_user.id,
                payload=paid.invoice_payload,
                charge_id=paid.telegram_payment_charge_id,
                total_amount=paid.total_amount,
                currency=paid.currency,
            )
        )
    if message.refunded_payment is not None:
        refund = message.refunded_payment
        events.append(
            event_from_payment(
                telegram_user_id=message.from_user.id,
                payload=refund.invoice_payload,
                charge_id=refund.telegram_payment_charge_id,
                total_amount=refund.total_amount,
                currency=refund.currency,
                refunded=True,
            )
        )
    return events


class PaymentIntake:
    """Settles the payment events of updates; raises if one could not be stored."""

    def __init__(self, settle: Callable[[PaymentEvent], Awaitable[object]]) -> None:
        self._settle = settle

    async def settle(self, updates: Iterable[Update]) -> int:
        settled = 0
        for update in updates:
            for event in payment_events(update):
                await self._settle(event)
                settled += 1
        return settled


class SettleBeforeAcknowledging(BaseRequestMiddleware):
    """Long polling: payment updates of a ``getUpdates`` answer are settled before anything else."""

    def __init__(self, intake: PaymentIntake) -> None:
        self._intake = intake

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        response = await make_request(bot, method)
        # aiogram's chain is annotated with Response but hands on the method's result (a list here)
        result: object = response.result if isinstance(response, Response) else response
        if isinstance(method, GetUpdates) and isinstance(result, list):
            updates = [u for u in result if isinstance(u, Update)]
            if any(payment_events(u) for u in updates):
                try:
                    await self._intake.settle(updates)
                except Exception:
                    # aiogram retries getUpdates with the same offset: Telegram sends these again
                    log.exception("could not store a payment update; it is taken again from Telegram")
                    raise
        return response
