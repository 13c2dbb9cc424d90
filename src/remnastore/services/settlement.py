"""Settlement: turning provider events into order state, exactly once.

Every event is first stored under its unique key (provider, provider payment id, kind); a repeat finds the
key taken and changes nothing. The order row is then locked and moved forward by the state machine. Paying
is separate from fulfilling: a paid order is committed before the panel is touched, and fulfilment (with
its own retries) runs afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from remnastore.db.models import Order, OrderStatus
from remnastore.db.repositories.customers import CustomerRepository
from remnastore.db.repositories.orders import OrderRepository
from remnastore.db.session import Database
from remnastore.domain.catalogue import Catalogue
from remnastore.domain.money import Money
from remnastore.infra.clock import Clock
from remnastore.payments.base import EventKind, PaymentEvent
from remnastore.services.notifications import AdminNotifier, CustomerNotifier, Recipient
from remnastore.services.promos import PromoService

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
        customers: CustomerNotifier,
        admins: AdminNotifier,
        on_paid: Callable[[str], None],
        on_refunded: Callable[[str], None],
        product_lookups: dict[str, ProductLookup] | None = None,
        promos: PromoService | None = None,
        tax_receipts: OrderMoneyHook | None = None,
    ) -> None:
        """``promos``: consumes an order's promo reservation when it is paid, releases it when it fails.
        ``tax_receipts``: queues the receipt of a paid order and its cancellation after a refund."""
        self._db = db
        self._clock = clock
        self._catalogue = catalogue
        self._customers = customers
        self._admins = admins
        self._on_paid = on_paid
        self._on_refunded = on_refunded
        self._products = product_lookups or {}
        self._promos = promos
        self._tax_receipts = tax_receipts

    async def settle(self, event: PaymentEvent) -> Settled:
        """Apply one provider event; safe to call any number of times, concurrently, in any order."""
        async with self._db.session() as session:
            settled, notice = await self._settle(session, event)
        log.info(
            "payment event settled: %s",
            settled.outcome,
            extra={"order_id": settled.order_id, "provider": event.provider, "kind": str(event.kind)},
        )
        if notice is not None:
            await self._after_commit(settled, notice, event)
        return settled

    async def _settle(self, session: AsyncSession, event: PaymentEvent) -> tuple[Settled, Order | None]:
        orders = OrderRepository(session)
        order = await self._find_order(session, orders, event)
        if order is None:
            # Not recorded: should the order appear later (a customer registering after paying a product
            # link), a redelivery can still be settled.
            log.error("payment event for an unknown order", extra={"provider": event.provider})
            return Settled(Outcome.UNKNOWN_ORDER), None
        fresh = await orders.record_event(
            provider=event.provider,
            provider_payment_id=event.provider_payment_id,
            kind=event.kind.value,
            amount=event.amount or Money(order.amount_minor, order.currency),
            raw=dict(event.raw),
            order_id=order.id,
        )
        if not fresh:
            return Settled(Outcome.DUPLICATE, order.id), None
        locked = await orders.get_for_update(order.id)
        assert locked is not None
        order = locked
        now = self._clock.now()
        if order.provider != event.provider:
            return Settled(Outcome.MISMATCH, order.id), await self._mismatch(orders, order, event, "provider")
        if event.kind is EventKind.PAID:
            return await self._paid(orders, order, event, now)
        if event.kind in (EventKind.FAILED, EventKind.CANCELED):
            if order.status == OrderStatus.PENDING:
                await orders.set_status(order, OrderStatus.FAILED, now=now)
                if self._promos is not None:
                    await self._promos.release(session, order)
                return Settled(Outcome.FAILED, order.id), order
            return Settled(Outcome.IGNORED, order.id), None
        if event.kind in (EventKind.REFUNDED, EventKind.CHARGEBACK):
            if order.status in (OrderStatus.PAID, OrderStatus.FULFILLED):
                was_fulfilled = order.status == OrderStatus.FULFILLED
                order.meta = {**order.meta, "revoke": was_fulfilled}
                await orders.set_status(order, OrderStatus.REFUNDED, now=now)
                if self._tax_receipts is not None:
                    await self._tax_receipts.order_refunded(session, order, now)
                return Settled(Outcome.REFUNDED, order.id), order
            return Settled(Outcome.IGNORED, order.id), None
        return Settled(Outcome.IGNORED, order.id), None

    async def _paid(
        self, orders: OrderRepository, order: Order, event: PaymentEvent, now: object
    ) -> tuple[Settled, Order | None]:
        if event.amount is not None and (event.amount.minor, event.amount.currency) != (
            order.amount_minor,
            order.currency,
        ):
            return Settled(Outcome.MISMATCH, order.id), await self._mismatch(orders, order, event, "amount")
        if order.provider_payment_id and order.provider_payment_id != event.provider_payment_id:
            # A second, different payment for one order: keep the money trail, never credit twice.
            return Settled(Outcome.MISMATCH, order.id), await self._mismatch(
                orders, order, event, "second payment"
            )
        if order.status not in (OrderStatus.PENDING, OrderStatus.EXPIRED, OrderStatus.FAILED):
            return Settled(Outcome.IGNORED, order.id), None
        if order.status != OrderStatus.PENDING:
            order.meta = {**order.meta, "late_payment": True}
        if not order.provider_payment_id:
            await orders.set_provider_payment(order, provider_payment_id=event.provider_payment_id)
        if event.saved_method_id:
            order.meta = {**order.meta, "saved_method_id": event.saved_method_id}
        await orders.set_status(order, OrderStatus.PAID, now=self._clock.now())
        if self._tax_receipts is not None:
            await self._tax_receipts.order_paid(orders.session, order, self._clock.now())
        if self._promos is not None:
            await self._promos.consume(orders.session, order, self._clock.now())
        return Settled(Outcome.CREDITED, order.id), order

    async def _mismatch(self, orders: OrderRepository, order: Order, event: PaymentEvent, what: str) -> Order:
        await orders.record_event(
            provider=event.provider,
            provider_payment_id=event.provider_payment_id,
            kind="amount_mismatch",
            amount=event.amount or Money(order.amount_minor, order.currency),
            raw={"reason": what, "event": str(event.kind)},
            order_id=order.id,
        )
        order.meta = {**order.meta, "mismatch": what}
        log.error("payment does not match its order: %s", what, extra={"order_id": order.id})
        return order

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
        order = await orders.create(
            customer.id,
            kind="subscription",
            amount=event.amount,
            provider=event.provider,
            tariff_code=tariff.code,
            period_code=period.code,
            days=period.approx_days,
            meta={"product_ref": event.product_ref},
        )
        # Keyed on the provider's payment id: a concurrent duplicate hits the unique key and is retried.
        await orders.set_provider_payment(order, provider_payment_id=event.provider_payment_id)
        return order

    async def _after_commit(self, settled: Settled, order: Order, event: PaymentEvent) -> None:
        amount = Money(order.amount_minor, order.currency)
        recipient = await self._recipient(order.customer_id)
        try:
            if settled.outcome is Outcome.CREDITED:
                self._on_paid(order.id)
                addon = order.meta.get("addon")
                item = f"add-on {addon}" if addon else f"{order.tariff_code}/{order.period_code}"
                await self._admins.payment_received(
                    order_id=order.id,
                    customer_telegram_id=recipient.telegram_id if recipient else 0,
                    provider=order.provider,
                    amount=amount,
                    item=item,
                )
                if order.meta.get("late_payment"):
                    await self._admins.alert("alert-late-payment", order=order.id, provider=order.provider)
            elif settled.outcome is Outcome.MISMATCH:
                await self._admins.alert(
                    "alert-payment-mismatch",
                    order=order.id,
                    provider=event.provider,
                    reason=str(order.meta.get("mismatch", "")),
                )
            elif settled.outcome is Outcome.FAILED and recipient is not None and "renewal" not in order.meta:
                # (a failed auto-renewal charge is announced by auto-renewal, with its retry time)
                await self._customers.payment_failed(recipient, amount=amount)
            elif settled.outcome is Outcome.REFUNDED:
                if order.meta.get("revoke"):
                    self._on_refunded(order.id)
                if recipient is not None:
                    await self._customers.payment_refunded(recipient, amount=amount)
        except Exception:  # a notice must never undo or repeat a settlement
            log.exception("could not send a payment notice", extra={"order_id": order.id})

    async def _recipient(self, customer_id: int) -> Recipient | None:
        async with self._db.session() as session:
            customer = await CustomerRepository(session).get(customer_id)
            return Recipient(customer.telegram_id, customer.language) if customer else None
