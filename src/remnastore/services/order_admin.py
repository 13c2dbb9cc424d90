"""Orders for the shop's admins: filtered lists, a CSV export, and Stars refunds."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from remnastore.db.models import Customer, Order, OrderStatus
from remnastore.db.repositories.audit import AuditRepository
from remnastore.db.repositories.orders import OrderRepository
from remnastore.db.session import Database
from remnastore.domain.errors import DomainError
from remnastore.domain.money import Money
from remnastore.payments.base import PaymentEvent, ProviderError
from remnastore.payments.stars import StarsProvider, event_from_payment

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

    @property
    def refundable(self) -> bool:
        return (
            self.provider == "stars"
            and self.status in ("paid", "fulfilled")
            and bool(self.provider_payment_id)
        )


class OrderAdmin:
    def __init__(
        self,
        db: Database,
        *,
        stars: StarsProvider | None,
        settle: Callable[[PaymentEvent], Awaitable[object]],
    ) -> None:
        self._db = db
        self._stars = stars
        self._settle = settle

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
            return _row(order, customer.telegram_id if customer else 0)

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
        """Refund a Stars payment to its payer and settle the refund (which takes the access back)."""
        row = await self.get(order_id)
        if not row.refundable or self._stars is None:
            raise DomainError("admin-refund-unsupported")
        try:
            await self._stars.refund_to(row.telegram_id, str(row.provider_payment_id))
        except ProviderError as exc:
            log.warning("refund failed: %s", exc, extra={"order_id": order_id})
            raise DomainError("admin-refund-failed") from exc
        await self._settle(
            event_from_payment(
                telegram_user_id=row.telegram_id,
                payload=row.id,
                charge_id=str(row.provider_payment_id),
                total_amount=row.amount.minor,
                currency=row.amount.currency,
                refunded=True,
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
            return [_row(o, telegram.get(o.customer_id, 0)) for o in orders]


def _row(order: Order, telegram_id: int) -> OrderRow:
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
    )
