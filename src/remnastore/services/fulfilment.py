"""Fulfilment: giving a paid order what it bought, exactly once, retried until it succeeds.

The order's kind picks its handler from :class:`OrderKinds` (one registration line per kind, in
``wiring/sales.py``): ``fulfil`` gives what was bought (idempotent: it is retried), ``revoke`` takes it
back after a refund. A failure leaves the order ``paid`` with a next attempt scheduled (exponential
back-off) and an admin alert after a few attempts.

Adding a product kind: one module with a class implementing :class:`OrderKind` (its ``fulfil`` marks the
order fulfilled through ``Lifecycle.fulfilled`` and publishes the event), plus one ``register`` line.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Protocol

from remnastore.db.models import OrderStatus
from remnastore.db.repositories.orders import OrderRepository
from remnastore.db.session import Database
from remnastore.infra.clock import Clock
from remnastore.services.notifications import AdminNotifier

log = logging.getLogger(__name__)
ALERT_AFTER_ATTEMPTS = 5
MAX_BACKOFF = timedelta(hours=1)
#: a paid order the panel refuses for a configuration error waits this long between attempts (the admins
#: are alerted; retrying sooner cannot help until the seller fixes the squads)
CONFIGURATION_RETRY = timedelta(hours=6)


def backoff(attempts: int) -> timedelta:
    """10 s, 20 s, 40 s … capped at an hour."""
    return min(MAX_BACKOFF, timedelta(seconds=10 * 2 ** max(0, attempts - 1)))


class OrderKind(Protocol):
    """What one kind of order gives, and how it is taken back."""

    async def fulfil(self, order_id: str) -> bool:
        """Give a paid order what it bought; False when not (yet) possible. Must be idempotent."""
        ...

    async def revoke(self, order_id: str) -> None:
        """Take back what a refunded order gave (called once per refund)."""
        ...


class FulfilmentFailures:
    """Records a failed attempt on the order (with its next attempt) and alerts an admin once."""

    def __init__(self, db: Database, clock: Clock, admins: AdminNotifier) -> None:
        self._db = db
        self._clock = clock
        self._admins = admins

    async def __call__(self, order_id: str, error: str, *, retry_in: timedelta | None = None) -> None:
        """``retry_in``: the next attempt after this long instead of the back-off, with no stuck-order
        alert (the caller has alerted the admins about the cause)."""
        log.warning("fulfilment failed: %s", error, extra={"order_id": order_id})
        async with self._db.session() as session:
            orders = OrderRepository(session)
            order = await orders.get_for_update(order_id)
            if order is None or order.status != OrderStatus.PAID:
                return
            attempts = order.fulfilment_attempts + 1
            await orders.record_fulfilment_failure(
                order, error=error, next_attempt_at=self._clock.now() + (retry_in or backoff(attempts))
            )
        if attempts == ALERT_AFTER_ATTEMPTS and retry_in is None:
            await self._admins.alert("alert-order-stuck", order=order_id, attempts=attempts)


class OrderKinds:
    """The registry: order kind -> its handler."""

    def __init__(self) -> None:
        self._kinds: dict[str, OrderKind] = {}

    def register(self, kind: str, handler: OrderKind) -> None:
        self._kinds[kind] = handler

    def get(self, kind: str) -> OrderKind | None:
        return self._kinds.get(kind)

    def __contains__(self, kind: object) -> bool:
        return kind in self._kinds


class Fulfilment:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        kinds: OrderKinds,
        failures: FulfilmentFailures,
        admins: AdminNotifier,
    ) -> None:
        self._db = db
        self._clock = clock
        self.kinds = kinds
        self._failed = failures
        self._admins = admins

    async def _kind(self, order_id: str) -> tuple[str, OrderKind] | None:
        async with self._db.session() as session:
            order = await OrderRepository(session).get(order_id)
            kind = order.kind if order is not None else None
        handler = self.kinds.get(kind) if kind is not None else None
        return (kind, handler) if kind is not None and handler is not None else None

    async def fulfil(self, order_id: str) -> bool:
        """Fulfil one paid order; False when it is not (yet) possible (then a retry is scheduled)."""
        found = await self._kind(order_id)
        if found is None:
            return False
        kind, handler = found
        try:
            return await handler.fulfil(order_id)
        except Exception as exc:
            log.exception("fulfilment of a %s order failed", kind, extra={"order_id": order_id})
            await self._failed(order_id, f"{type(exc).__name__}: {exc}")
            return False

    async def fulfil_due(self, limit: int = 50) -> int:
        """Every paid order whose (next) attempt is due; returns how many were fulfilled."""
        async with self._db.session() as session:
            due = [
                order.id
                for order in await OrderRepository(session).due_for_fulfilment(self._clock.now(), limit)
            ]
        done = 0
        for order_id in due:
            if await self.fulfil(order_id):
                done += 1
        return done

    async def revoke(self, order_id: str) -> None:
        """Take back what a refunded order gave."""
        found = await self._kind(order_id)
        if found is None:
            return
        kind, handler = found
        try:
            await handler.revoke(order_id)
        except Exception:
            log.exception("revoking a %s order failed", kind, extra={"order_id": order_id})
            await self._admins.alert("alert-revoke-failed", order=order_id)
