"""Bonus days of a promo code: the activation claimed first (services/promos.py), then the days given on the
panel through the access grant. The target expiry is fixed once in the activation, so a retry sets the
same absolute expiry and never adds twice."""

from __future__ import annotations

import logging
from datetime import timedelta

from remnastore.db.models import PeriodKind, PromoActivation, PromoCode
from remnastore.db.repositories.customers import CustomerRepository
from remnastore.db.repositories.promos import PromoRepository
from remnastore.db.session import Database
from remnastore.domain.errors import DomainError, ServiceUnavailable
from remnastore.infra.clock import Clock
from remnastore.panel.errors import PanelError
from remnastore.services.access_grant import AccessGrant
from remnastore.services.accounts import CustomerView
from remnastore.services.panel_link import PanelLink
from remnastore.services.promo_outcomes import USED, Redeemed

log = logging.getLogger(__name__)


class PromoDays:
    def __init__(self, db: Database, link: PanelLink, clock: Clock, *, access: AccessGrant) -> None:
        self._db = db
        self._link = link
        self._clock = clock
        self._access = access

    async def grant(self, activation_id: int) -> Redeemed:
        """Give a claimed bonus-days activation its days on the panel (exactly once, resumable)."""
        async with self._db.session() as session:
            activation = await session.get(PromoActivation, activation_id)
            promo = await session.get(PromoCode, activation.promo_id) if activation else None
            row = await CustomerRepository(session).get(activation.customer_id) if activation else None
            if activation is None or promo is None or row is None:
                raise DomainError("promo-not-found")
            customer = CustomerView.of(row)
            target, status = activation.grant_expires_at, activation.status
        if status in USED and target is not None:
            return Redeemed(promo.code, promo.kind, days=promo.value, expires_at=target)
        user = await self._link.find(customer)
        if user is None:
            await self._release(activation_id)
            raise DomainError("promo-needs-subscription")
        now = self._clock.now()
        if target is None:
            async with self._db.session() as session:
                activation = await session.get(PromoActivation, activation_id, populate_existing=True)
                assert activation is not None
                if activation.grant_expires_at is None:
                    activation.grant_expires_at = max(now, user.expire_at) + timedelta(days=promo.value)
                target = activation.grant_expires_at
        key = f"promo:{activation_id}"
        try:
            await self._access.reserve(
                customer.id,
                key=key,
                reason=PeriodKind.PROMO.value,
                days=promo.value,
                starts_at=target - timedelta(days=promo.value),
                target=target,
            )
            await self._access.extend_to(customer, target, PeriodKind.PROMO.value, key=key)
        except PanelError as exc:
            log.warning("panel refused promo days: %s", exc, extra={"customer_id": customer.id})
            raise ServiceUnavailable() from exc
        async with self._db.session() as session:
            if await PromoRepository(session).mark_applied(activation_id, now):
                log.info("promo days given", extra={"customer_id": customer.id, "promo_id": promo.id})
        return Redeemed(promo.code, promo.kind, days=promo.value, expires_at=target)

    async def _release(self, activation_id: int) -> None:
        async with self._db.session() as session:
            activation = await session.get(PromoActivation, activation_id)
            if activation is not None and activation.grant_expires_at is None:
                await PromoRepository(session).release_activation(activation)
