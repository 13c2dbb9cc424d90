"""Gifts: issued once per paid gift order, claimed once by whoever opens the link first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from remnastore.db.models import Gift, utcnow
from remnastore.db.session import dialect_insert


class GiftRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def issue(
        self, *, token: str, order_id: str, buyer_id: int, tariff_code: str, period_code: str
    ) -> Gift:
        """The gift of ``order_id``: created now, or the one created before (one gift per order)."""
        statement = (
            dialect_insert(self.session, Gift)
            .values(
                token=token,
                order_id=order_id,
                buyer_id=buyer_id,
                tariff_code=tariff_code,
                period_code=period_code,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=[Gift.order_id])
        )
        await self.session.execute(statement)
        gift = await self.by_order(order_id)
        assert gift is not None
        return gift

    async def by_token(self, token: str) -> Gift | None:
        query = select(Gift).where(Gift.token == token).execution_options(populate_existing=True)
        return (await self.session.execute(query)).scalars().first()

    async def by_order(self, order_id: str) -> Gift | None:
        query = select(Gift).where(Gift.order_id == order_id).execution_options(populate_existing=True)
        return (await self.session.execute(query)).scalars().first()

    async def void(self, gift_id: int, *, now: datetime) -> bool:
        """Void an unused gift (its order was refunded); False if it was activated (or voided) before."""
        statement = (
            update(Gift)
            .where(Gift.id == gift_id, Gift.activated_at.is_(None), Gift.voided_at.is_(None))
            .values(voided_at=now)
            .execution_options(synchronize_session=False)
        )
        result = cast(CursorResult[Any], await self.session.execute(statement))
        return result.rowcount == 1

    async def by_recipient_order(self, order_id: str) -> Gift | None:
        query = select(Gift).where(Gift.recipient_order_id == order_id)
        return (await self.session.execute(query)).scalars().first()

    async def of_buyer(self, buyer_id: int, limit: int = 20) -> Sequence[Gift]:
        query = select(Gift).where(Gift.buyer_id == buyer_id).order_by(Gift.id.desc()).limit(limit)
        return (await self.session.execute(query)).scalars().all()

    async def claim(self, gift_id: int, *, recipient_id: int, order_id: str, now: datetime) -> bool:
        """Mark the gift activated by ``recipient_id``; False if it was activated before."""
        statement = (
            update(Gift)
            .where(Gift.id == gift_id, Gift.activated_at.is_(None), Gift.voided_at.is_(None))
            .values(recipient_id=recipient_id, recipient_order_id=order_id, activated_at=now)
            .execution_options(synchronize_session=False)
        )
        result = cast(CursorResult[Any], await self.session.execute(statement))
        return result.rowcount == 1
