"""Calls that arrive together, done together: one unit of work for all who waited.

A :class:`Batcher` runs one batch at a time. Whoever comes while a batch is running waits for the next
one, which takes everybody who came (up to ``limit``). Alone, a call runs at once, as a batch of one in
the caller's own task (no task or loop turn of its own); in a crowd, the crowd shares one round of work.
This is group commit: where writers take turns (SQLite), a hundred newcomers cost a few transactions
instead of a hundred turns.

A batch that raises is done again one call at a time, so each caller gets its own result or its own
error, never a neighbour's.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass(frozen=True, slots=True)
class _Call(Generic[Item, Result]):
    item: Item
    future: asyncio.Future[Result]
    context: contextvars.Context


class Batcher(Generic[Item, Result]):
    """``await batcher.submit(item)`` gives ``work([.., item, ..])``'s result for ``item``.

    ``work`` takes a batch and returns one result per item, in the batch's order. A lone caller runs it
    in their own task; a batch of those who waited runs in a task of its own in a copy of the context of
    its first caller. Either way its log lines and statements count for the update that caller came with.
    """

    def __init__(
        self,
        work: Callable[[Sequence[Item]], Coroutine[Any, Any, Sequence[Result]]],
        *,
        limit: int,
        name: str,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self._work = work
        self._limit = limit
        self._name = name
        self._waiting: list[_Call[Item, Result]] = []
        self._runner: asyncio.Task[None] | None = None
        self._alone = False  # a lone caller is doing their batch of one in their own task

    @property
    def running(self) -> bool:
        return self._alone or self._runner is not None

    async def submit(self, item: Item) -> Result:
        if not self.running:
            self._alone = True
            try:
                results = self._checked(await self._work([item]), 1)
            finally:
                self._alone = False
                if self._waiting:  # those who came meanwhile: the next batch
                    self._start_runner()
            return results[0]
        # a batch is running: its runner takes this call next, or the lone caller starts one when done
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Call(item, future, contextvars.copy_context()))
        return await future

    def _checked(self, results: Sequence[Result], count: int) -> Sequence[Result]:
        """``work``'s results for a batch of ``count``; one per item, or the batch fails."""
        if len(results) != count:
            raise RuntimeError(f"{self._name}: {len(results)} results for {count} items")
        return results

    def _start_runner(self) -> None:
        loop = asyncio.get_running_loop()
        self._runner = loop.create_task(self._run(), name=self._name, context=contextvars.Context())

    async def _run(self) -> None:
        batch: list[_Call[Item, Result]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[: self._limit], self._waiting[self._limit :]
                batch = [call for call in batch if not call.future.done()]  # callers who gave up
                if batch:
                    await self._do(batch)
        except BaseException:
            for call in batch + self._waiting:
                if not call.future.done():
                    call.future.cancel()
            self._waiting = []
            raise
        finally:
            self._runner = None

    async def _do(self, batch: Sequence[_Call[Item, Result]]) -> None:
        work = self._work([call.item for call in batch])
        try:
            task = asyncio.get_running_loop().create_task(work, context=batch[0].context)
            results = self._checked(await task, len(batch))
        except Exception as exc:
            if len(batch) == 1:
                if not batch[0].future.done():
                    batch[0].future.set_exception(exc)
                return
            log.warning(
                "%s: a batch of %d failed; doing it one by one", self._name, len(batch), exc_info=True
            )
            for one in batch:
                await self._do([one])
            return
        for call, result in zip(batch, results, strict=True):
            if not call.future.done():
                call.future.set_result(result)
