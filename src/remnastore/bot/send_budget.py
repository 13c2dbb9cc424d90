"""Telegram's sending limits, kept by the shop: about 30 messages a second overall, about one a second
per chat (a short burst of a few is tolerated), shared by replies and broadcasts with replies first.

Every Bot API call that puts or changes a message in a chat (``send*``, ``copy*``, ``forward*``,
``edit*``) takes a slot from the :class:`SendBudget` before it goes out; a burst of customers then
slows down instead of being answered 429. Replies take their slots in order; a broadcast's copy waits
while any reply is waiting (:func:`background_sends` marks the broadcast's calls), so a running
broadcast never delays a customer's screen by more than one slot.

Time and sleeping are injected (the event loop's clock by default), as in ``infra/pacing.py``.

Slots are evenly spaced, and on top of that no more than ``rate`` messages go out within any second and
two slots: when the event loop falls behind, callers whose slots came due meanwhile wake together, and
without the window those late messages plus the ones on time would exceed Telegram's limit for a second;
the two slots more leave room for a message that reaches Telegram a little later than it was let go.
A steady stream therefore goes out at ``rate / (1 + 2 / rate)`` a second (28 instead of 30).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from remnastore.config import Settings
from remnastore.infra.pacing import Now, Sleep, _loop_time

#: the Bot API methods that count against Telegram's message limits (lower-case prefixes)
PACED_PREFIXES = ("send", "copy", "forward", "edit")
#: not a message, although named ``send...``
UNPACED = frozenset({"sendchataction"})
#: how many messages one chat may get at once before the one-a-second pace applies
CHAT_BURST = 3
#: at most this many seconds of unused overall slots are made up at once
CATCH_UP_SECONDS = 0.1
_PRUNE_AT = 10_000

_background: ContextVar[bool] = ContextVar("remnastore_background_sends", default=False)


@contextmanager
def background_sends() -> Iterator[None]:
    """Calls made inside are background traffic (a broadcast): they yield to replies, and handle 429
    themselves (no retry in the session)."""
    token = _background.set(True)
    try:
        yield
    finally:
        _background.reset(token)


def in_background() -> bool:
    return _background.get()


def is_paced(api_method: str) -> bool:
    name = api_method.lower()
    return name.startswith(PACED_PREFIXES) and name not in UNPACED


class SendBudget:
    """Slots for messages: ``rate`` a second overall, ``chat_rate`` a second per chat (after a burst of
    :data:`CHAT_BURST`); background callers yield to replies."""

    def __init__(
        self,
        rate: float,
        chat_rate: float,
        *,
        now: Now = _loop_time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate <= 0 or chat_rate <= 0:
            raise ValueError("rates must be positive")
        self.interval = 1.0 / rate
        self.chat_interval = 1.0 / chat_rate
        self._now = now
        self._sleep = sleep
        self._catch_up = min(CATCH_UP_SECONDS, 50 * self.interval)
        #: when the last ``rate`` messages went out (at most that many within any second)
        self._sent: deque[float] = deque(maxlen=max(1, int(rate)))
        #: the second, and two slots more: a message granted in time may reach Telegram a little late
        self._window = 1.0 + 2 * self.interval
        self._next: float | None = None
        self._chat_next: dict[int, float] = {}
        self._replies_waiting = 0
        self._background_turn = asyncio.Lock()
        #: seconds callers waited for a slot, in total (metrics and benchmarks)
        self.waited_seconds = 0.0

    async def acquire(self, chat_id: int | None, *, background: bool = False) -> None:
        """Return when a message to ``chat_id`` (None: no chat known, e.g. an inline message) may go."""
        started = self._now()
        if chat_id is not None:
            await self._chat_slot(chat_id)
        if background:
            async with self._background_turn:
                await self._background_slot()
        else:
            self._replies_waiting += 1
            try:
                await self._reply_slot()
            finally:
                self._replies_waiting -= 1
        await self._within_the_window()
        self.waited_seconds += self._now() - started

    async def _within_the_window(self) -> None:
        sent = self._sent
        while len(sent) == sent.maxlen and (wait := sent[0] + self._window - self._now()) > 0:
            await self._sleep(wait)
        sent.append(self._now())

    def pause_chat(self, chat_id: int, seconds: float) -> None:
        """No message to this chat before ``seconds`` from now (Telegram's retry_after for it)."""
        resume = self._now() + seconds
        if self._chat_next.get(chat_id, 0.0) < resume:
            self._chat_next[chat_id] = resume

    async def _chat_slot(self, chat_id: int) -> None:
        now = self._now()
        earliest = now - (CHAT_BURST - 1) * self.chat_interval
        slot = max(self._chat_next.get(chat_id, earliest), earliest)
        self._chat_next[chat_id] = slot + self.chat_interval
        if len(self._chat_next) > _PRUNE_AT:
            self._prune(now)
        if slot > now:
            await self._sleep(slot - now)

    def _prune(self, now: float) -> None:
        idle = now - CHAT_BURST * self.chat_interval
        for chat, due in list(self._chat_next.items()):
            if due <= idle:
                del self._chat_next[chat]

    def _take(self, now: float) -> float:
        slot = now if self._next is None else max(self._next, now - self._catch_up)
        self._next = slot + self.interval
        return slot

    async def _reply_slot(self) -> None:
        now = self._now()
        slot = self._take(now)
        if slot > now:
            await self._sleep(slot - now)

    async def _background_slot(self) -> None:
        # One background caller at a time looks for a slot; it takes one only when it is due now and no
        # reply waits, so replies that come meanwhile go first.
        while True:
            now = self._now()
            due = now if self._next is None else max(self._next, now - self._catch_up)
            if due <= now and self._replies_waiting == 0:
                self._take(now)
                return
            await self._sleep(max(due - now, self.interval))


def budget_for(settings: Settings, workers: int = 1) -> SendBudget:
    """The budget of one process: the overall rate (raised to the broadcast rate if that is faster)
    split between the ``workers`` processes of one shop; the per-chat pace is kept by each process
    (a chat's updates are handled one at a time across processes, so they rarely overlap)."""
    rate = max(settings.telegram.send_rate, settings.broadcasts.effective_rate())
    return SendBudget(rate / max(1, workers), settings.telegram.chat_send_rate)
