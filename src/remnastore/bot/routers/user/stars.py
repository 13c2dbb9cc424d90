"""Telegram Stars: the pre-checkout answer (within Telegram's 10 s) and the payment messages."""

from __future__ import annotations

import logging

from aiogram import F
from aiogram.types import Message, PreCheckoutQuery

from remnastore.bot.filters import Magic
from remnastore.bot.routing import Router
from remnastore.locales import Translator
from remnastore.payments.stars import event_from_payment
from remnastore.services.checkout import Checkout
from remnastore.services.settlement import Settlement

log = logging.getLogger(__name__)


async def pre_checkout(query: PreCheckoutQuery, checkout: Checkout, t: Translator) -> None:
    ok = await checkout.precheckout_ok(
        order_id=query.invoice_payload,
        telegram_id=query.from_user.id,
        amount=query.total_amount,
        currency=query.currency,
    )
    if ok:
        await query.answer(ok=True)
    else:
        log.warning("pre-checkout refused", extra={"order_id": query.invoice_payload[:40]})
        await query.answer(ok=False, error_message=t("precheckout-order-invalid"))


async def successful_payment(message: Message, settlement: Settlement) -> None:
    payment = message.successful_payment
    assert payment is not None and message.from_user is not None
    await settlement.settle(
        event_from_payment(
            telegram_user_id=message.from_user.id,
            payload=payment.invoice_payload,
            charge_id=payment.telegram_payment_charge_id,
            total_amount=payment.total_amount,
            currency=payment.currency,
        )
    )


async def refunded_payment(message: Message, settlement: Settlement) -> None:
    refund = message.refunded_payment
    assert refund is not None and message.from_user is not None
    await settlement.settle(
        event_from_payment(
            telegram_user_id=message.from_user.id,
            payload=refund.invoice_payload,
            charge_id=refund.telegram_payment_charge_id,
            total_amount=refund.total_amount,
            currency=refund.currency,
            refunded=True,
        )
    )


def build() -> Router:
    router = Router(name="stars")
    router.pre_checkout_query.register(pre_checkout)
    router.message.register(successful_payment, Magic(F.successful_payment))
    router.message.register(refunded_payment, Magic(F.refunded_payment))
    return router
