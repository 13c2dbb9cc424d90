"""Telegram Stars charges whose ``successful_payment`` was never settled: found in the bot's transactions.

Telegram sends a Stars payment once, as an update. Should the update be lost (the process died between
receiving it and storing it, a bug in a handler), the money is still in the bot's Star transactions
(``getStarTransactions``). This job walks them, oldest first, and settles every incoming charge whose
invoice payload is one of our Stars orders that is not paid yet, as the PAID event the update would have
been: the same provider and the same key (the transaction id IS the ``telegram_payment_charge_id``), so
the normal path and this job, in any order, any number of times, concurrently, credit a charge once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Protocol, runtime_checkable

from remnastore.db.models import OrderStatus
from remnastore.db.repositories.orders import OrderRepository
from remnastore.db.session import Database
from remnastore.infra.clock import Clock
from remnastore.payments.base import PaymentEvent, ProviderError
from remnastore.payments.stars import NAME, STAR_TRANSACTIONS_PAGE, StarCharge, event_from_payment

log = logging.getLogger(__name__)

UNSETTLED = (OrderStatus.PENDING, OrderStatus.EXPIRED, OrderStatus.FAILED)


@runtime_checkable
class StarTransactions(Protocol):
    """A provider whose charges can be listed afterwards (Telegram Stars: getStarTransactions)."""

    async def star_transactions(self, offset: int, limit: int = ...) -> list[StarCharge | None]: ...


class StarsReconciliation:
    def __init__(
        self,
        db: Database,
        source: StarTransactions,
        clock: Clock,
        settle: Callable[[PaymentEvent], Awaitable[object]],
        *,
        min_age: timedelta = timedelta(minutes=1),
        max_pages: int = 20,
    ) -> None:
        """``min_age``: younger charges are left to the update path for now; ``max_pages`` per run."""
        self._db = db
        self._source = source
        self._clock = clock
        self._settle = settle
        self.min_age = min_age
        self._max_pages = max_pages
        # Transactions before this position are all settled or not ours. Kept in memory: after a restart
        # the first runs walk the whole history again (read-only for everything already settled).
        self._checked = 0

    async def run(self) -> int:
        """Settle the unsettled charges of ours; returns how many were settled now."""
        settled = 0
        newest = self._clock.now() - self.min_age
        for _ in range(self._max_pages):
            try:
                page = await self._source.star_transactions(self._checked, STAR_TRANSACTIONS_PAGE)
            except ProviderError as exc:
                log.warning("could not list the Star transactions: %s", exc)
                return settled
            unsettled = await self._unsettled_orders([c for c in page if c is not None])
            for charge in page:
                if charge is not None:
                    if charge.date > newest:
                        return settled  # too young: its update is probably being handled right now
                    if charge.charge_id in unsettled:
                        log.warning(
                            "a Stars charge of an unpaid order was found in the Star transactions",
                            extra={"order_id": charge.payload, "provider": NAME},
                        )
                        await self._settle(
                            event_from_payment(
                                telegram_user_id=charge.telegram_user_id,
                                payload=charge.payload,
                                charge_id=charge.charge_id,
                                total_amount=charge.amount,
                                currency="XTR",
                            )
                        )
                        settled += 1
                self._checked += 1  # only past what is settled (a failed settle raises and stays here)
            if len(page) < STAR_TRANSACTIONS_PAGE:
                break
        return settled

    async def _unsettled_orders(self, charges: list[StarCharge]) -> set[str]:
        """Charge ids whose payload is one of our Stars orders that is not paid yet."""
        found: set[str] = set()
        async with self._db.session() as session:
            orders = OrderRepository(session)
            for charge in charges:
                if not charge.payload or len(charge.payload) > 64:
                    continue
                order = await orders.get(charge.payload)
                if order is not None and order.provider == NAME and order.status in UNSETTLED:
                    found.add(charge.charge_id)
        return found
