"""Orders for the shop's admins: filtered lists, a CSV export, and refunds through every provider that
can refund (the Refunds capability)."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from remnastore.db.models import Customer, Order, OrderStatus
from remnastore.db.repositories.audit import AuditRepository
from remnastore.db.repositories.orders import OrderRepository
from remnastore.db.session import Database
from remnastore.domain.errors import DomainError
from remnastore.domain.money import Money
from remnastore.infra.clock import Clock
from remnastore.payments.base import EventKind, PaymentEvent, Provider, ProviderError
from remnastore.payments.capabilities import RefundRequest, Refunds

log = logging.getLogger(__name__)
STATUSES = ("all", *(s.value for s in OrderStatus))
PAGE_SIZE = 10


@dataclass(frozen=True)
class OrderRow:
    id: str
    created_at: datetime
    status: str
    provider: str
    amount: Money
    telegram_id: int
    tariff_code: str | None
    period_code: str | None
    provider_payment_id: str | None
    paid_at: datetime | None
    fulfilled_at: datetime | None
    last_error: str | None
    kind: str
    #: the provider can return this payment (paid or fulfilled, with a payment at a provider that refunds)
    refundable: bool = False


class OrderAdmin:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        providers: Mapping[str, Provider],
        settle: Callable[[PaymentEvent], Awaitable[object]],
    ) -> None:
        self._db = db
        self._clock = clock
        self._providers = providers
        self._settle = settle

    def _refunds(self, order: Order) -> bool:
        return (
            order.status in (OrderStatus.PAID, OrderStatus.FULFILLED)
            and bool(order.provider_payment_id)
            and isinstance(self._providers.get(order.provider), Refunds)
        )

    async def page(self, status: str, page: int) -> tuple[list[OrderRow], bool]:
        """One page of orders (newest first) and whether there is a next page."""
        rows = await self._rows(status, limit=PAGE_SIZE + 1, offset=page * PAGE_SIZE)
        return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE

    async def get(self, order_id: str) -> OrderRow:
        async with self._db.session() as session:
            order = await OrderRepository(session).get(order_id)
            if order is None:
                raise DomainError("admin-order-not-found")
            customer = await session.get(Customer, order.customer_id)
            return _row(order, customer.telegram_id if customer else 0, self._refunds(order))

    async def csv(self, status: str) -> bytes:
        rows = await self._rows(status, limit=100_000, offset=0)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(
            [
                "order",
                "created_at",
                "status",
                "kind",
                "provider",
                "amount",
                "currency",
                "telegram_id",
                "tariff",
                "period",
                "provider_payment_id",
                "paid_at",
                "fulfilled_at",
            ]
        )
        for r in rows:
            writer.writerow(
                [
                    r.id,
                    r.created_at.isoformat(),
                    r.status,
                    r.kind,
                    r.provider,
                    str(r.amount.to_decimal()),
                    r.amount.currency,
                    r.telegram_id,
                    r.tariff_code or "",
                    r.period_code or "",
                    r.provider_payment_id or "",
                    r.paid_at.isoformat() if r.paid_at else "",
                    r.fulfilled_at.isoformat() if r.fulfilled_at else "",
                ]
            )
        return buffer.getvalue().encode("utf-8-sig")

    async def refund(self, order_id: str, *, actor_telegram_id: int) -> OrderRow:
        """Return the payment through its provider, then settle the refund like the provider's own
        notification would (which takes back what the order gave, once). Refused with a reason when the
        order is not paid, already refunded, or its provider cannot refund."""
        row = await self.get(order_id)
        if row.status not in (OrderStatus.PAID, OrderStatus.FULFILLED) or not row.provider_payment_id:
            raise DomainError("admin-refund-not-refundable")
        provider = self._providers.get(row.provider)
        if provider is None:
            raise DomainError("admin-refund-provider-off")
        if not isinstance(provider, Refunds):
            raise DomainError("admin-refund-provider-cannot", provider=row.provider)
        try:
            await provider.refund_order(
                RefundRequest(
                    order_id=row.id,
                    provider_payment_id=row.provider_payment_id,
                    amount=row.amount,
                    payer_telegram_id=row.telegram_id,
                    idempotency_key=f"refund-{row.id}",
                )
            )
        except ProviderError as exc:
            log.warning("refund failed: %s", exc, extra={"order_id": order_id})
            raise DomainError("admin-refund-failed") from exc
        # keyed like the provider's own refund notification: whichever comes second changes nothing
        await self._settle(
            PaymentEvent(
                provider=row.provider,
                provider_payment_id=row.provider_payment_id,
                kind=EventKind.REFUNDED,
                order_id=row.id,
                amount=row.amount,
                occurred_at=self._clock.now(),
                telegram_user_id=row.telegram_id,
                raw={"refunded_by": "admin"},
            )
        )
        async with self._db.session() as session:
            order = await OrderRepository(session).get(order_id)
            await AuditRepository(session).record(
                actor_telegram_id,
                "order.refund",
                target_customer_id=order.customer_id if order else None,
                details={"order": order_id, "amount": row.amount.minor, "currency": row.amount.currency},
            )
        log.info("order refunded by an admin", extra={"order_id": order_id})
        return await self.get(order_id)

    async def _rows(self, status: str, *, limit: int, offset: int) -> list[OrderRow]:
        if status not in STATUSES:
            raise DomainError("admin-order-not-found")
        async with self._db.session() as session:
            orders = await OrderRepository(session).list(
                status=None if status == "all" else status, limit=limit, offset=offset
            )
            ids = {o.customer_id for o in orders}
            telegram: dict[int, int] = {}
            if ids:
                result = await session.execute(
                    select(Customer.id, Customer.telegram_id).where(Customer.id.in_(ids))
                )
                telegram = {customer_id: telegram_id for customer_id, telegram_id in result.all()}
            return [_row(o, telegram.get(o.customer_id, 0), self._refunds(o)) for o in orders]


def _row(order: Order, telegram_id: int, refundable: bool = False) -> OrderRow:
    return OrderRow(
        id=order.id,
        created_at=order.created_at,
        status=order.status,
        provider=order.provider,
        amount=Money(order.amount_minor, order.currency),
        telegram_id=telegram_id,
        tariff_code=order.tariff_code,
        period_code=order.period_code,
        provider_payment_id=order.provider_payment_id,
        paid_at=order.paid_at,
        fulfilled_at=order.fulfilled_at,
        last_error=order.last_error,
        kind=order.kind,
        refundable=refundable,
    )
