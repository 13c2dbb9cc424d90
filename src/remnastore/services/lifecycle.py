"""The order lifecycle: one operation per state change, and the typed events it publishes.

Every way of paying (a provider's notification, a Stars message, reconciliation, "I have paid", the
balance, auto-renewal, a gift's activation) marks the order paid through :meth:`Lifecycle.mark_paid`,
inside the transaction that settles it; refunds and failures go through :meth:`Lifecycle.mark_refunded`
and :meth:`Lifecycle.mark_failed`, and the order kinds report fulfilment with
:meth:`Lifecycle.fulfilled`. Each returns an event; the caller publishes it once its transaction is
committed (:meth:`Lifecycle.publish`), and the subscribers registered in one place
(``services/lifecycle_subscribers.py``) react: fulfilment, metrics, the log chat, customer notices, card
saving, referral rewards, gift notices, refunds undone.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from remnastore.db.models import Customer, Order, OrderStatus
from remnastore.db.repositories.orders import OrderRepository
from remnastore.domain.money import Money
from remnastore.infra.clock import Clock
from remnastore.services.notifications import Recipient
from remnastore.services.promos import PromoService

log = logging.getLogger(__name__)
#: order meta: fulfil without the customer's "payment received" notice (the order's own service tells)
SILENT = "silent"


@dataclass(frozen=True)
class OrderFacts:
    """What every event tells about its order (subscribers need no database read for it)."""

    order_id: str
    customer_id: int
    customer: Recipient
    kind: str
    provider: str
    amount: Money
    tariff_code: str | None
    period_code: str | None
    meta: dict[str, Any]

    @property
    def item(self) -> str:
        addon = self.meta.get("addon")
        return f"add-on {addon}" if addon else f"{self.tariff_code}/{self.period_code}"


@dataclass(frozen=True)
class OrderPaid:
    order: OrderFacts
    #: paid after the order had expired or failed (the money is kept; an admin is told)
    late: bool = False


@dataclass(frozen=True)
class OrderFulfilled:
    order: OrderFacts
    #: the expiry the order gave (subscription kinds) and the customer's subscription link
    expires_at: datetime | None = None
    link: str | None = None
    tariff_name: str | None = None


@dataclass(frozen=True)
class OrderRefunded:
    order: OrderFacts
    #: the order had been fulfilled (or its fulfilment was under way) when the refund arrived
    was_fulfilled: bool


@dataclass(frozen=True)
class OrderFailed:
    order: OrderFacts


OrderEvent = OrderPaid | OrderFulfilled | OrderRefunded | OrderFailed
E = TypeVar("E", OrderPaid, OrderFulfilled, OrderRefunded, OrderFailed)
Subscriber = Callable[[E], Awaitable[None]]


class OrderEvents:
    """Subscribers by event type, called in the order they were registered. A subscriber's failure is
    logged and never reaches the publisher or the other subscribers (the state change is committed)."""

    def __init__(self) -> None:
        self._subscribers: dict[type[Any], list[tuple[str, Callable[[Any], Awaitable[None]]]]] = {}

    def subscribe(self, event: type[E], name: str, subscriber: Subscriber[E]) -> None:
        self._subscribers.setdefault(event, []).append((name, subscriber))

    def subscribers(self, event: type[OrderEvent]) -> list[str]:
        """The names of ``event``'s subscribers, in order (for the docs and the tests)."""
        return [name for name, _ in self._subscribers.get(event, [])]

    async def publish(self, *events: OrderEvent | None) -> None:
        for event in events:
            if event is None:
                continue
            for name, subscriber in self._subscribers.get(type(event), []):
                try:
                    await subscriber(event)
                except Exception:
                    log.exception(
                        "order event subscriber %s failed", name, extra={"order_id": event.order.order_id}
                    )


class Lifecycle:
    """The one place an order changes state because of money (paid, failed, refunded) or is reported
    fulfilled. Each ``mark_*`` works inside the caller's transaction (the order row locked by the caller)
    and returns the event to publish after the commit."""

    def __init__(self, clock: Clock, events: OrderEvents, *, promos: PromoService | None = None) -> None:
        self._clock = clock
        self.events = events
        self._promos = promos

    async def mark_paid(
        self,
        session: AsyncSession,
        order: Order,
        *,
        payment_id: str,
        saved_method_id: str | None = None,
    ) -> OrderPaid:
        """Pending (or expired/failed: a late payment) -> paid, keyed on ``payment_id``; a promo reserved
        for the order is consumed in the same transaction."""
        orders = OrderRepository(session)
        late = order.status != OrderStatus.PENDING
        if late:
            order.meta = {**order.meta, "late_payment": True}
        if not order.provider_payment_id:
            await orders.set_provider_payment(order, provider_payment_id=payment_id)
        if saved_method_id:
            order.meta = {**order.meta, "saved_method_id": saved_method_id}
        now = self._clock.now()
        await orders.set_status(order, OrderStatus.PAID, now=now)
        if self._promos is not None:
            await self._promos.consume(session, order, now)
        return OrderPaid(await facts(session, order), late=late)

    async def mark_failed(self, session: AsyncSession, order: Order) -> OrderFailed:
        await OrderRepository(session).set_status(order, OrderStatus.FAILED, now=self._clock.now())
        if self._promos is not None:
            await self._promos.release(session, order)
        return OrderFailed(await facts(session, order))

    async def mark_refunded(self, session: AsyncSession, order: Order) -> OrderRefunded:
        """Paid or fulfilled -> refunded. A paid order whose fulfilment already stored its target may be
        on the panel already (a call in flight): it counts as fulfilled, so its access is taken back."""
        was_fulfilled = order.status == OrderStatus.FULFILLED or "target_expires_at" in order.meta
        order.meta = {**order.meta, "revoke": was_fulfilled}
        await OrderRepository(session).set_status(order, OrderStatus.REFUNDED, now=self._clock.now())
        return OrderRefunded(await facts(session, order), was_fulfilled=was_fulfilled)

    async def fulfilled(
        self,
        session: AsyncSession,
        order: Order,
        *,
        expires_at: datetime | None = None,
        link: str | None = None,
        tariff_name: str | None = None,
    ) -> OrderFulfilled:
        """Paid -> fulfilled (called by the order kinds, with the order locked)."""
        await OrderRepository(session).set_status(order, OrderStatus.FULFILLED, now=self._clock.now())
        return OrderFulfilled(
            await facts(session, order), expires_at=expires_at, link=link, tariff_name=tariff_name
        )

    async def publish(self, *events: OrderEvent | None) -> None:
        await self.events.publish(*events)


async def facts(session: AsyncSession, order: Order) -> OrderFacts:
    customer = await session.get(Customer, order.customer_id)
    recipient = (
        Recipient(customer.telegram_id, customer.language) if customer is not None else Recipient(0, "en")
    )
    return OrderFacts(
        order_id=order.id,
        customer_id=order.customer_id,
        customer=recipient,
        kind=order.kind,
        provider=order.provider,
        amount=Money(order.amount_minor, order.currency),
        tariff_code=order.tariff_code,
        period_code=order.period_code,
        meta=dict(order.meta),
    )
