"""Aggregate queries for the admin statistics: one pass per table, no per-row work in Python.

Each query is a single ``SELECT`` with ``COUNT(*) FILTER (WHERE ...)`` / ``SUM(...) FILTER`` columns
(PostgreSQL and SQLite 3.30+), so the cost stays one scan of an indexed table at a million customers.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from remnastore.db.models import Customer, Order, OrderKind, OrderStatus, Subscription, SubscriptionKind

PAID_STATUSES = (OrderStatus.PAID.value, OrderStatus.FULFILLED.value)


@dataclass(frozen=True)
class CustomerCounts:
    total: int
    new_day: int
    new_week: int
    new_month: int
    banned: int
    trials_taken: int
    active_paid: int
    active_trials: int
    converted: int


@dataclass(frozen=True)
class RevenueTotals:
    """Minor units of one (provider, currency) pair since each start: today, 7 days, 30 days, ever."""

    provider: str
    currency: str
    today: int
    week: int
    month: int
    total: int


@dataclass(frozen=True)
class Windows:
    """Where each period starts."""

    now: datetime
    day: datetime
    week: datetime
    month: datetime
    today: datetime


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count().filter(condition)


def _sum(
    column: InstrumentedAttribute[int] | ColumnElement[int], condition: ColumnElement[bool]
) -> ColumnElement[int]:
    return func.coalesce(func.sum(column).filter(condition), 0)


class StatisticsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def customer_counts(self, windows: Windows) -> CustomerCounts:
        people = (
            await self.session.execute(
                select(
                    func.count(),
                    _count(Customer.created_at >= windows.day),
                    _count(Customer.created_at >= windows.week),
                    _count(Customer.created_at >= windows.month),
                    _count(Customer.is_banned.is_(True)),
                    _count(Customer.trial_used_at.is_not(None)),
                ).select_from(Customer)
            )
        ).one()
        # Active: not expired, and not disabled/limited/expired/deleted in the panel (None: not told yet).
        panel_active = Subscription.panel_status.is_(None) | (Subscription.panel_status == "ACTIVE")
        active = (Subscription.expires_at > windows.now) & panel_active
        access = (
            await self.session.execute(
                select(
                    _count(active & (Subscription.kind == SubscriptionKind.PAID.value)),
                    _count(active & (Subscription.kind == SubscriptionKind.TRIAL.value)),
                ).select_from(Subscription)
            )
        ).one()
        converted = (
            await self.session.execute(
                select(func.count(distinct(Order.customer_id)))
                .select_from(Order)
                .join(Customer, Customer.id == Order.customer_id)
                .where(
                    Customer.trial_used_at.is_not(None),
                    Order.status.in_(PAID_STATUSES),
                    Order.kind == OrderKind.SUBSCRIPTION.value,
                )
            )
        ).scalar_one()
        return CustomerCounts(
            total=int(people[0]),
            new_day=int(people[1]),
            new_week=int(people[2]),
            new_month=int(people[3]),
            banned=int(people[4]),
            trials_taken=int(people[5]),
            active_paid=int(access[0]),
            active_trials=int(access[1]),
            converted=int(converted),
        )

    async def revenue(
        self, windows: Windows, *, exclude_providers: Collection[str] = ()
    ) -> list[RevenueTotals]:
        """Money received per provider and currency (paid, not refunded), largest all-time first."""
        paid_at = Order.paid_at
        query = (
            select(
                Order.provider,
                Order.currency,
                _sum(Order.amount_minor, paid_at >= windows.today),
                _sum(Order.amount_minor, paid_at >= windows.week),
                _sum(Order.amount_minor, paid_at >= windows.month),
                func.sum(Order.amount_minor),
            )
            .where(Order.status.in_(PAID_STATUSES))
            .group_by(Order.provider, Order.currency)
            .order_by(Order.provider, Order.currency)
        )
        if exclude_providers:
            query = query.where(Order.provider.not_in(list(exclude_providers)))
        rows = (await self.session.execute(query)).all()
        return [
            RevenueTotals(
                provider=str(provider),
                currency=str(currency),
                today=int(today),
                week=int(week),
                month=int(month),
                total=int(total),
            )
            for provider, currency, today, week, month, total in rows
        ]

    async def top_tariffs(self, limit: int = 5) -> list[tuple[str, int]]:
        """The most sold tariffs by paid subscription orders (not refunded)."""
        sold = func.count().label("sold")
        query = (
            select(Order.tariff_code, sold)
            .where(
                Order.status.in_(PAID_STATUSES),
                Order.kind == OrderKind.SUBSCRIPTION.value,
                Order.tariff_code.is_not(None),
            )
            .group_by(Order.tariff_code)
            .order_by(sold.desc(), Order.tariff_code)
            .limit(limit)
        )
        return [(str(code), int(count)) for code, count in (await self.session.execute(query)).all()]
