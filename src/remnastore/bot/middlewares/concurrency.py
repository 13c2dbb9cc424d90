"""A bound on the updates one instance handles at once, in webhook mode too.

Long polling hands aiogram ``UPDATE_CONCURRENCY`` as its task limit. A webhook has no such bound: the
request is answered at once and the update handled in the background, so a burst would start every
update at the same time, each holding a Redis connection and a database session while the event loop
falls behind (and the pools run dry). Updates beyond the bound wait here, before they take anything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject


class ConcurrencyLimitMiddleware(BaseMiddleware):
    """Outer update middleware: at most ``limit`` updates past this point at a time."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._slots = asyncio.Semaphore(limit)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async with self._slots:
            return await handler(event, data)
