"""Auto-renewal standing orders: one row per customer, with the state of the current period's charges.

A charge attempt is claimed with a compare-and-set ``UPDATE`` on the state the caller saw (the expiry
being renewed and the attempt count), so two job runs that look at one customer at once cannot both
start a charge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from remnastore.db.models import AutoRenewal, Customer, Subscription, SubscriptionKind, utcnow
from remnastore.db.session import dialect_insert


@dataclass(frozen=True)
class RenewalCandidate:
    renewal_id: int
    customer_id: int
    telegram_id: int
    language: str
    subscription_id: int
    expires_at: datetime
    tariff_code: str | None


class AutoRenewalRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, customer_id: int) -> AutoRenewal | None:
        query = (
            select(AutoRenewal)
            .where(AutoRenewal.customer_id == customer_id)
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(query)).scalars().first()

    async def enable(
        self,
        customer_id: int,
        *,
        method: str,
        tariff_code: str,
        period_code: str,
        saved_method_id: str | None = None,
        saved_method_title: str | None = None,
    ) -> None:
        """Turn auto-renewal on with this method (a new card replaces a stored one)."""
        now = utcnow()
        values: dict[str, Any] = {
            "enabled": True,
            "method": method,
            "saved_method_id": saved_method_id,
            "saved_method_title": saved_method_title,
            "tariff_code": tariff_code,
            "period_code": period_code,
            "updated_at": now,
        }
        statement = (
            dialect_insert(self.session, AutoRenewal)
            .values(customer_id=customer_id, created_at=now, attempts=0, **values)
            .on_conflict_do_update(index_elements=[AutoRenewal.customer_id], set_=values)
        )
        await self.session.execute(statement)

    async def disable(self, customer_id: int) -> bool:
        """Turn auto-renewal off and forget the saved method; False if it was not on."""
        statement = (
            update(AutoRenewal)
            .where(AutoRenewal.customer_id == customer_id, AutoRenewal.enabled.is_(True))
            .values(enabled=False, saved_method_id=None, saved_method_title=None, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        result = cast(CursorResult[Any], await self.session.execute(statement))
        return result.rowcount == 1

    async def due(
        self, *, expiring_until: datetime, expiring_after: datetime, limit: int = 200
    ) -> Sequence[RenewalCandidate]:
        """Enabled renewals whose paid subscription expires in ``(expiring_after, expiring_until]``."""
        query = (
            select(
                AutoRenewal.id,
                AutoRenewal.customer_id,
                Customer.telegram_id,
                Customer.language,
                Subscription.id,
                Subscription.expires_at,
                Subscription.tariff_code,
            )
            .join(Subscription, Subscription.customer_id == AutoRenewal.customer_id)
            .join(Customer, Customer.id == AutoRenewal.customer_id)
            .where(
                AutoRenewal.enabled.is_(True),
                Customer.is_banned.is_(False),
                Subscription.kind == SubscriptionKind.PAID.value,
                Subscription.expires_at <= expiring_until,
                Subscription.expires_at > expiring_after,
            )
            .order_by(Subscription.expires_at, AutoRenewal.id)
            .limit(limit)
        )
        rows = (await self.session.execute(query)).all()
        return [RenewalCandidate(*row) for row in rows]

    async def claim_notice(self, renewal_id: int, expires_at: datetime) -> bool:
        """Record that the advance notice for ``expires_at`` goes out; False if it already did."""
        statement = (
            update(AutoRenewal)
            .where(
                AutoRenewal.id == renewal_id,
                AutoRenewal.noticed_expires_at.is_distinct_from(expires_at),
            )
            .values(noticed_expires_at=expires_at)
            .execution_options(synchronize_session=False)
        )
        result = cast(CursorResult[Any], await self.session.execute(statement))
        return result.rowcount == 1

    async def claim_attempt(
        self,
        row: AutoRenewal,
        *,
        expires_at: datetime,
        attempts: int,
        next_attempt_at: datetime,
        order_id: str | None,
    ) -> bool:
        """Move the row from the state in ``row`` (as read) to this attempt; False if somebody else did."""
        statement = (
            update(AutoRenewal)
            .where(
                AutoRenewal.id == row.id,
                AutoRenewal.enabled.is_(True),
                AutoRenewal.attempts == row.attempts,
                AutoRenewal.period_expires_at.is_not_distinct_from(row.period_expires_at),
                AutoRenewal.next_attempt_at.is_not_distinct_from(row.next_attempt_at),
            )
            .values(
                period_expires_at=expires_at,
                attempts=attempts,
                next_attempt_at=next_attempt_at,
                last_order_id=order_id,
                updated_at=utcnow(),
            )
            .execution_options(synchronize_session=False)
        )
        result = cast(CursorResult[Any], await self.session.execute(statement))
        return result.rowcount == 1

    async def reschedule(self, renewal_id: int, next_attempt_at: datetime | None) -> None:
        await self.session.execute(
            update(AutoRenewal)
            .where(AutoRenewal.id == renewal_id)
            .values(next_attempt_at=next_attempt_at, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
