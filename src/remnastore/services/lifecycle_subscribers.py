"""Who reacts to the order lifecycle's events: registered here, in one place, in this order.

==================  ==================================================================================
OrderPaid           metrics; log chat (payment received, late payment alert); fulfilment (background);
                    card saving for auto-renewal (background)
OrderFulfilled      customer notice (subscription orders); referral rewards; gift notices
OrderRefunded       metrics; what the order gave is taken back (its kind's revoke); the referral
                    commission and bonus days (``referral_refunds.py``); customer notice
OrderFailed         metrics; customer notice (not for auto-renewal charges: auto-renewal tells the
                    customer itself, with its retry time)
==================  ==================================================================================
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from remnastore.db.models import OrderKind
from remnastore.services.lifecycle import (
    SILENT,
    OrderEvents,
    OrderFailed,
    OrderFulfilled,
    OrderPaid,
    OrderRefunded,
)
from remnastore.services.notifications import AdminNotifier, CustomerNotifier
from remnastore.services.topup_fulfilment import SPENT_TOPUP

log = logging.getLogger(__name__)

Spawn = Callable[[Coroutine[Any, Any, object]], object]


class PaymentCounter(Protocol):
    def payment(self, provider: str, state: str) -> None: ...


class OrderWork(Protocol):
    """What is done with a paid or refunded order (``services/fulfilment.py``)."""

    async def fulfil(self, order_id: str) -> bool: ...

    async def revoke(self, order_id: str) -> None: ...


@dataclass(frozen=True)
class Reactions:
    """The services that react to order events (None: switched off)."""

    fulfilment: OrderWork
    metrics: PaymentCounter
    admins: AdminNotifier
    customers: CustomerNotifier
    spawn: Spawn
    remember_card: Callable[[str], Coroutine[Any, Any, None]] | None = None
    referral_reward: Callable[[str], Awaitable[None]] | None = None
    gift_notice: Callable[[str], Awaitable[None]] | None = None
    #: runs the tax receipts job at once (the receipt of a paid order was queued in its transaction)
    tax_receipts_now: Callable[[], Coroutine[Any, Any, object]] | None = None
    #: further OrderRefunded subscribers (refunds.py): each undoes one effect, once
    undo: tuple[tuple[str, Callable[[OrderRefunded], Awaitable[None]]], ...] = ()


def subscribe_order_events(events: OrderEvents, r: Reactions) -> None:
    """Register every subscriber of the order lifecycle."""

    async def count_paid(event: OrderPaid) -> None:
        r.metrics.payment(event.order.provider, "paid")

    async def log_chat(event: OrderPaid) -> None:
        order = event.order
        await r.admins.payment_received(
            order_id=order.order_id,
            customer_telegram_id=order.customer.telegram_id,
            provider=order.provider,
            amount=order.amount,
            item=order.item,
        )
        if event.late:
            await r.admins.alert("alert-late-payment", order=order.order_id, provider=order.provider)

    async def fulfil(event: OrderPaid) -> None:
        r.spawn(r.fulfilment.fulfil(event.order.order_id))

    events.subscribe(OrderPaid, "metrics", count_paid)
    events.subscribe(OrderPaid, "log-chat", log_chat)
    events.subscribe(OrderPaid, "fulfilment", fulfil)
    tax_receipts_now = r.tax_receipts_now
    if tax_receipts_now is not None:

        async def send_receipt(event: OrderPaid) -> None:
            r.spawn(tax_receipts_now())

        events.subscribe(OrderPaid, "tax-receipts", send_receipt)
    remember_card = r.remember_card
    if remember_card is not None:

        async def save_card(event: OrderPaid) -> None:
            r.spawn(remember_card(event.order.order_id))

        events.subscribe(OrderPaid, "card-saving", save_card)

    async def fulfilled_notice(event: OrderFulfilled) -> None:
        order = event.order
        if order.kind != OrderKind.SUBSCRIPTION or order.meta.get(SILENT):
            return
        if event.expires_at is None or event.link is None:
            return
        await r.customers.order_fulfilled(
            order.customer,
            tariff_name=event.tariff_name or str(order.tariff_code),
            expires_at=event.expires_at,
            link=event.link,
            amount=order.amount,
        )

    events.subscribe(OrderFulfilled, "customer-notice", fulfilled_notice)
    referral_reward = r.referral_reward
    if referral_reward is not None:

        async def reward(event: OrderFulfilled) -> None:
            if event.order.kind == OrderKind.SUBSCRIPTION:
                await referral_reward(event.order.order_id)

        events.subscribe(OrderFulfilled, "referral-rewards", reward)
    gift_notice = r.gift_notice
    if gift_notice is not None:

        async def gift(event: OrderFulfilled) -> None:
            if event.order.kind == OrderKind.SUBSCRIPTION:
                await gift_notice(event.order.order_id)

        events.subscribe(OrderFulfilled, "gift-notices", gift)

    async def count_refunded(event: OrderRefunded) -> None:
        r.metrics.payment(event.order.provider, "refunded")

    async def revoke(event: OrderRefunded) -> None:
        # awaited, not in the background: the subscribers after it (referral days) move the same panel
        # expiry, each from what the one before left
        if event.was_fulfilled:
            await r.fulfilment.revoke(event.order.order_id)

    async def refunded_notice(event: OrderRefunded) -> None:
        if SPENT_TOPUP in event.order.meta or event.order.amount.minor == 0:
            return  # no money comes back (the top-up that paid for it was refunded, or a gift's activation)
        await r.customers.payment_refunded(event.order.customer, amount=event.order.amount)

    events.subscribe(OrderRefunded, "metrics", count_refunded)
    events.subscribe(OrderRefunded, "access", revoke)
    for name, undo in r.undo:
        events.subscribe(OrderRefunded, name, undo)
    events.subscribe(OrderRefunded, "customer-notice", refunded_notice)

    async def count_failed(event: OrderFailed) -> None:
        r.metrics.payment(event.order.provider, "failed")

    async def failed_notice(event: OrderFailed) -> None:
        if "renewal" not in event.order.meta:
            await r.customers.payment_failed(event.order.customer, amount=event.order.amount)

    events.subscribe(OrderFailed, "metrics", count_failed)
    events.subscribe(OrderFailed, "customer-notice", failed_notice)
