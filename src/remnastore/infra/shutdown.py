"""Graceful shutdown: know what is in flight, let it finish within a deadline, then cancel it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from aiohttp import web

log = logging.getLogger(__name__)


class InFlight:
    """Tasks doing work that must not be cut short: update handlers, webhook requests, background jobs."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    def __len__(self) -> int:
        return len(self._tasks)

    @asynccontextmanager
    async def track(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is None:
            yield
            return
        self._tasks.add(task)
        self._idle.clear()
        try:
            yield
        finally:
            self._tasks.discard(task)
            if not self._tasks:
                self._idle.set()

    def spawn(self, work: Awaitable[Any], name: str | None = None) -> asyncio.Task[Any]:
        """Run ``work`` in the background, tracked until it ends."""

        async def tracked() -> Any:
            async with self.track():
                return await work

        return asyncio.create_task(tracked(), name=name)

    async def drain(self, timeout: float) -> bool:  # noqa: ASYNC109 - the shutdown budget
        """Wait until nothing is in flight; on timeout cancel what is left. True if all finished."""
        if not self._tasks:
            return True
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
            return True
        except TimeoutError:
            left = list(self._tasks)
            log.warning("shutdown deadline reached: cancelling %d unfinished tasks", len(left))
            for task in left:
                task.cancel()
            await asyncio.gather(*left, return_exceptions=True)
            return False


class InFlightMiddleware(BaseMiddleware):
    """Outer update middleware: every update handler counts as in flight until it returns."""

    def __init__(self, inflight: InFlight) -> None:
        self._inflight = inflight

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async with self._inflight.track():
            return await handler(event, data)


def web_gate(inflight: InFlight, accepting: Callable[[], bool], gated_prefix: str = "/webhooks/") -> Any:
    """aiohttp middleware: webhook requests are tracked; once stopping, new ones get 503 (the sender
    retries later, against an instance that is up)."""

    @web.middleware
    async def middleware(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if not request.path.startswith(gated_prefix):
            return await handler(request)
        if not accepting():
            return web.Response(status=503, text="shutting down", headers={"Retry-After": "5"})
        async with inflight.track():
            return await handler(request)

    return middleware
