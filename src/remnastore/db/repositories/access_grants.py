"""Access grants: days given on the panel, one row per key (see :class:`AccessGrant`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from remnastore.db.models import AccessGrant, utcnow
from remnastore.db.session import dialect_insert


class AccessGrantRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, key: str) -> AccessGrant | None:
        return (
            await self.session.execute(select(AccessGrant).where(AccessGrant.key == key))
        ).scalar_one_or_none()

    async def reserve(
        self,
        key: str,
        *,
        customer_id: int,
        reason: str,
        days: int,
        starts_at: datetime,
        target: datetime,
        order_id: str | None = None,
    ) -> AccessGrant:
        """Store the grant ``key`` with its target unless it exists; the stored row either way (the first
        writer's target wins, whatever the race)."""
        statement = (
            dialect_insert(self.session, AccessGrant)
            .values(
                key=key,
                customer_id=customer_id,
                reason=reason,
                days=days,
                starts_at=starts_at,
                target_expires_at=target,
                order_id=order_id,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing()
        )
        await self.session.execute(statement)
        stored = await self.get(key)
        assert stored is not None
        return stored

    async def mark_applied(self, key: str, now: datetime) -> bool:
        """True only for the first caller: the period is recorded once."""
        statement = (
            update(AccessGrant)
            .where(AccessGrant.key == key, AccessGrant.applied_at.is_(None))
            .values(applied_at=now)
            .execution_options(synchronize_session=False)
        )
        result = cast(CursorResult[Any], await self.session.execute(statement))
        return result.rowcount == 1
