"""Pacing: hand out send slots at a steady rate, and pause everybody when the other side says so.

Time and sleeping are injected (the event loop's monotonic clock by default), so that the pacing can be
tested deterministically with a fake clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

Now = Callable[[], float]
Sleep = Callable[[float], Awaitable[object]]

MAX_CATCH_UP = 0.25  # at most this many seconds (and 10 slots) of missed slots are made up in a burst


def _loop_time() -> float:
    return asyncio.get_running_loop().time()


class Pacer:
    """At most ``rate`` slots per second, evenly spaced; :meth:`pause` delays every later slot."""

    def __init__(self, rate: float, *, now: Now = _loop_time, sleep: Sleep = asyncio.sleep) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self._now = now
        self._sleep = sleep
        self._catch_up = min(MAX_CATCH_UP, 50 * self.interval)
        self._next: float | None = None
        self.paused_seconds = 0.0

    async def wait(self) -> None:
        """Return when the caller may send (slots are taken in call order)."""
        now = self._now()
        slot = now if self._next is None else max(self._next, now - self._catch_up)
        self._next = slot + self.interval
        if slot > now:
            await self._sleep(slot - now)

    def pause(self, seconds: float) -> None:
        """No slot before ``seconds`` from now (a 429's retry_after)."""
        resume = self._now() + seconds
        if self._next is None or resume > self._next:
            self.paused_seconds += resume - max(self._next or 0.0, self._now())
            self._next = resume
