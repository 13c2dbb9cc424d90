"""Calls that arrive together, done together: one unit of work for all who waited.

A :class:`Batcher` runs one batch at a time. Whoever comes while a batch is running waits for the next
one, which takes everybody who came (up to ``limit``). Alone, a call runs at once, as a batch of one; in a
crowd, the crowd shares one round of work. This is group commit: where writers take turns (SQLite), a
hundred newcomers cost a few transactions instead of a hundred turns.

A batch that raises is done again one call at a time, so each caller gets its own result or its own
error, never a neighbour's.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")


class Batcher(Generic[Item, Result]):
    """``await batcher.submit(item)`` gives ``work([.., item, ..])``'s result for ``item``.

    ``work`` takes a batch and returns one result per item, in the batch's order. It runs in a task of its
    own with a fresh context, so nothing of the first caller's context (a job's fence, say) applies to its
    neighbours' items.
    """

    def __init__(
        self, work: Callable[[Sequence[Item]], Awaitable[Sequence[Result]]], *, limit: int, name: str
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self._work = work
        self._limit = limit
        self._name = name
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._runner: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._runner is not None

    async def submit(self, item: Item) -> Result:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        self._waiting.append((item, future))
        if self._runner is None:
            self._runner = loop.create_task(self._run(), name=self._name, context=contextvars.Context())
        return await future

    async def _run(self) -> None:
        batch: list[tuple[Item, asyncio.Future[Result]]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[: self._limit], self._waiting[self._limit :]
                batch = [(item, future) for item, future in batch if not future.done()]  # callers gone
                if batch:
                    await self._do(batch)
        except BaseException:
            for _, future in batch + self._waiting:
                if not future.done():
                    future.cancel()
            self._waiting = []
            raise
        finally:
            self._runner = None

    async def _do(self, batch: Sequence[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            results = await self._work([item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"{self._name}: {len(results)} results for {len(batch)} items")
        except Exception as exc:
            if len(batch) == 1:
                if not batch[0][1].done():
                    batch[0][1].set_exception(exc)
                return
            log.warning(
                "%s: a batch of %d failed; doing it one by one", self._name, len(batch), exc_info=True
            )
            for one in batch:
                await self._do([one])
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
