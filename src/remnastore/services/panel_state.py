"""The shop's record of each panel user, kept in step with the panel (the source of truth).

Sellers change users in the panel every day: extend or shorten them, disable them, change their limits
or squads. Whatever the shop learns about a panel user (a verified webhook, a sync, a direct read) is
written here onto the customer's subscription: expiry, traffic and device limits, the panel's status
and squads, and when the panel last confirmed them (``panel_seen_at``).

:meth:`PanelState.current_expiry` is what reminders ask before they name an expiry: the stored one when
the panel confirmed it recently enough, else the panel's own (read now, and stored).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from remnastore.db.models import Customer, Subscription
from remnastore.db.session import Database
from remnastore.infra.clock import Clock
from remnastore.panel.client import RemnawaveClient
from remnastore.panel.errors import PanelError, PanelNotFound
from remnastore.panel.models import PanelUser

log = logging.getLogger(__name__)

#: the status stored when the panel deleted the user
DELETED = "DELETED"
#: a stored view confirmed by the panel this recently is trusted without asking again
FRESH = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Applied:
    """The customer whose record a panel user updated, and what was there before."""

    customer_id: int
    telegram_id: int
    language: str
    previous_expiry: datetime | None
    previous_status: str | None


class PanelState:
    def __init__(
        self, db: Database, panel: RemnawaveClient, clock: Clock, *, fresh: timedelta = FRESH
    ) -> None:
        self._db = db
        self._panel = panel
        self._clock = clock
        self._fresh = fresh

    async def apply(
        self, user: PanelUser, *, deleted: bool = False, as_of: datetime | None = None
    ) -> Applied | None:
        """Write what the panel says about ``user`` (as of ``as_of``, default now) onto the linked
        customer's subscription; None when no customer is linked to this panel user (or the customer has
        no subscription yet). News older than what the record already holds is not applied over it, but
        the customer is still returned (a late delivery of a real event)."""
        now = as_of or self._clock.now()
        async with self._db.session() as session:
            conditions = []
            if user.id is not None:
                conditions.append(Customer.panel_user_id == user.id)
            if user.uuid is not None:
                conditions.append(Customer.panel_uuid == user.uuid)
            customer = await session.scalar(select(Customer).where(or_(*conditions))) if conditions else None
            if customer is None and user.telegram_id is not None:
                candidate = await session.scalar(
                    select(Customer).where(Customer.telegram_id == user.telegram_id)
                )
                unlinked = (
                    candidate is not None and candidate.panel_user_id is None and candidate.panel_uuid is None
                )
                customer = candidate if unlinked else None
            if customer is None:
                return None
            subscription = await session.scalar(
                select(Subscription).where(Subscription.customer_id == customer.id).with_for_update()
            )
            if subscription is None:
                return None
            applied = Applied(
                customer.id,
                customer.telegram_id,
                customer.language,
                subscription.expires_at,
                subscription.panel_status,
            )
            if subscription.panel_seen_at is not None and subscription.panel_seen_at > now:
                return applied
            if deleted:
                subscription.panel_status = DELETED
            else:
                subscription.expires_at = user.expire_at
                subscription.traffic_limit_bytes = user.traffic_limit_bytes
                subscription.device_limit = user.hwid_device_limit
                subscription.panel_status = user.status
                subscription.panel_squads = list(user.active_internal_squads)
            subscription.panel_seen_at = now
            return applied

    async def current_expiry(self, customer_id: int) -> datetime | None:
        """The expiry the panel holds for this customer now: the stored one if the panel confirmed it
        within the freshness window, else read from the panel (and stored). None: cannot be told (no panel
        user linked, or the panel did not answer) - the caller keeps what it has."""
        async with self._db.session() as session:
            row = (
                await session.execute(
                    select(
                        Customer.panel_user_id,
                        Customer.panel_uuid,
                        Subscription.expires_at,
                        Subscription.panel_seen_at,
                    )
                    .join(Subscription, Subscription.customer_id == Customer.id)
                    .where(Customer.id == customer_id)
                )
            ).first()
        if row is None:
            return None
        stored: datetime = row.expires_at
        if row.panel_seen_at is not None and self._clock.now() - row.panel_seen_at < self._fresh:
            return stored
        ref = row.panel_user_id if row.panel_user_id is not None else row.panel_uuid
        if ref is None:
            return None
        try:
            user = await self._panel.get_user(ref)
        except PanelNotFound:
            return None
        except PanelError as exc:
            log.warning("the panel could not confirm an expiry: %s", exc)
            return None
        await self.apply(user)
        return user.expire_at
