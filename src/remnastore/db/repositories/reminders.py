"""Expiry reminders: which subscriptions are due one, and the record that makes each one happen once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from remnastore.db.models import Customer, ReminderSent, Subscription, SubscriptionPeriod
from remnastore.db.session import dialect_insert


@dataclass(frozen=True, slots=True)
class ReminderCandidate:
    """A customer's current subscription, as a reminder needs it."""

    subscription_id: int
    customer_id: int
    telegram_id: int
    language: str
    kind: str
    expires_at: datetime
    #: when time was last granted to the customer (start of the newest period), if known
    granted_at: datetime | None


class ReminderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _query(self, offset_hours: int) -> Any:
        """Reachable customers' subscriptions with no reminder yet at ``offset_hours`` or later for their
        current expiry (a later one supersedes an earlier one that was missed)."""
        granted = (
            select(func.max(SubscriptionPeriod.starts_at))
            .where(SubscriptionPeriod.customer_id == Subscription.customer_id)
            .correlate(Subscription)
            .scalar_subquery()
        )
        already = exists().where(
            ReminderSent.customer_id == Subscription.customer_id,
            ReminderSent.expires_at == Subscription.expires_at,
            ReminderSent.offset_hours >= offset_hours,
        )
        return (
            select(
                Subscription.id,
                Subscription.customer_id,
                Customer.telegram_id,
                Customer.language,
                Subscription.kind,
                Subscription.expires_at,
                granted.label("granted_at"),
            )
            .join(Customer, Customer.id == Subscription.customer_id)
            .where(Customer.blocked_bot_at.is_(None), Customer.is_banned.is_(False), ~already)
        )

    async def due(
        self,
        offset_hours: int,
        *,
        expiring_after: datetime,
        expiring_until: datetime,
        after: tuple[datetime, int] | None = None,
        limit: int = 200,
    ) -> list[ReminderCandidate]:
        """Candidates with ``expiring_after < expires_at <= expiring_until``, in (expires_at, id) order,
        strictly after the ``after`` cursor (keyset pagination)."""
        query = self._query(offset_hours).where(
            Subscription.expires_at > expiring_after, Subscription.expires_at <= expiring_until
        )
        if after is not None:
            moment, last_id = after
            query = query.where(
                (Subscription.expires_at > moment)
                | ((Subscription.expires_at == moment) & (Subscription.id > last_id))
            )
        query = query.order_by(Subscription.expires_at, Subscription.id).limit(limit)
        rows = (await self.session.execute(query)).all()
        return [ReminderCandidate(*row) for row in rows]

    async def candidate_for(self, telegram_id: int, offset_hours: int) -> ReminderCandidate | None:
        """The customer's subscription if a reminder at ``offset_hours`` could still be sent to them."""
        query = self._query(offset_hours).where(Customer.telegram_id == telegram_id)
        row = (await self.session.execute(query)).first()
        return ReminderCandidate(*row) if row is not None else None

    async def record(
        self, customer_id: int, expires_at: datetime, offset_hours: int, at: datetime
    ) -> int | None:
        """Claim this reminder; the row id, or None if it was already claimed (by anyone)."""
        statement = (
            dialect_insert(self.session, ReminderSent)
            .values(customer_id=customer_id, expires_at=expires_at, offset_hours=offset_hours, sent_at=at)
            .on_conflict_do_nothing()
            .returning(ReminderSent.id)
        )
        inserted: int | None = (await self.session.execute(statement)).scalar_one_or_none()
        return inserted

    async def release(self, reminder_id: int) -> None:
        """Give a claim back (the message could not be sent for a passing reason), so it is retried."""
        await self.session.execute(delete(ReminderSent).where(ReminderSent.id == reminder_id))

    async def sent(self, customer_id: int) -> list[ReminderSent]:
        query = (
            select(ReminderSent)
            .where(ReminderSent.customer_id == customer_id)
            .order_by(ReminderSent.expires_at, ReminderSent.offset_hours)
        )
        return list((await self.session.execute(query)).scalars().all())
