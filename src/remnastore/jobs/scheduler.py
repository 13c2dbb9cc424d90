"""A small scheduler: every job runs every ``interval`` seconds, once per cluster.

Before running, an instance takes the job's lock for (most of) the period: in Redis (``SET NX PX``) when
several instances share one, in memory otherwise. The instance that got it runs the job; the others skip
that period (the locks: :mod:`remnastore.infra.cluster_lock`). A job that fails is logged and counted;
the next period tries again.

While a run lasts, its lock is renewed (a run longer than the period keeps it), and the run is fenced:
every database commit it makes first checks that this instance still owns the lock
(:mod:`remnastore.infra.fencing`), so two instances never both commit the same job's work.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass

from remnastore.infra.cluster_lock import ClusterLock
from remnastore.infra.fencing import current_fence

#: the outcome of a period whose run another instance (or worker) took
SKIPPED = "elsewhere"
log = logging.getLogger(__name__)


class RunFence:
    """The fence of one job run (see :mod:`remnastore.infra.fencing`)."""

    def __init__(self, lock: ClusterLock, name: str) -> None:
        self._lock = lock
        self.name = name
        self.active = True

    async def holds(self) -> bool:
        return await self._lock.holds(self.name)


@dataclass(frozen=True)
class Job:
    name: str
    interval: float
    run: Callable[[], Awaitable[object]]
    first_delay: float = 0.0


JobHook = Callable[[str, str, float], None]


class Scheduler:
    def __init__(self, lock: ClusterLock, *, on_run: JobHook | None = None) -> None:
        self._lock = lock
        self._jobs: list[Job] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._running: set[asyncio.Task[object]] = set()
        self._stopping = asyncio.Event()
        self._on_run = on_run

    def add(self, job: Job) -> None:
        self._jobs.append(job)

    @property
    def jobs(self) -> list[Job]:
        return list(self._jobs)

    def start(self) -> None:
        self._stopping.clear()
        for job in self._jobs:
            self._tasks.append(asyncio.create_task(self._loop(job), name=f"job:{job.name}"))

    async def run_now(self, name: str) -> bool:
        """Run one job right away (if this instance gets its lock); True if it ran."""
        job = next(j for j in self._jobs if j.name == name)
        return await self._tick(job)

    async def _loop(self, job: Job) -> None:
        with suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), job.first_delay)
        while not self._stopping.is_set():
            await self._tick(job)
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), job.interval)

    async def _tick(self, job: Job) -> bool:
        try:
            if not await self._lock.acquire(job.name, job.interval * 0.9):
                if self._on_run is not None:
                    self._on_run(job.name, SKIPPED, 0.0)
                return False
        except Exception:
            log.exception("could not take a job lock", extra={"job": job.name})
            return False
        started = time.perf_counter()
        ttl = job.interval * 0.9
        fence = RunFence(self._lock, job.name)
        token = current_fence.set(fence)
        try:
            task: asyncio.Task[object] = asyncio.ensure_future(job.run())
        finally:
            current_fence.reset(token)
        self._running.add(task)
        keeper = asyncio.create_task(self._keep_lock(job.name, ttl, task), name=f"job-lock:{job.name}")
        outcome = "ok"
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        except Exception:
            outcome = "error"
            log.exception("job failed", extra={"job": job.name})
        finally:
            fence.active = False
            keeper.cancel()
            self._running.discard(task)
            if self._on_run is not None:
                self._on_run(job.name, outcome, time.perf_counter() - started)
        return True

    async def _keep_lock(self, name: str, ttl: float, task: asyncio.Task[object]) -> None:
        """Renew the lock of a run that is about to outlive it (a run that ends in time leaves the lock
        as it was, so the period is not shifted)."""
        delay = ttl * 0.8
        while True:
            await asyncio.sleep(max(0.05, delay))
            if task.done():
                return
            try:
                if not await self._lock.renew(name, ttl):
                    log.error("a running job lost its lock; its commits are refused", extra={"job": name})
                    return
            except Exception:
                log.warning("could not renew a job lock", extra={"job": name}, exc_info=True)
            delay = ttl / 3

    async def stop(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109 - shutdown budget
        """No new runs; wait up to ``timeout`` for running jobs, then cancel them."""
        self._stopping.set()
        if self._running:
            _done, pending = await asyncio.wait(set(self._running), timeout=timeout)
            for task in pending:
                task.cancel()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        try:
            await self._lock.release_all()
        except Exception:
            log.warning("could not release the job locks", exc_info=True)
