"""Expiry reminders: before expiry, at expiry and after it, each sent once per subscription period.

Before a reminder is claimed, the panel's current expiry is checked (``expiry_check``: the stored view
when the panel confirmed it recently, else a read): a reminder never names an expiry the seller has since
changed in the panel, and the reminders of the new expiry follow from it.

The scheduler calls :meth:`ReminderService.run_due` every few minutes; panel webhooks call
:meth:`ReminderService.remind` as an extra, earlier signal. Both claim a ``reminders_sent`` row before
sending, keyed by (customer, the local expiry, offset): whoever inserts it sends, everybody else (another
instance, a repeated webhook, the scheduler after the webhook) finds it and does nothing.

A reminder is due when ``expires_at + offset`` lies in the past, but no further back than the look-back
window, so a shop that was down catches up without greeting customers about long-gone expiries. When
several offsets of one expiry are due at once, only the latest is sent (the earlier ones are stale).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from remnastore.config.reminders import MAX_OFFSET_HOURS
from remnastore.db.models import SubscriptionKind
from remnastore.db.repositories.customers import CustomerRepository
from remnastore.db.repositories.reminders import ReminderCandidate, ReminderRepository
from remnastore.db.session import Database
from remnastore.infra.clock import Clock

log = logging.getLogger(__name__)

LOOKBACK = timedelta(hours=48)
#: a reminder makes sense only if the expiry was known at least this long before its moment (a 3-day
#: trial does not get its "3 days left" reminder the moment it starts)
NOTICE = timedelta(hours=1)
#: a panel webhook may arrive this much ahead of the moment our clock computes for it
EARLY = timedelta(hours=1)
#: expiries this close are the same (the panel keeps milliseconds)
SAME_EXPIRY = timedelta(seconds=1)
TRIAL = "trial"
PAID = "paid"


class ReminderSender(Protocol):
    async def send(
        self,
        telegram_id: int,
        language: str,
        *,
        customer_id: int,
        offset_hours: int,
        expires_at: datetime,
        kind: str,
    ) -> bool:
        """Deliver one reminder (``kind`` "trial" or "paid"; ``offset_hours`` negative: before expiry).

        True: done (delivered, or refused for good); False: the customer has blocked the bot. Raises on a
        passing failure (network, flood limit): the reminder is then given back and retried later.
        """
        ...


class ExpiryCheck(Protocol):
    async def current_expiry(self, customer_id: int) -> datetime | None:
        """The expiry the panel holds for the customer now (None: cannot be told; keep the stored one)."""
        ...


class _SendingFailed(Exception):
    """A passing failure of the sender; the current run stops and the next one retries."""


class ReminderService:
    def __init__(
        self,
        db: Database,
        sender: ReminderSender,
        clock: Clock,
        *,
        offsets: Sequence[int],
        enabled: bool = True,
        lookback: timedelta = LOOKBACK,
        batch_size: int = 200,
        max_per_run: int = 1000,
        pace_seconds: float = 0.04,
        expiry_check: ExpiryCheck | None = None,
    ) -> None:
        #: asked before a reminder is claimed: a reminder names only the panel's current expiry
        self._expiry_check = expiry_check
        self._db = db
        self._sender = sender
        self._clock = clock
        self._enabled = enabled
        self._offsets = sorted(set(offsets), reverse=True) if enabled else []
        self._lookback = lookback
        self._batch = batch_size
        self._max_per_run = max_per_run
        self._pace = pace_seconds

    @property
    def offsets(self) -> list[int]:
        """The scheduled reminders as hours relative to expiry, latest first."""
        return list(self._offsets)

    def accepts_panel_offset(self, offset_hours: int) -> bool:
        """Panel webhooks may announce any offset the seller configured in the panel; the one at expiry
        (which the panel always sends) only when reminders at expiry are on here."""
        if not self._enabled or abs(offset_hours) > MAX_OFFSET_HOURS:
            return False
        return offset_hours != 0 or 0 in self._offsets

    async def run_due(self) -> int:
        """Send every due reminder (up to ``max_per_run``); the number delivered."""
        now = self._clock.now()
        delivered = 0
        attempts = 0
        try:
            for offset in self._offsets:
                shift = timedelta(hours=offset)
                cursor: tuple[datetime, int] | None = None
                while attempts < self._max_per_run:
                    async with self._db.session() as session:
                        batch = await ReminderRepository(session).due(
                            offset,
                            expiring_after=now - self._lookback - shift,
                            expiring_until=now - shift,
                            after=cursor,
                            limit=self._batch,
                        )
                    for candidate in batch:
                        cursor = (candidate.expires_at, candidate.subscription_id)
                        if attempts >= self._max_per_run:
                            break
                        if not _known_in_time(candidate, offset):
                            continue
                        outcome = await self._deliver(candidate, offset, now)
                        if outcome is None:
                            continue
                        attempts += 1
                        delivered += int(outcome)
                        if self._pace > 0:
                            await asyncio.sleep(self._pace)
                    if len(batch) < self._batch:
                        break
        except _SendingFailed:
            log.warning("reminders paused after a sending failure; the next run resumes")
        if delivered:
            log.info("expiry reminders sent", extra={"count": delivered})
        return delivered

    async def remind(self, telegram_id: int, offset_hours: int) -> bool:
        """Send the reminder at ``offset_hours`` now if the local subscription says it is due (a panel
        webhook announced it); True if this call delivered it."""
        if not self.accepts_panel_offset(offset_hours):
            return False
        now = self._clock.now()
        async with self._db.session() as session:
            candidate = await ReminderRepository(session).candidate_for(telegram_id, offset_hours)
        if candidate is None:
            return False
        moment = candidate.expires_at + timedelta(hours=offset_hours)
        if not now - self._lookback < moment <= now + EARLY or not _known_in_time(candidate, offset_hours):
            return False
        try:
            return await self._deliver(candidate, offset_hours, now) is True
        except _SendingFailed:
            return False

    async def _deliver(self, candidate: ReminderCandidate, offset: int, now: datetime) -> bool | None:
        """Claim and send one reminder: None if already claimed or no longer due, else whether it reached
        the customer."""
        if self._expiry_check is not None:
            current = await self._expiry_check.current_expiry(candidate.customer_id)
            if current is not None and abs(current - candidate.expires_at) >= SAME_EXPIRY:
                # Changed in the panel (extended, shortened): the stored expiry now follows the panel and
                # the reminders of the new expiry are planned from it; this one no longer applies.
                log.info(
                    "reminder skipped: the panel holds another expiry",
                    extra={"customer_id": candidate.customer_id},
                )
                return None
        async with self._db.session() as session:
            claim = await ReminderRepository(session).record(
                candidate.customer_id, candidate.expires_at, offset, now
            )
        if claim is None:
            return None
        try:
            reached = await self._sender.send(
                candidate.telegram_id,
                candidate.language,
                customer_id=candidate.customer_id,
                offset_hours=offset,
                expires_at=candidate.expires_at,
                kind=TRIAL if candidate.kind == SubscriptionKind.TRIAL else PAID,
            )
        except BaseException as exc:
            async with self._db.session() as session:
                await ReminderRepository(session).release(claim)
            if isinstance(exc, Exception):
                log.warning(
                    "a reminder could not be sent: %s",
                    type(exc).__name__,
                    extra={"customer_id": candidate.customer_id},
                )
                raise _SendingFailed from exc
            raise
        if not reached:
            async with self._db.session() as session:
                await CustomerRepository(session).mark_blocked(candidate.telegram_id, now)
            log.info("customer has blocked the bot", extra={"customer_id": candidate.customer_id})
        return reached


def _known_in_time(candidate: ReminderCandidate, offset: int) -> bool:
    moment = candidate.expires_at + timedelta(hours=offset)
    return candidate.granted_at is None or moment >= candidate.granted_at + NOTICE
