"""Referral rewards: bonus days to both sides and a commission to the inviter, once per paid order.

Called after a subscription order is fulfilled. Each reward is claimed in ``referral_rewards`` (unique per
referral, order and kind) before it is given, so settling or fulfilling an order again gives nothing more.
Days are claimed as pending and marked given after the panel took them; a panel failure leaves them
pending, and the ``referral-rewards`` job gives them later (with back-off).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

from remnastore.config.referrals import ReferralSettings
from remnastore.db.models import OrderStatus, Referral
from remnastore.db.repositories.customers import CustomerRepository
from remnastore.db.repositories.orders import OrderRepository
from remnastore.db.repositories.referrals import ReferralRepository
from remnastore.db.session import Database
from remnastore.domain.catalogue import ADDON_KINDS
from remnastore.domain.errors import ServiceUnavailable
from remnastore.domain.money import Money
from remnastore.domain.referrals import ReferralStats
from remnastore.infra.clock import Clock
from remnastore.panel.errors import PanelError
from remnastore.services.access_grant import AccessGrant
from remnastore.services.accounts import CustomerView
from remnastore.services.customer_cache import CustomerCache
from remnastore.services.fulfilment import ALERT_AFTER_ATTEMPTS, backoff
from remnastore.services.gifts import GIFT_PROVIDER
from remnastore.services.notifications import Recipient

log = logging.getLogger(__name__)


class ReferralNotifier(Protocol):
    async def referral_days(self, to: Recipient, *, days: int, expires_at: datetime, inviter: bool) -> None:
        """Bonus days were added: ``inviter`` True for the one who invited, False for the invitee."""
        ...

    async def referral_commission(self, to: Recipient, *, amount: Money) -> None: ...


class ReferralRewards:
    def __init__(
        self,
        db: Database,
        grant: AccessGrant,
        clock: Clock,
        settings: ReferralSettings,
        *,
        notifier: ReferralNotifier,
        balance_currency: str | None,
        cache: CustomerCache | None = None,
    ) -> None:
        """``balance_currency``: None when balances are off (then no commission is paid); ``cache``
        keeps each customer's numbers between views (dropped by the writes that change them)."""
        self._db = db
        self._grant_access = grant
        self._clock = clock
        self.settings = settings
        self._notifier = notifier
        self._balance_currency = balance_currency
        self._cache = cache

    @property
    def commission_offered(self) -> bool:
        return self.settings.commission_percent > 0 and self._balance_currency is not None

    async def stats(self, customer_id: int) -> ReferralStats:
        if self._cache is not None:
            kept = await self._cache.referral_numbers(customer_id)
            if kept is not None:
                return kept
        async with self._db.session() as session:
            referrals = ReferralRepository(session)
            invited, paying = await referrals.count_invited_and_paying(customer_id)
            stats = ReferralStats(invited=invited, paying=paying, earned=await referrals.earned(customer_id))
        if self._cache is not None:
            await self._cache.keep_referral_numbers(customer_id, stats)
        return stats

    async def reward(self, order_id: str) -> None:
        """Give the rewards of one fulfilled subscription order (each at most once)."""
        if not self.settings.enabled:
            return
        async with self._db.session() as session:
            order = await OrderRepository(session).get(order_id)
            if (
                order is None
                or order.status != OrderStatus.FULFILLED
                or order.kind == "topup"
                or order.kind in ADDON_KINDS
                or order.provider == GIFT_PROVIDER  # a gift's activation: its buyer paid, not the invitee
            ):
                return
            referrals = ReferralRepository(session)
            referral = await referrals.get_by_invitee(order.customer_id)
            if referral is None:
                return
            previous = referral.first_paid_order_id
            first = await referrals.mark_first_paid(referral, order_id) or previous == order_id
            if not (first or self.settings.every_payment):
                return
            referral_id, inviter_id, invitee_id = referral.id, referral.referrer_id, referral.invitee_id
            period = order.period_code
            amount = Money(order.amount_minor, order.currency)
        invitee_days = self.settings.invitee_days_for(period)
        inviter_days = self.settings.inviter_days_for(period)
        if invitee_days > 0:
            await self._days(referral_id, order_id, invitee_id, invitee_days, inviter=False)
        if inviter_days > 0:
            await self._days(referral_id, order_id, inviter_id, inviter_days, inviter=True)
        await self._commission(referral_id, order_id, inviter_id, amount)

    async def _customer(self, customer_id: int) -> CustomerView | None:
        async with self._db.session() as session:
            row = await CustomerRepository(session).get(customer_id)
            return CustomerView.of(row) if row is not None else None

    async def _days(
        self, referral_id: int, order_id: str, customer_id: int, days: int, *, inviter: bool
    ) -> None:
        """Claim the reward (pending) first, then give it; a failure leaves it pending for
        :meth:`grant_pending`, so a panel outage delays a reward but never loses it."""
        now = self._clock.now()
        async with self._db.session() as session:
            reward_id = await ReferralRepository(session).claim_pending(
                referral_id,
                order_id,
                kind="inviter_days" if inviter else "invitee_days",
                days=days,
                now=now,
                lease_until=now + backoff(1),
            )
        if reward_id is not None:
            await self._grant(reward_id)

    async def grant_pending(self, limit: int = 50) -> int:
        """Give the rewards whose earlier attempt failed (scheduler job); the number given now."""
        now = self._clock.now()
        async with self._db.session() as session:
            due = list(await ReferralRepository(session).pending_due(now, limit))
        given = 0
        for reward in due:
            async with self._db.session() as session:
                leased = await ReferralRepository(session).lease(
                    reward, until=now + backoff(reward.attempts + 1)
                )
            if leased and await self._grant(reward.id):
                given += 1
        return given

    async def _grant(self, reward_id: int) -> bool:
        """Give one claimed reward of days; True when it is done (given or skipped for good)."""
        async with self._db.session() as session:
            reward = await ReferralRepository(session).reward(reward_id)
            referral = await session.get(Referral, reward.referral_id) if reward is not None else None
            if reward is None or referral is None or reward.granted_at is not None:
                return reward is not None and reward.granted_at is not None
            inviter = reward.kind == "inviter_days"
            customer_id = referral.referrer_id if inviter else referral.invitee_id
            order_id, days, attempts = reward.order_id, reward.amount, reward.attempts
        customer = await self._customer(customer_id)
        if customer is None:
            return await self._settle_reward(reward_id, skipped=inviter)
        key = f"referral:{reward_id}"
        try:
            target = await self._grant_access.plan_days(
                customer, days, "referral", key=key, order_id=order_id
            )
            granted = await self._grant_access.extend_to(customer, target, "referral", key=key)
        except (PanelError, ServiceUnavailable):
            # the target is stored: the retry sets the same expiry, never adds the days again
            log.warning("could not give referral days; retried later", extra={"order_id": order_id})
            if attempts + 1 == ALERT_AFTER_ATTEMPTS:
                log.error("referral days still not given", extra={"order_id": order_id, "attempts": attempts})
            return False
        if granted is None:  # recorded all the same, so that it is not tried again
            log.info("referral days skipped: no panel user", extra={"customer_id": customer_id})
            return await self._settle_reward(reward_id, skipped=inviter)
        async with self._db.session() as session:
            if not await ReferralRepository(session).mark_granted(reward_id, now=self._clock.now()):
                return True
        log.info("referral days given", extra={"customer_id": customer_id, "order_id": order_id})
        try:
            await self._notifier.referral_days(
                Recipient(customer.telegram_id, customer.language),
                days=days,
                expires_at=granted.expires_at,
                inviter=inviter,
            )
        except Exception:
            log.exception("could not tell about referral days", extra={"order_id": order_id})
        return True

    async def _settle_reward(self, reward_id: int, *, skipped: bool) -> bool:
        kind = "days_skipped" if skipped else "invitee_days_skipped"
        async with self._db.session() as session:
            await ReferralRepository(session).mark_granted(reward_id, now=self._clock.now(), kind=kind)
        return True

    async def _commission(self, referral_id: int, order_id: str, inviter_id: int, paid: Money) -> None:
        percent = self.settings.commission_percent
        if percent <= 0 or self._balance_currency is None or paid.currency != self._balance_currency:
            return
        commission = Money(paid.minor * percent // 100, paid.currency)
        if commission.minor <= 0:
            return
        async with self._db.session() as session:
            referrals = ReferralRepository(session)
            if not await referrals.add_reward(referral_id, order_id, kind="commission", amount=commission):
                return
            customers = CustomerRepository(session)
            await customers.change_balance(
                inviter_id,
                commission,
                reason="referral",
                idempotency_key=f"referral:{order_id}",
                order_id=order_id,
            )
            inviter = await customers.get(inviter_id)
            recipient = Recipient(inviter.telegram_id, inviter.language) if inviter is not None else None
        if recipient is not None:
            try:
                await self._notifier.referral_commission(recipient, amount=commission)
            except Exception:
                log.exception("could not tell about a referral commission", extra={"order_id": order_id})
