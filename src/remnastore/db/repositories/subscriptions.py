"""Subscriptions: the current access state of each customer and the history of granted periods."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from remnastore.db.models import Subscription, SubscriptionPeriod, utcnow
from remnastore.db.session import dialect_insert


class SubscriptionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_current(self, customer_id: int) -> Subscription | None:
        query = select(Subscription).where(Subscription.customer_id == customer_id)
        return (await self.session.execute(query)).scalars().first()

    async def set_current(
        self,
        customer_id: int,
        *,
        kind: str,
        tariff_code: str | None,
        expires_at: datetime,
        traffic_limit_bytes: int = 0,
        device_limit: int | None = None,
    ) -> Subscription:
        """Create or overwrite the customer's current subscription (one row per customer)."""
        now = utcnow()
        values = {
            "kind": kind,
            "tariff_code": tariff_code,
            "expires_at": expires_at,
            "traffic_limit_bytes": traffic_limit_bytes,
            "device_limit": device_limit,
            "updated_at": now,
        }
        insert = dialect_insert(self.session, Subscription).values(
            customer_id=customer_id, created_at=now, **values
        )
        statement = insert.on_conflict_do_update(index_elements=[Subscription.customer_id], set_=values)
        await self.session.execute(statement)
        query = (
            select(Subscription)
            .where(Subscription.customer_id == customer_id)
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(query)).scalars().one()

    async def add_period(
        self,
        customer_id: int,
        *,
        kind: str,
        days: int,
        starts_at: datetime,
        ends_at: datetime,
        order_id: str | None = None,
        tariff_code: str | None = None,
    ) -> SubscriptionPeriod:
        if ends_at < starts_at:
            raise ValueError("a period cannot end before it starts")
        period = SubscriptionPeriod(
            customer_id=customer_id,
            kind=kind,
            days=days,
            starts_at=starts_at,
            ends_at=ends_at,
            order_id=order_id,
            tariff_code=tariff_code,
        )
        self.session.add(period)
        await self.session.flush()
        return period

    async def periods(self, customer_id: int) -> Sequence[SubscriptionPeriod]:
        query = (
            select(SubscriptionPeriod)
            .where(SubscriptionPeriod.customer_id == customer_id)
            .order_by(SubscriptionPeriod.starts_at, SubscriptionPeriod.id)
        )
        return (await self.session.execute(query)).scalars().all()

    async def expiring_between(
        self, start: datetime, end: datetime, limit: int = 500
    ) -> Sequence[Subscription]:
        """Subscriptions with ``start <= expires_at < end``, soonest first."""
        query = (
            select(Subscription)
            .where(Subscription.expires_at >= start, Subscription.expires_at < end)
            .order_by(Subscription.expires_at, Subscription.id)
            .limit(limit)
        )
        return (await self.session.execute(query)).scalars().all()
