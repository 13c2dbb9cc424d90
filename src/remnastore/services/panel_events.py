"""Verified panel events about a user: their effect on the shop's record, and the customer's message.

Every user event (``user.modified``, ``user.disabled``, ``user.limited``, ...) carries the full user as
the panel holds it after the change; :class:`PanelState` writes it onto the customer's subscription
(events older than what the shop already knows are not applied over it). The events a customer should
hear about get one short message in their language, recorded in ``panel_event_notices`` before it is
sent, so a repeated delivery never sends it twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Protocol

from sqlalchemy import delete

from remnastore.config.panel_sync import CUSTOMER_EVENTS
from remnastore.db.models import PanelEventNotice
from remnastore.db.session import Database, dialect_insert
from remnastore.infra.clock import Clock
from remnastore.panel.webhooks import PanelEvent
from remnastore.services.panel_state import PanelState

log = logging.getLogger(__name__)

DELETED_EVENT = "user.deleted"


class PanelEventSender(Protocol):
    async def send(self, telegram_id: int, language: str, event: str, *, subscription_url: str) -> bool:
        """Tell the customer about ``event`` (``subscription_url``: the link valid now). True: done (or
        refused for good); False: the customer blocked the bot. Raises on a passing failure."""
        ...


class PanelEvents:
    def __init__(
        self,
        db: Database,
        state: PanelState,
        sender: PanelEventSender,
        clock: Clock,
        *,
        message_events: Iterable[str] = CUSTOMER_EVENTS,
    ) -> None:
        self._db = db
        self._state = state
        self._sender = sender
        self._clock = clock
        self.message_events = frozenset(message_events) & frozenset(CUSTOMER_EVENTS)

    async def handle(self, event: PanelEvent) -> bool:
        """Apply a verified user event; True if a message went to the customer."""
        user = event.user  # user events carry it as ``data``, device events as ``data.user``
        if user is None:
            return False
        applied = await self._state.apply(user, deleted=event.event == DELETED_EVENT, as_of=event.timestamp)
        if applied is None or event.event not in self.message_events:
            return False
        notice = await self._claim(applied.customer_id, event)
        if notice is None:
            return False
        try:
            reached = await self._sender.send(
                applied.telegram_id, applied.language, event.event, subscription_url=user.subscription_url
            )
        except Exception as exc:
            async with self._db.session() as session:
                await session.execute(delete(PanelEventNotice).where(PanelEventNotice.id == notice))
            log.warning("a panel event message could not be sent: %s", type(exc).__name__)
            raise
        return reached

    async def _claim(self, customer_id: int, event: PanelEvent) -> int | None:
        """Record the notice before sending it; None when it was recorded already (a repeated delivery)."""
        key = event.dedupe_key[:200]
        async with self._db.session() as session:
            statement = (
                dialect_insert(session, PanelEventNotice)
                .values(customer_id=customer_id, event_key=key, event=event.event, sent_at=self._clock.now())
                .on_conflict_do_nothing()
                .returning(PanelEventNotice.id)
            )
            inserted: int | None = (await session.execute(statement)).scalar_one_or_none()
        return inserted
