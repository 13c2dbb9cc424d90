"""The one way days reach the panel: purchases, trials, promo days, referral days, admin extensions.

1. Plan: the target expiry of grant ``key`` is computed once (from the latest of now and the panel's
   expiry, plus the days) and stored in ``access_grants`` before the panel is touched.
2. Apply (:meth:`AccessGrant.extend_to`): the panel user's expiry is set to the stored target, only ever
   forward; setting an absolute value is idempotent, so a retry after a timeout that the panel did apply
   cannot add the days twice.
3. Record: the period is recorded once (the first caller to mark the grant applied) and the shop's record
   of the subscription follows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from remnastore.db.models import AccessGrant as GrantRow
from remnastore.db.repositories.access_grants import AccessGrantRepository
from remnastore.db.repositories.subscriptions import SubscriptionRepository
from remnastore.db.session import Database
from remnastore.domain.errors import ServiceUnavailable
from remnastore.infra.clock import Clock
from remnastore.panel.errors import PanelError, PanelUnavailable
from remnastore.panel.models import CreateUserRequest, PanelUser, UpdateUserRequest
from remnastore.panel.protocol import PanelApi
from remnastore.services.accounts import CustomerView
from remnastore.services.panel_accounts import create_panel_user
from remnastore.services.panel_link import PanelLink

log = logging.getLogger(__name__)
#: an expiry this close to the target counts as the target (the panel stores milliseconds)
SLACK = timedelta(seconds=1)


@dataclass(frozen=True)
class Granted:
    user: PanelUser
    expires_at: datetime
    #: the period was recorded by this call (False: a repeat of a grant already applied)
    first: bool


class AccessGrant:
    def __init__(self, db: Database, panel: PanelApi, link: PanelLink, clock: Clock) -> None:
        self._db = db
        self._panel = panel
        self._link = link
        self._clock = clock

    async def planned(self, key: str) -> GrantRow | None:
        async with self._db.session() as session:
            return await AccessGrantRepository(session).get(key)

    async def current(self, customer: CustomerView) -> PanelUser | None:
        """The customer's panel user as it is now."""
        return await self._link.find(customer)

    async def plan_days(
        self, customer: CustomerView, days: int, reason: str, *, key: str, order_id: str | None = None
    ) -> datetime:
        """The target of adding ``days`` (stored on the first call; read back on every later one)."""
        stored = await self.planned(key)
        if stored is not None:
            return stored.target_expires_at
        user = await self._link.find(customer)
        now = self._clock.now()
        start = max(now, user.expire_at) if user is not None else now
        return await self.reserve(
            customer.id,
            key=key,
            reason=reason,
            days=days,
            starts_at=start,
            target=start + timedelta(days=days),
            order_id=order_id,
        )

    async def reserve(
        self,
        customer_id: int,
        *,
        key: str,
        reason: str,
        days: int,
        starts_at: datetime,
        target: datetime,
        order_id: str | None = None,
    ) -> datetime:
        """Store a target computed by the caller (a purchase's, from its own rules); the stored one wins."""
        async with self._db.session() as session:
            row = await AccessGrantRepository(session).reserve(
                key,
                customer_id=customer_id,
                reason=reason,
                days=days,
                starts_at=starts_at,
                target=target,
                order_id=order_id,
            )
            return row.target_expires_at

    async def extend_to(
        self,
        customer: CustomerView,
        target: datetime,
        reason: str,
        *,
        key: str,
        create: Callable[[datetime], CreateUserRequest] | None = None,
        changes: UpdateUserRequest | None = None,
        exact: bool = False,
        tariff_code: str | None = None,
        record: bool = True,
    ) -> Granted | None:
        """Give ``customer`` access until the target of grant ``key`` (``target`` when it was not planned).

        ``create``: the panel user to create when the customer has none (otherwise None is returned and
        nothing changes), created by the one rule for panel users (:func:`create_panel_user`: adopted when
        the name is already the customer's, a suffixed name when it is somebody else's);
        ``changes``: further fields set in the same call (limits, squads); ``exact``: set the target even
        when the panel's expiry is later (a change of tariff);
        ``record=False``: the caller records the grant itself (:meth:`record`) in its own transaction. Raises
        :class:`ServiceUnavailable` or :class:`PanelError` when the panel fails: call again, with the
        same key, to finish.
        """
        stored = await self.planned(key)
        if stored is None:
            now = self._clock.now()
            days = max(0, (target - now).days)
            target = await self.reserve(
                customer.id, key=key, reason=reason, days=days, starts_at=now, target=target
            )
        else:
            target = stored.target_expires_at
        user = await self._link.find(customer)
        if user is None:
            if create is None:
                return None
            user = await create_panel_user(self._panel, create(target))
            await self._link.remember(customer, user)
        else:
            forward = exact or user.expire_at < target - SLACK
            request = changes.model_copy() if changes is not None else UpdateUserRequest()
            if forward:
                request.expire_at = target
            if user.status == "EXPIRED" and not customer.is_banned and request.status is None:
                request.status = "ACTIVE"
            if request.model_fields_set:
                user = await self._panel.update_user(user.ref, request)
        first = False
        if record:
            async with self._db.session() as session:
                first = await self.record(session, customer.id, key, tariff_code)
        if first:
            log.info("access granted", extra={"customer_id": customer.id, "reason": reason})
        return Granted(user, max(target, user.expire_at) if not exact else target, first)

    async def grant_days(
        self, customer: CustomerView, days: int, reason: str, *, key: str, order_id: str | None = None
    ) -> Granted | None:
        """Plan and apply ``days`` under ``key``; None when the customer has no panel user."""
        target = await self.plan_days(customer, days, reason, key=key, order_id=order_id)
        return await self.extend_to(customer, target, reason, key=key)

    async def record(
        self, session: AsyncSession, customer_id: int, key: str, tariff_code: str | None = None
    ) -> bool:
        """Mark grant ``key`` applied and record its period, once; True for the call that did."""
        grants = AccessGrantRepository(session)
        if not await grants.mark_applied(key, self._clock.now()):
            return False
        grant = await grants.get(key)
        assert grant is not None
        subscriptions = SubscriptionRepository(session)
        await subscriptions.add_period(
            customer_id,
            kind=grant.reason,
            days=grant.days,
            starts_at=min(grant.starts_at, grant.target_expires_at),
            ends_at=grant.target_expires_at,
            order_id=grant.order_id,
            tariff_code=tariff_code,
        )
        current = await subscriptions.get_current(customer_id)
        if current is not None and current.expires_at < grant.target_expires_at:
            current.expires_at = grant.target_expires_at
        return True


def unavailable(exc: PanelError) -> ServiceUnavailable:
    """A panel failure as the customer's "try again later"."""
    if not isinstance(exc, PanelUnavailable):
        log.error("the panel refused an access grant: %s", exc)
    return ServiceUnavailable()
