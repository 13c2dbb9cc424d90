"""Settlement: turning provider events into order state, exactly once.

The order an event names is locked first; only an event that matches it (same provider, amount and
payment) is stored under its unique key (provider, provider payment id, kind), in the same transaction that
moves the order, so a repeat finds the key taken and changes nothing, and a notification that does not match
can never take the key of another order's genuine one. Paying is separate from fulfilling: a paid order is
committed before the panel is touched, and fulfilment (with its own retries) runs afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from remnastore.db.models import Order, OrderStatus
from remnastore.db.repositories.customers import CustomerRepository
from remnastore.db.repositories.orders import OrderRepository
from remnastore.db.session import Database
from remnastore.domain.catalogue import Catalogue
from remnastore.domain.money import Money
from remnastore.infra.clock import Clock
from remnastore.payments.base import EventKind, PaymentEvent
from remnastore.services.lifecycle import Lifecycle, OrderEvent
from remnastore.services.notifications import AdminNotifier

log = logging.getLogger(__name__)

ProductLookup = Callable[[str], tuple[str, str] | None]


class Outcome(StrEnum):
    CREDITED = "credited"  # the order became paid now
    DUPLICATE = "duplicate"  # this event was already settled
    FAILED = "failed"  # the payment failed or was cancelled
    REFUNDED = "refunded"
    MISMATCH = "mismatch"  # amount, currency or provider differ from the order: recorded, not credited
    UNKNOWN_ORDER = "unknown_order"
    IGNORED = "ignored"  # nothing to do (pending, or an event for an order already past that state)


class OrderMoneyHook(Protocol):
    """Work that must be recorded in the same transaction as an order's payment or refund (the tax
    receipt queue). Called once per order and state change, inside settlement's unit of work."""

    async def order_paid(self, session: AsyncSession, order: Order, now: datetime) -> None: ...

    async def order_refunded(self, session: AsyncSession, order: Order, now: datetime) -> None: ...


@dataclass(frozen=True)
class Settled:
    outcome: Outcome
    order_id: str | None = None


class Settlement:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        catalogue: Catalogue,
        *,
        lifecycle: Lifecycle,
        admins: AdminNotifier,
        product_lookups: dict[str, ProductLookup] | None = None,
        on_outcome: Callable[[str, str], None] | None = None,
        tax_receipts: OrderMoneyHook | None = None,
    ) -> None:
        """``lifecycle``: marks orders paid, failed or refunded and publishes the events;
        ``on_outcome(provider, outcome)``: called for every event settled (the metrics);
        ``tax_receipts``: queues the receipt of an order paid through a provider, and its cancellation
        after a refund, in the settling transaction (balance payments and gifts get none: the money came
        in through a provider once)."""
        self._db = db
        self._clock = clock
        self._catalogue = catalogue
        self._lifecycle = lifecycle
        self._admins = admins
        self._products = product_lookups or {}
        self._on_outcome = on_outcome
        self._tax_receipts = tax_receipts

    async def settle(self, event: PaymentEvent) -> Settled:
        """Apply one provider event; safe to call any number of times, concurrently, in any order."""
        try:
            async with self._db.session() as session:
                settled, change = await self._settle(session, event)
        except IntegrityError:
            # A concurrent duplicate created the same order first (providers that sell fixed products):
            # the unique key (provider, payment id) refused ours, so this event is the duplicate.
            log.info("payment event raced a duplicate", extra={"provider": event.provider})
            async with self._db.session() as session:
                settled, change = await self._settle(session, event)
        log.info(
            "payment event settled: %s",
            settled.outcome,
            extra={"order_id": settled.order_id, "provider": event.provider, "kind": str(event.kind)},
        )
        if self._on_outcome is not None:
            self._on_outcome(event.provider, settled.outcome.value)
        if isinstance(change, Order):
            await self._mismatch_alert(change, event)
        elif change is not None:
            await self._lifecycle.publish(change)
        return settled

    async def _settle(
        self, session: AsyncSession, event: PaymentEvent
    ) -> tuple[Settled, OrderEvent | Order | None]:
        """The outcome, and what to announce after the commit: a lifecycle event, or the order whose
        payment did not match it."""
        orders = OrderRepository(session)
        found = await self._find_order(session, orders, event)
        if found is None:
            # Not recorded: should the order appear later (a customer registering after paying a product
            # link), a redelivery can still be settled.
            log.error("payment event for an unknown order", extra={"provider": event.provider})
            return Settled(Outcome.UNKNOWN_ORDER), None
        order = await orders.get_for_update(found.id)
        assert order is not None
        # The event's key is recorded only once the event is known to belong to this order: a notification
        # that does not match (another provider, amount or payment) must not take a key that the genuine
        # notification of another order will carry.
        if order.provider != event.provider:
            return await self._mismatch(orders, order, event, "provider")
        if event.kind is EventKind.PAID:
            return await self._paid(orders, order, event)
        fresh = await self._record(orders, order, event, event.kind.value)
        if not fresh:
            return Settled(Outcome.DUPLICATE, order.id), None
        if event.kind in (EventKind.FAILED, EventKind.CANCELED):
            if order.status == OrderStatus.PENDING:
                return Settled(Outcome.FAILED, order.id), await self._lifecycle.mark_failed(session, order)
            return Settled(Outcome.IGNORED, order.id), None
        if event.kind in (EventKind.REFUNDED, EventKind.CHARGEBACK):
            if order.status in (OrderStatus.PAID, OrderStatus.FULFILLED):
                refunded = await self._lifecycle.mark_refunded(session, order)
                if self._tax_receipts is not None:
                    await self._tax_receipts.order_refunded(session, order, self._clock.now())
                return Settled(Outcome.REFUNDED, order.id), refunded
            return Settled(Outcome.IGNORED, order.id), None
        return Settled(Outcome.IGNORED, order.id), None

    @staticmethod
    async def _record(orders: OrderRepository, order: Order, event: PaymentEvent, kind: str) -> bool:
        return await orders.record_event(
            provider=event.provider,
            provider_payment_id=event.provider_payment_id,
            kind=kind,
            amount=event.amount or Money(order.amount_minor, order.currency),
            raw=dict(event.raw),
            order_id=order.id,
        )

    async def _paid(
        self, orders: OrderRepository, order: Order, event: PaymentEvent
    ) -> tuple[Settled, OrderEvent | Order | None]:
        if event.amount is not None and (event.amount.minor, event.amount.currency) != (
            order.amount_minor,
            order.currency,
        ):
            return await self._mismatch(orders, order, event, "amount")
        if order.provider_payment_id and order.provider_payment_id != event.provider_payment_id:
            # A second, different payment for one order: keep the money trail, never credit twice.
            return await self._mismatch(orders, order, event, "second payment")
        fresh = await self._record(orders, order, event, EventKind.PAID.value)
        payable = order.status in (OrderStatus.PENDING, OrderStatus.EXPIRED, OrderStatus.FAILED)
        if not fresh and not (payable and order.provider_payment_id == event.provider_payment_id):
            return Settled(Outcome.DUPLICATE, order.id), None
        if not payable:
            return Settled(Outcome.IGNORED, order.id), None
        if not fresh:
            # The key is on record but this order, which the provider confirms the payment belongs to, was
            # never credited (a key recorded by a notification that did not match): repair it now.
            log.warning(
                "crediting a payment whose key was recorded without effect", extra={"order_id": order.id}
            )
        paid = await self._lifecycle.mark_paid(
            orders.session,
            order,
            payment_id=event.provider_payment_id,
            saved_method_id=event.saved_method_id,
        )
        if self._tax_receipts is not None:
            await self._tax_receipts.order_paid(orders.session, order, self._clock.now())
        return Settled(Outcome.CREDITED, order.id), paid

    async def _mismatch(
        self, orders: OrderRepository, order: Order, event: PaymentEvent, what: str
    ) -> tuple[Settled, Order | None]:
        """Keep the trail of a payment that does not match its order, under a key of its own (the event's
        key stays free), and alert the admins once per mismatched payment."""
        fresh = await orders.record_event(
            provider=event.provider,
            provider_payment_id=event.provider_payment_id,
            kind="amount_mismatch",
            amount=event.amount or Money(order.amount_minor, order.currency),
            raw={"reason": what, "event": str(event.kind)},
            order_id=order.id,
        )
        if not fresh:
            return Settled(Outcome.DUPLICATE, order.id), None
        order.meta = {**order.meta, "mismatch": what}
        log.error("payment does not match its order: %s", what, extra={"order_id": order.id})
        return Settled(Outcome.MISMATCH, order.id), order

    async def _find_order(
        self, session: AsyncSession, orders: OrderRepository, event: PaymentEvent
    ) -> Order | None:
        if event.order_id:
            order = await orders.get(event.order_id)
            if order is not None:
                return order
        order = await orders.get_by_provider_payment(event.provider, event.provider_payment_id)
        if order is not None or event.product_ref is None or event.telegram_user_id is None:
            return order
        return await self._order_for_product(session, orders, event)

    async def _order_for_product(
        self, session: AsyncSession, orders: OrderRepository, event: PaymentEvent
    ) -> Order | None:
        """Providers that sell fixed products (no invoice of ours): the order is made from the event."""
        lookup = self._products.get(event.provider)
        item = lookup(event.product_ref or "") if lookup is not None else None
        found = self._catalogue.item(*item) if item is not None else None
        customer = await CustomerRepository(session).get_by_telegram_id(event.telegram_user_id or 0)
        if found is None or customer is None or event.amount is None or event.kind is not EventKind.PAID:
            return None
        tariff, period = found
        # The order is priced by the catalogue, never by the event: settlement then compares what was paid
        # with what the item costs (a payment in a currency the item has no price in cannot match).
        price = period.price(event.amount.currency) or next(iter(period.prices.values()), None)
        if price is None:
            return None
        order = await orders.create(
            customer.id,
            kind="subscription",
            amount=price,
            provider=event.provider,
            tariff_code=tariff.code,
            period_code=period.code,
            days=period.approx_days,
            meta={"product_ref": event.product_ref},
        )
        # Keyed on the provider's payment id: a concurrent duplicate hits the unique key and is retried.
        await orders.set_provider_payment(order, provider_payment_id=event.provider_payment_id)
        return order

    async def _mismatch_alert(self, order: Order, event: PaymentEvent) -> None:
        try:
            await self._admins.alert(
                "alert-payment-mismatch",
                order=order.id,
                provider=event.provider,
                reason=str(order.meta.get("mismatch", "")),
            )
        except Exception:  # a notice must never undo or repeat a settlement
            log.exception("could not send a payment notice", extra={"order_id": order.id})
