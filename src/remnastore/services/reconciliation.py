"""Orders whose notification never came: ask the provider; orders nobody paid: expire them.

A payment made in an order's last minutes whose notification was lost would otherwise be found by
nobody once the order expired: the pending poll no longer sees it. So expired orders are asked about
again a few times after their expiry (``LATE_CHECKS``); settlement credits a late payment and alerts
the admins, as for a late notification.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from remnastore.db.models import OrderStatus
from remnastore.db.repositories.orders import InvalidTransition, OrderRepository
from remnastore.db.session import Database
from remnastore.infra.clock import Clock
from remnastore.payments.base import PaymentEvent, Provider, ProviderError

log = logging.getLogger(__name__)

#: how long after its expiry an expired order is asked about again (each check once, by the
#: ``late-payments`` job, whose period is ``LATE_CHECK_PERIOD``)
LATE_CHECKS: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(hours=24),
)
LATE_CHECK_PERIOD = timedelta(minutes=10)
#: orders live at most this long before they expire (bounds the scan of expired orders)
LONGEST_ORDER_LIFETIME = timedelta(days=7)


class Reconciliation:
    def __init__(
        self,
        db: Database,
        providers: Mapping[str, Provider],
        clock: Clock,
        settle: Callable[[PaymentEvent], Awaitable[object]],
        *,
        min_age: timedelta = timedelta(minutes=1),
    ) -> None:
        self._db = db
        self._providers = providers
        self._clock = clock
        self._settle = settle
        self._min_age = min_age

    async def poll_pending(self, limit: int = 100) -> int:
        """Ask providers about pending orders older than a minute; settle what they report."""
        now = self._clock.now()
        async with self._db.session() as session:
            pending = await OrderRepository(session).list(
                status=OrderStatus.PENDING, created_to=now - self._min_age, limit=limit
            )
            targets = [(o.id, o.provider, o.provider_payment_id) for o in pending]
        return await self._ask(targets)

    async def poll_late(self, limit: int = 500) -> int:
        """Ask providers about orders that expired ``LATE_CHECKS`` ago (within one job period)."""
        now = self._clock.now()
        targets: list[tuple[str, str, str | None]] = []
        async with self._db.session() as session:
            orders = OrderRepository(session)
            for delay in LATE_CHECKS:
                window_end = now - delay
                window_start = window_end - LATE_CHECK_PERIOD
                expired = await orders.list_expired_between(
                    window_start,
                    window_end,
                    created_from=window_start - LONGEST_ORDER_LIFETIME,
                    limit=limit,
                )
                targets += [(o.id, o.provider, o.provider_payment_id) for o in expired]
        return await self._ask(targets)

    async def _ask(self, targets: list[tuple[str, str, str | None]]) -> int:
        settled = 0
        for order_id, provider_name, payment_id in targets:
            provider = self._providers.get(provider_name)
            if provider is None or not provider.supports_status_poll:
                continue
            try:
                event = await provider.fetch_status(order_id, payment_id)
            except ProviderError as exc:
                log.warning(
                    "status query failed: %s", exc, extra={"order_id": order_id, "provider": provider_name}
                )
                continue
            if event is not None:
                await self._settle(event)
                settled += 1
        return settled

    async def expire_stale(self, limit: int = 500) -> int:
        """Pending orders past their expiry become ``expired`` (a late payment is still accepted)."""
        now = self._clock.now()
        expired = 0
        async with self._db.session() as session:
            orders = OrderRepository(session)
            for order in await orders.list(status=OrderStatus.PENDING, limit=limit):
                if order.expires_at is not None and order.expires_at <= now:
                    try:
                        await orders.set_status(order, OrderStatus.EXPIRED, now=now)
                    except InvalidTransition:  # paid in the meantime
                        continue
                    expired += 1
        if expired:
            log.info("expired %d unpaid orders", expired)
        return expired
