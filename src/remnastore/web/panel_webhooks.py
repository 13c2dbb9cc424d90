"""POST /webhooks/panel: the Remnawave panel's webhooks, an extra signal next to the scheduler.

The signature is checked over the raw bytes before anything is parsed; a delivery whose signed
timestamp lies outside the replay window is refused; repeated deliveries (the panel retries) are
dropped by their dedupe key, in Redis when the instances share one, else in this process. The answer
is given at once and the work runs in the background (the panel waits without a timeout).

Every verified user event updates the shop's record of that panel user (expiry, status, limits,
squads: the payload carries the user as the panel holds it) and may tell the customer (see
``services.panel_events``); that happens before any reminder the event announces, so the reminder
names the panel's current expiry. Whether a reminder is due is still decided from the (now updated)
subscription (see ``ReminderService.remind``).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

from aiohttp import web
from redis.asyncio import Redis

from remnastore.infra.clock import Clock
from remnastore.infra.untrusted_json import json_refusal
from remnastore.panel.webhooks import EXPIRATION_EVENT, PanelEvent, parse_panel_event, verify_panel_webhook
from remnastore.services.panel_events import PanelEvents
from remnastore.services.reminders import ReminderService

log = logging.getLogger(__name__)

PATH = "/webhooks/panel"
MAX_BODY = 256 * 1024
EXPIRED_EVENT = "user.expired"
SIGNATURE_HEADER = "X-Remnawave-Signature"
REPLAY_WINDOW = timedelta(days=1)
REDIS_PREFIX = "remnastore:panel-webhook:"

RefusalHook = Callable[[str, str], None]
Work = Coroutine[Any, Any, None]
Spawn = Callable[[Work], "asyncio.Task[Any]"]


class _SeenInProcess:
    """The newest ``capacity`` dedupe keys of this process."""

    def __init__(self, capacity: int) -> None:
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity

    def first_time(self, key: str) -> bool:
        if key in self._keys:
            return False
        self._keys[key] = None
        while len(self._keys) > self._capacity:
            self._keys.popitem(last=False)
        return True


class PanelWebhooks:
    def __init__(
        self,
        secret: str | None,
        reminders: ReminderService,
        clock: Clock,
        *,
        redis: Redis | None = None,
        replay_window: timedelta = REPLAY_WINDOW,
        spawn: Spawn | None = None,
        on_refusal: RefusalHook | None = None,
        remember: int = 10_000,
        on_user_event: Callable[[set[str], set[int]], Awaitable[None]] | None = None,
        events: PanelEvents | None = None,
    ) -> None:
        #: applies user events to the shop's records and tells customers (None: reminders only)
        self._events = events
        #: told ``(refs, telegram ids)`` of the panel user of every verified event (drops cached views)
        self._on_user_event = on_user_event
        self._secret = secret or None
        self._reminders = reminders
        self._clock = clock
        self._redis = redis
        self._window = replay_window
        self._spawn = spawn
        self._on_refusal = on_refusal
        self._seen = _SeenInProcess(remember)
        self._pending: set[asyncio.Task[Any]] = set()

    @property
    def enabled(self) -> bool:
        return self._secret is not None

    def register(self, app: web.Application) -> None:
        """Add the route, only when a secret is configured (without one nothing could be trusted)."""
        if self.enabled:
            app.router.add_route("POST", PATH, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        if self._secret is None:  # not registered without a secret
            raise web.HTTPNotFound()
        if request.content_length is not None and request.content_length > MAX_BODY:
            return self._refuse(413, "too_large")
        body = await request.content.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            return self._refuse(413, "too_large")
        if (problem := json_refusal(body)) is not None:
            log.warning("panel webhook refused: body %s", problem)
            return self._refuse(400, "malformed")
        if not verify_panel_webhook(body, request.headers.get(SIGNATURE_HEADER), self._secret):
            return self._refuse(401, "signature")
        try:
            event = parse_panel_event(body)
        except ValueError as exc:
            log.warning("panel webhook refused: %s", exc)
            return self._refuse(400, "malformed")
        if abs(self._clock.now() - event.timestamp) > self._window:
            return self._refuse(400, "stale")
        if event.user is not None and self._on_user_event is not None:
            user = event.user
            refs = {str(ref) for ref in (user.id, user.uuid) if ref is not None}
            await self._on_user_event(refs, {user.telegram_id} if user.telegram_id is not None else set())
        reminder = self._reminder(event)
        applies = self._events is not None and event.user is not None
        if reminder is None and not applies:
            return web.Response(text="ignored")
        if not await self._first_time(_dedupe_key(event)):
            return web.Response(text="duplicate")
        self._run(self._work(event if applies else None, reminder))
        return web.Response(text="ok")

    async def _work(self, event: PanelEvent | None, reminder: tuple[int, int] | None) -> None:
        if event is not None and self._events is not None:
            try:
                await self._events.handle(event)
            except Exception:
                log.exception("a panel event could not be applied", extra={"event": event.event})
        if reminder is not None:
            await self._remind(*reminder)

    def _refuse(self, status: int, reason: str) -> web.Response:
        if self._on_refusal is not None:
            self._on_refusal("panel", reason)
        log.warning("panel webhook refused", extra={"reason": reason})
        return web.Response(status=status, text="refused")

    async def _first_time(self, key: str) -> bool:
        if self._redis is None:
            return self._seen.first_time(key)
        digest = hashlib.sha256(key.encode()).hexdigest()
        ttl = int((self._window * 2).total_seconds())
        try:
            return bool(await self._redis.set(REDIS_PREFIX + digest, "1", nx=True, ex=ttl))
        except Exception:
            log.warning("redis unavailable: panel webhook deduplicated in this process only")
            return self._seen.first_time(key)

    def _reminder(self, event: PanelEvent) -> tuple[int, int] | None:
        """(Telegram id, offset hours) of the reminder the event announces, or None."""
        if event.event == EXPIRATION_EVENT and event.expiration_hours is not None:
            offset = event.expiration_hours
        elif event.event == EXPIRED_EVENT:
            offset = 0
        else:
            return None
        telegram_id = event.user.telegram_id if event.user is not None else None
        if telegram_id is None or not self._reminders.accepts_panel_offset(offset):
            return None
        return telegram_id, offset

    async def _remind(self, telegram_id: int, offset: int) -> None:
        try:
            await self._reminders.remind(telegram_id, offset)
        except Exception:
            log.exception("a reminder announced by the panel failed; the scheduler will retry it")

    def _run(self, work: Work) -> None:
        task = self._spawn(work) if self._spawn is not None else asyncio.create_task(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def wait_idle(self) -> None:
        """Wait until the work of every accepted delivery is done."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)


def _dedupe_key(event: PanelEvent) -> str:
    """The parser's key names event, user and timestamp; two expiration offsets announced in one sweep
    can share all three, so the offset is part of the key too."""
    if event.expiration_hours is None:
        return event.dedupe_key
    return f"{event.dedupe_key}:{event.expiration_hours}"
