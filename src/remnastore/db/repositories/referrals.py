"""Referrals: who invited whom (first inviter wins, nobody invites themselves) and the rewards paid."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from remnastore.db.changes import REFERRERS_NOTED, note_referrer
from remnastore.db.models import BalanceEntry, Customer, Referral, ReferralReward, utcnow
from remnastore.db.session import dialect_insert, insert_ignoring_conflicts
from remnastore.domain.money import Money


class ReferralRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, referrer_id: int, invitee_id: int) -> bool:
        """Link ``invitee_id`` to ``referrer_id``; ``False`` for a self-referral, a direct cycle
        (the referrer was invited by the invitee) or an invitee who already has a referrer."""
        if referrer_id == invitee_id:
            return False
        reverse = select(Referral.id).where(
            Referral.referrer_id == invitee_id, Referral.invitee_id == referrer_id
        )
        if (await self.session.execute(reverse)).first() is not None:
            return False
        statement = (
            insert_ignoring_conflicts(self.session, Referral)
            .values(referrer_id=referrer_id, invitee_id=invitee_id, created_at=utcnow())
            .returning(Referral.id)
        )
        if (await self.session.execute(statement)).scalar_one_or_none() is None:
            return False
        note_referrer(self.session.sync_session, referrer_id)
        await self.session.execute(
            update(Customer)
            .where(Customer.id == invitee_id, Customer.referred_by_id.is_(None))
            .values(referred_by_id=referrer_id)
            .execution_options(synchronize_session="fetch")
        )
        return True

    async def get_by_invitee(self, invitee_id: int) -> Referral | None:
        query = select(Referral).where(Referral.invitee_id == invitee_id)
        return (await self.session.execute(query)).scalars().first()

    async def count_invited(self, referrer_id: int) -> int:
        query = select(func.count()).select_from(Referral).where(Referral.referrer_id == referrer_id)
        return int((await self.session.execute(query)).scalar_one())

    async def count_paying(self, referrer_id: int) -> int:
        """Invitees of ``referrer_id`` who have paid at least once."""
        query = (
            select(func.count())
            .select_from(Referral)
            .where(Referral.referrer_id == referrer_id, Referral.first_paid_order_id.is_not(None))
        )
        return int((await self.session.execute(query)).scalar_one())

    async def count_invited_and_paying(self, referrer_id: int) -> tuple[int, int]:
        """:meth:`count_invited` and :meth:`count_paying` in one statement."""
        query = select(func.count(), func.count(Referral.first_paid_order_id)).where(
            Referral.referrer_id == referrer_id
        )
        invited, paying = (await self.session.execute(query)).one()
        return int(invited), int(paying)

    async def mark_first_paid(self, referral: Referral, order_id: str) -> bool:
        """Remember the invitee's first paid order; ``False`` if one was already recorded."""
        statement = (
            update(Referral)
            .where(Referral.id == referral.id, Referral.first_paid_order_id.is_(None))
            .values(first_paid_order_id=order_id)
            .execution_options(synchronize_session="fetch", **{REFERRERS_NOTED: True})
        )
        result = cast(CursorResult[Any], await self.session.execute(statement))
        if result.rowcount == 1:
            note_referrer(self.session.sync_session, referral.referrer_id)
            return True
        return False

    async def add_reward(self, referral_id: int, order_id: str, *, kind: str, amount: int | Money) -> bool:
        """Record a reward once per (referral, order, kind); ``amount`` is days (int) or money."""
        minor, currency = (amount.minor, amount.currency) if isinstance(amount, Money) else (amount, None)
        statement = (
            dialect_insert(self.session, ReferralReward)
            .values(
                referral_id=referral_id,
                order_id=order_id,
                kind=kind,
                amount=minor,
                currency=currency,
                created_at=utcnow(),
                granted_at=utcnow(),
            )
            .on_conflict_do_nothing()
            .returning(ReferralReward.id)
        )
        return (await self.session.execute(statement)).scalar_one_or_none() is not None

    async def claim_pending(
        self, referral_id: int, order_id: str, *, kind: str, days: int, now: datetime, lease_until: datetime
    ) -> int | None:
        """Claim a reward of days, not yet given: its id, or None if it was claimed before. The caller
        gives it and calls :meth:`mark_granted`; until then :meth:`pending_due` offers it again after
        ``lease_until`` (so a panel failure only delays it)."""
        statement = (
            dialect_insert(self.session, ReferralReward)
            .values(
                referral_id=referral_id,
                order_id=order_id,
                kind=kind,
                amount=days,
                currency=None,
                created_at=now,
                attempts=1,
                next_attempt_at=lease_until,
            )
            .on_conflict_do_nothing()
            .returning(ReferralReward.id)
        )
        reward_id: int | None = (await self.session.execute(statement)).scalar_one_or_none()
        return reward_id

    async def reward(self, reward_id: int) -> ReferralReward | None:
        query = (
            select(ReferralReward)
            .where(ReferralReward.id == reward_id)
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(query)).scalars().first()

    async def pending_due(self, now: datetime, limit: int = 50) -> Sequence[ReferralReward]:
        """Rewards claimed but not given whose next attempt is due."""
        query = (
            select(ReferralReward)
            .where(ReferralReward.granted_at.is_(None), ReferralReward.next_attempt_at <= now)
            .order_by(ReferralReward.next_attempt_at, ReferralReward.id)
            .limit(limit)
        )
        return (await self.session.execute(query)).scalars().all()

    async def lease(self, reward: ReferralReward, *, until: datetime) -> bool:
        """Take the next attempt of a pending reward (compare-and-set on its attempt count)."""
        statement = (
            update(ReferralReward)
            .where(
                ReferralReward.id == reward.id,
                ReferralReward.granted_at.is_(None),
                ReferralReward.attempts == reward.attempts,
            )
            .values(attempts=reward.attempts + 1, next_attempt_at=until)
            .execution_options(synchronize_session=False)
        )
        result = cast(CursorResult[Any], await self.session.execute(statement))
        return result.rowcount == 1

    async def mark_granted(self, reward_id: int, *, now: datetime, kind: str | None = None) -> bool:
        """The reward was given (or, with another ``kind``, recorded as skipped); False if it already was."""
        values: dict[str, Any] = {"granted_at": now, "next_attempt_at": None}
        if kind is not None:
            values["kind"] = kind
        statement = (
            update(ReferralReward)
            .where(ReferralReward.id == reward_id, ReferralReward.granted_at.is_(None))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        result = cast(CursorResult[Any], await self.session.execute(statement))
        return result.rowcount == 1

    async def earned(self, referrer_id: int) -> list[Money]:
        """What referral commissions have credited to ``referrer_id``'s balance, per currency."""
        query = (
            select(BalanceEntry.currency, func.sum(BalanceEntry.delta_minor))
            .where(BalanceEntry.customer_id == referrer_id, BalanceEntry.reason == "referral")
            .group_by(BalanceEntry.currency)
            .order_by(BalanceEntry.currency)
        )
        rows = (await self.session.execute(query)).all()
        return [Money(int(total), currency) for currency, total in rows if total]
