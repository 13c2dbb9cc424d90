"""Orders and payment events: the money trail.

An order's status only moves forward (:data:`ALLOWED_TRANSITIONS`). Every change is a
compare-and-set ``UPDATE ... WHERE status = <the status we saw>``, so two processes that settle the
same order at once cannot both succeed, even without a row lock.

Row locks: :meth:`OrderRepository.get_for_update` uses ``SELECT ... FOR UPDATE`` on PostgreSQL. SQLite
has no row locks; its write lock covers the whole database for the rest of the transaction, so there
the method first takes that lock with a no-op ``UPDATE`` of the row and then reads it. Either way the
caller holds the order exclusively until its unit of work ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from remnastore.db.models import Order, OrderStatus, PaymentEvent, utcnow
from remnastore.db.session import dialect_insert, dialect_of
from remnastore.domain.money import Money

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.PAID, OrderStatus.EXPIRED, OrderStatus.FAILED}),
    OrderStatus.PAID: frozenset({OrderStatus.FULFILLED, OrderStatus.REFUNDED}),
    # Money that arrives after an order expired or failed is still money: the order becomes paid.
    OrderStatus.EXPIRED: frozenset({OrderStatus.PAID}),
    OrderStatus.FAILED: frozenset({OrderStatus.PAID}),
    OrderStatus.FULFILLED: frozenset({OrderStatus.REFUNDED}),
}


class InvalidTransition(Exception):
    """The order's state machine does not allow this move."""

    def __init__(self, order_id: str, current: str, new: str) -> None:
        self.order_id, self.current, self.new = order_id, current, new
        super().__init__(f"order {order_id}: {current} -> {new} is not allowed")


class ConcurrentStatusChange(InvalidTransition):
    """Someone else changed the order's status after we read it."""

    def __init__(self, order_id: str, current: str, new: str) -> None:
        super().__init__(order_id, current, new)
        self.args = (f"order {order_id}: status is no longer {current}; refusing {current} -> {new}",)


def can_transition(current: str, new: str) -> bool:
    return new in ALLOWED_TRANSITIONS.get(current, frozenset())


class OrderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(
        self,
        customer_id: int,
        *,
        kind: str,
        amount: Money,
        provider: str,
        discount: Money | None = None,
        tariff_code: str | None = None,
        period_code: str | None = None,
        days: int | None = None,
        promo_code_id: int | None = None,
        expires_at: datetime | None = None,
        meta: dict[str, Any] | None = None,
    ) -> Order:
        """A new ``pending`` order; its id and idempotency key are generated here, once."""
        if amount.minor < 0:
            raise ValueError("an order amount cannot be negative")
        if discount is not None and discount.currency != amount.currency:
            raise ValueError("discount and amount must be in the same currency")
        order = Order(
            customer_id=customer_id,
            kind=kind,
            amount_minor=amount.minor,
            currency=amount.currency,
            discount_minor=discount.minor if discount is not None else 0,
            provider=provider,
            tariff_code=tariff_code,
            period_code=period_code,
            days=days,
            promo_code_id=promo_code_id,
            expires_at=expires_at,
            meta=dict(meta or {}),
        )
        self.session.add(order)
        await self.session.flush()
        return order

    async def get(self, order_id: str) -> Order | None:
        return await self.session.get(Order, order_id)

    async def get_for_update(self, order_id: str) -> Order | None:
        """The order, locked until the end of the transaction, with fresh values (see module doc)."""
        query = select(Order).where(Order.id == order_id).execution_options(populate_existing=True)
        if dialect_of(self.session) == "postgresql":
            query = query.with_for_update()
        else:
            await self.session.execute(
                update(Order)
                .where(Order.id == order_id)
                .values(status=Order.status, updated_at=Order.updated_at)
                .execution_options(synchronize_session=False)
            )
        return (await self.session.execute(query)).scalars().first()

    async def get_by_provider_payment(self, provider: str, provider_payment_id: str) -> Order | None:
        query = select(Order).where(
            Order.provider == provider, Order.provider_payment_id == provider_payment_id
        )
        return (await self.session.execute(query)).scalars().first()

    async def set_provider_payment(
        self, order: Order, *, provider_payment_id: str, pay_url: str | None = None
    ) -> None:
        order.provider_payment_id = provider_payment_id
        if pay_url is not None:
            order.pay_url = pay_url
        await self.session.flush()

    async def set_status(self, order: Order, new_status: str, *, now: datetime) -> None:
        """Move the order forward; raises :class:`InvalidTransition` for any move the machine forbids
        and :class:`ConcurrentStatusChange` if the stored status is no longer ``order.status``."""
        current = order.status
        if not can_transition(current, new_status):
            raise InvalidTransition(order.id, current, new_status)
        values: dict[str, Any] = {"status": str(new_status), "updated_at": now}
        if new_status == OrderStatus.PAID:
            values["paid_at"] = now
        elif new_status == OrderStatus.FULFILLED:
            values["fulfilled_at"] = now
            values["next_attempt_at"] = None
            values["last_error"] = None
        statement = (
            update(Order)
            .where(Order.id == order.id, Order.status == current)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        result = cast(CursorResult[Any], await self.session.execute(statement))
        if result.rowcount != 1:
            raise ConcurrentStatusChange(order.id, current, new_status)
        for field, value in values.items():
            set_committed_value(order, field, value)

    async def record_fulfilment_failure(self, order: Order, *, error: str, next_attempt_at: datetime) -> None:
        """Count a failed fulfilment attempt and schedule the next one."""
        order.fulfilment_attempts = order.fulfilment_attempts + 1
        order.last_error = error[:2000]
        order.next_attempt_at = next_attempt_at
        await self.session.flush()

    async def record_event(
        self,
        *,
        provider: str,
        provider_payment_id: str,
        kind: str,
        amount: Money,
        raw: dict[str, Any],
        order_id: str | None = None,
    ) -> bool:
        """Store a provider notification once; ``False`` if this (provider, payment, kind) was seen."""
        statement = (
            dialect_insert(self.session, PaymentEvent)
            .values(
                provider=provider,
                provider_payment_id=provider_payment_id,
                kind=kind,
                order_id=order_id,
                amount_minor=amount.minor,
                currency=amount.currency,
                raw=raw,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing()
            .returning(PaymentEvent.id)
        )
        return (await self.session.execute(statement)).scalar_one_or_none() is not None

    async def events(self, provider: str, provider_payment_id: str) -> Sequence[PaymentEvent]:
        query = (
            select(PaymentEvent)
            .where(PaymentEvent.provider == provider, PaymentEvent.provider_payment_id == provider_payment_id)
            .order_by(PaymentEvent.id)
        )
        return (await self.session.execute(query)).scalars().all()

    async def due_for_fulfilment(self, now: datetime, limit: int = 100) -> Sequence[Order]:
        """Paid orders not yet fulfilled whose next attempt is due, oldest due first."""
        query = (
            select(Order)
            .where(
                Order.status == OrderStatus.PAID.value,
                or_(Order.next_attempt_at.is_(None), Order.next_attempt_at <= now),
            )
            .order_by(Order.next_attempt_at.asc().nulls_first(), Order.paid_at, Order.id)
            .limit(limit)
        )
        return (await self.session.execute(query)).scalars().all()

    async def list_expired_between(
        self, start: datetime, end: datetime, *, created_from: datetime, limit: int
    ) -> Sequence[Order]:
        """Expired orders whose expiry fell in ``[start, end)``, created after ``created_from``.

        ``created_from`` keeps the scan on ``ix_orders_status_created_at``'s recent part.
        """
        query = (
            select(Order)
            .where(
                Order.status == OrderStatus.EXPIRED.value,
                Order.created_at >= created_from,
                Order.expires_at >= start,
                Order.expires_at < end,
            )
            .order_by(Order.expires_at, Order.id)
            .limit(limit)
        )
        return (await self.session.execute(query)).scalars().all()

    async def list(
        self,
        *,
        customer_id: int | None = None,
        status: str | Sequence[str] | None = None,
        provider: str | None = None,
        kind: str | None = None,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Sequence[Order]:
        """Orders matching every given filter, newest first (``created_from <= created_at < created_to``)."""
        query = select(Order)
        if customer_id is not None:
            query = query.where(Order.customer_id == customer_id)
        if isinstance(status, str):
            query = query.where(Order.status == status)
        elif status is not None:
            query = query.where(Order.status.in_([str(s) for s in status]))
        if provider is not None:
            query = query.where(Order.provider == provider)
        if kind is not None:
            query = query.where(Order.kind == kind)
        if created_from is not None:
            query = query.where(Order.created_at >= created_from)
        if created_to is not None:
            query = query.where(Order.created_at < created_to)
        query = query.order_by(Order.created_at.desc(), Order.id).limit(limit).offset(offset)
        return (await self.session.execute(query)).scalars().all()
