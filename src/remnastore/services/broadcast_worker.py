"""The background sender of broadcasts.

* One instance sends a given broadcast at a time: it holds the cluster lock ``broadcast:<id>`` (Redis
  with several instances, memory otherwise) and renews it while sending.
* Recipients are claimed in small batches (``pending -> sending``) before being sent, and their outcome
  is recorded after the batch. **At most once:** rows found in ``sending`` when an instance takes a
  broadcast over were claimed by an instance that died; they may or may not have been delivered, so they
  become ``unknown`` and are never sent again. A graceful stop gives unsent claims back (``pending``).
* Pacing: a steady ``rate`` per second; a 429 pauses every sender for its ``retry_after``, then the same
  recipient is tried again. A 403 marks the customer as having blocked the bot.
* Pause and cancel are seen between batches (a batch is a quarter of a second of sending; the next
  batch is claimed while one is sent, so at most two batches are in flight).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from remnastore.db.models import BroadcastStatus, RecipientState
from remnastore.db.repositories.broadcasts import BroadcastRepository, Recipient
from remnastore.db.session import Database
from remnastore.infra.clock import Clock
from remnastore.infra.cluster_lock import ClusterLock
from remnastore.infra.pacing import Now, Pacer, Sleep, _loop_time
from remnastore.services.broadcasts import Broadcasts, BroadcastView

log = logging.getLogger(__name__)


class Delivery(StrEnum):
    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"
    RETRY = "retry"


@dataclass(frozen=True)
class SendResult:
    delivery: Delivery
    retry_after: float = 0.0
    error: str | None = None


class BroadcastSender(Protocol):
    async def send(self, chat_id: int, broadcast: BroadcastView) -> SendResult: ...


class ProgressReporter(Protocol):
    async def progress(self, broadcast: BroadcastView) -> tuple[int, int] | None:
        """Show (edit) the admin's progress message; return (chat id, message id) of a new one."""

    async def finished(self, broadcast: BroadcastView) -> None:
        """The final report."""


ProgressHook = Callable[[str], None]


@dataclass
class _Outcome:
    """What happened to a batch: recipient ids by new state, errors, customers who blocked the bot."""

    states: dict[str, list[int]]
    errors: dict[int, str] = field(default_factory=dict)
    blocked: list[int] = field(default_factory=list)


class BroadcastWorker:
    def __init__(
        self,
        db: Database,
        broadcasts: Broadcasts,
        sender: BroadcastSender,
        reporter: ProgressReporter,
        lock: ClusterLock,
        clock: Clock,
        *,
        rate: float,
        progress_seconds: float = 5.0,
        lock_seconds: float = 30.0,
        poll_seconds: float = 2.0,
        now: Now = _loop_time,
        sleep: Sleep = asyncio.sleep,
        on_send: ProgressHook | None = None,
    ) -> None:
        self._db = db
        self._broadcasts = broadcasts
        self._sender = sender
        self._reporter = reporter
        self._lock = lock
        self._clock = clock
        self.rate = rate
        self._progress_seconds = progress_seconds
        self._lock_seconds = lock_seconds
        self._poll_seconds = poll_seconds
        self._now = now
        self._sleep = sleep
        self._on_send = on_send
        self.batch_size = max(1, min(250, math.ceil(rate / 4)))  # a quarter of a second of sending
        self.concurrency = max(1, min(100, math.ceil(rate / 10)))
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._active: dict[int, asyncio.Task[None]] = {}
        self.pacer = Pacer(rate, now=now, sleep=sleep)

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._loop(), name="broadcasts")

    def wake(self) -> None:
        self._wake.set()

    def sending(self, broadcast_id: int) -> bool:
        """Whether this instance is sending ``broadcast_id`` right now (from claiming to its last record)."""
        return broadcast_id in self._active

    async def stop(self) -> None:
        """Stop after the recipients being sent right now; unsent claims go back to pending."""
        self._stopping.set()
        self._wake.set()
        tasks = [t for t in (self._task, *self._active.values()) if t is not None]
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task
        self._task = None

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._take_due()
            except Exception:
                log.exception("could not look for broadcasts to send")
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_seconds)
            self._wake.clear()

    async def _take_due(self) -> None:
        async with self._db.session() as session:
            due = await BroadcastRepository(session).due_ids()
        for broadcast_id in due:
            if broadcast_id in self._active or self._stopping.is_set():
                continue
            if not await self._lock.acquire(self._lock_name(broadcast_id), self._lock_seconds):
                continue
            task = asyncio.create_task(self._run(broadcast_id), name=f"broadcast:{broadcast_id}")
            self._active[broadcast_id] = task
            task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        for broadcast_id, running in list(self._active.items()):
            if running is task:
                del self._active[broadcast_id]

    @staticmethod
    def _lock_name(broadcast_id: int) -> str:
        return f"broadcast:{broadcast_id}"

    # -- one broadcast ---------------------------------------------------------------------------------

    async def _run(self, broadcast_id: int) -> None:
        name = self._lock_name(broadcast_id)
        held = asyncio.Event()
        held.set()
        keeper = asyncio.create_task(self._keep_lock(name, held))
        try:
            async with self._db.session() as session:
                abandoned = await BroadcastRepository(session).abandon_claims(broadcast_id)
            if abandoned:
                log.warning(
                    "recipients claimed by a stopped instance are not sent again",
                    extra={"broadcast": broadcast_id, "count": abandoned},
                )
            await self._send_all(broadcast_id, held)
        except Exception:
            log.exception("broadcast failed; it resumes on the next look", extra={"broadcast": broadcast_id})
        finally:
            keeper.cancel()
            with suppress(asyncio.CancelledError):
                await keeper
            try:
                await self._lock.release(name)
            except Exception:
                log.warning("could not release a broadcast lock", exc_info=True)

    async def _keep_lock(self, name: str, held: asyncio.Event) -> None:
        while True:
            await asyncio.sleep(self._lock_seconds / 3)
            try:
                renewed = await self._lock.renew(name, self._lock_seconds)
            except Exception:
                log.warning("could not renew a broadcast lock", exc_info=True)
                renewed = False
            if not renewed:
                held.clear()
                return

    async def _send_all(self, broadcast_id: int, held: asyncio.Event) -> None:
        """Send batch after batch. The next batch is claimed, and the last one's outcomes recorded, while
        a batch is being sent, so that the database never holds the sending up."""
        last_progress = -math.inf
        view = await self._broadcasts.get(broadcast_id)
        status = view.status
        recording: asyncio.Task[None] | None = None
        claiming: asyncio.Task[list[Recipient]] | None = None
        if status == BroadcastStatus.RUNNING.value:
            claiming = asyncio.create_task(self._claim(broadcast_id))
        try:
            while status == BroadcastStatus.RUNNING.value and held.is_set() and not self._stopping.is_set():
                if self._now() - last_progress >= self._progress_seconds:
                    await self._progress(await self._broadcasts.get(broadcast_id))
                    last_progress = self._now()
                assert claiming is not None
                batch = await claiming
                claiming = None
                if not batch:
                    break
                claiming = asyncio.create_task(self._claim(broadcast_id))
                outcome = await self._send_batch(view, batch, held)
                if recording is not None:
                    await recording
                recording = asyncio.create_task(self._record(outcome))
                status = await self._status(broadcast_id)
        finally:
            if recording is not None:
                await recording
            if claiming is not None:
                unsent = await claiming
                await self._record(_Outcome({RecipientState.PENDING.value: [r.id for r in unsent]}))
        if self._stopping.is_set() or not held.is_set():
            return
        view = await self._broadcasts.get(broadcast_id)
        if view.status == BroadcastStatus.PAUSED.value:
            await self._progress(view)
            return
        if view.stats.pending and view.status == BroadcastStatus.RUNNING.value:
            return
        async with self._db.session() as session:
            first = await BroadcastRepository(session).finish(broadcast_id, self._clock.now())
        if first:
            view = await self._broadcasts.get(broadcast_id)
            await self._progress(view)
            try:
                await self._reporter.finished(view)
            except Exception:
                log.exception("could not deliver a broadcast report")

    async def _claim(self, broadcast_id: int) -> list[Recipient]:
        async with self._db.session() as session:
            return await BroadcastRepository(session).claim(broadcast_id, self.batch_size)

    async def _status(self, broadcast_id: int) -> str:
        async with self._db.session() as session:
            return await BroadcastRepository(session).status(broadcast_id)

    async def _record(self, outcome: _Outcome) -> None:
        async with self._db.session() as session:
            repo = BroadcastRepository(session)
            await repo.settle(outcome.states, outcome.errors)
            await repo.mark_blocked(outcome.blocked, self._clock.now())

    async def _progress(self, view: BroadcastView) -> None:
        try:
            placed = await self._reporter.progress(view)
        except Exception:
            log.warning("could not show broadcast progress", exc_info=True)
            return
        if placed is not None:
            async with self._db.session() as session:
                await BroadcastRepository(session).set_progress_message(view.id, *placed)

    async def _send_batch(self, view: BroadcastView, batch: list[Recipient], held: asyncio.Event) -> _Outcome:
        queue = deque(batch)
        outcome = _Outcome({})

        async def sender() -> None:
            while queue and held.is_set() and not self._stopping.is_set():
                recipient = queue.popleft()
                while True:
                    await self.pacer.wait()
                    result = await self._send_one(recipient.chat_id, view)
                    if result.delivery is not Delivery.RETRY:
                        break
                    self.pacer.pause(result.retry_after)
                    if self._stopping.is_set() or not held.is_set():
                        queue.appendleft(recipient)
                        return
                outcome.states.setdefault(result.delivery.value, []).append(recipient.id)
                if result.error:
                    outcome.errors[recipient.id] = result.error
                if result.delivery is Delivery.BLOCKED:
                    outcome.blocked.append(recipient.customer_id)
                if self._on_send is not None:
                    self._on_send(result.delivery.value)

        await asyncio.gather(*(sender() for _ in range(min(self.concurrency, len(batch)))))
        if queue:  # stopped: what was not sent goes back
            outcome.states.setdefault(RecipientState.PENDING.value, []).extend(r.id for r in queue)
        return outcome

    async def _send_one(self, chat_id: int, view: BroadcastView) -> SendResult:
        try:
            return await self._sender.send(chat_id, view)
        except Exception as exc:  # a bug or an unexpected reply: this recipient fails, the rest go on
            log.exception("a broadcast message could not be sent")
            return SendResult(Delivery.FAILED, error=type(exc).__name__)
