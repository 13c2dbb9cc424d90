"""A refunded order takes back what its referral rewards gave, once: the commission credited to the
inviter's balance (as much as is left of it on the balance; an admin is alerted about the rest) and the
bonus days given to the inviter and the invitee (their panel expiry moves back by those days, never
below now). An ``OrderRefunded`` subscriber."""

from __future__ import annotations

import logging

from sqlalchemy import select

from remnastore.db.models import Referral, ReferralReward
from remnastore.db.repositories.customers import CustomerRepository
from remnastore.db.session import Database
from remnastore.domain.errors import ServiceUnavailable
from remnastore.domain.money import Money
from remnastore.infra.clock import Clock
from remnastore.panel.errors import PanelError
from remnastore.services.access_grant import AccessGrant
from remnastore.services.accounts import CustomerView
from remnastore.services.customer_lock import lock_customer
from remnastore.services.lifecycle import OrderRefunded
from remnastore.services.notifications import AdminNotifier

log = logging.getLogger(__name__)


class ReferralRefunds:
    def __init__(self, db: Database, access: AccessGrant, clock: Clock, admins: AdminNotifier) -> None:
        self._db = db
        self._access = access
        self._clock = clock
        self._admins = admins

    async def __call__(self, event: OrderRefunded) -> None:
        order_id = event.order.order_id
        async with self._db.session() as session:
            rows = await session.execute(
                select(ReferralReward, Referral)
                .join(Referral, Referral.id == ReferralReward.referral_id)
                .where(ReferralReward.order_id == order_id)
            )
            rewards = [
                (reward.id, reward.kind, reward.amount, reward.currency, referral)
                for reward, referral in rows
            ]
        for reward_id, kind, amount, currency, referral in rewards:
            if kind == "commission" and currency is not None:
                await self._commission(order_id, referral.referrer_id, Money(amount, currency))
            elif kind in ("inviter_days", "invitee_days"):
                customer_id = referral.referrer_id if kind == "inviter_days" else referral.invitee_id
                await self._days(order_id, reward_id, customer_id, amount)

    async def _commission(self, order_id: str, inviter_id: int, commission: Money) -> None:
        async with self._db.session() as session:
            inviter = await lock_customer(session, inviter_id, lock=True)
            take = min(max(inviter.balance_minor, 0), commission.minor)
            if take > 0:
                await CustomerRepository(session).change_balance(
                    inviter_id,
                    Money(-take, commission.currency),
                    reason="refund",
                    idempotency_key=f"referral-refund:{order_id}",
                    order_id=order_id,
                )
        log.info("referral commission of a refunded order taken back", extra={"order_id": order_id})
        if take < commission.minor:
            await self._admins.alert("alert-revoke-failed", order=order_id)

    async def _days(self, order_id: str, reward_id: int, customer_id: int, days: int) -> None:
        key = f"referral:{reward_id}"
        given = await self._access.planned(key)
        if given is None or given.applied_at is None:
            return  # never reached the panel (its retry stops: the order is refunded)
        async with self._db.session() as session:
            customer = CustomerView.of(await lock_customer(session, customer_id, lock=False))
        undo = f"referral-refund:{reward_id}"
        try:
            stored = await self._access.planned(undo)
            if stored is None:
                user = await self._access.current(customer)
                if user is None:
                    return
                now = self._clock.now()
                target = max(now, user.expire_at - (given.target_expires_at - given.starts_at))
                await self._access.reserve(
                    customer.id,
                    key=undo,
                    reason="refund",
                    days=0,
                    starts_at=now,
                    target=target,
                    order_id=order_id,
                )
            else:
                target = stored.target_expires_at
            await self._access.extend_to(customer, target, "refund", key=undo, exact=True, record=False)
        except (PanelError, ServiceUnavailable):
            log.exception("could not take back referral days", extra={"order_id": order_id})
            await self._admins.alert("alert-revoke-failed", order=order_id)
            return
        log.info("referral days of a refunded order taken back", extra={"order_id": order_id, "days": days})
