"""Fencing of scheduled job runs: work done by a job commits only while its instance still owns the job.

The scheduler puts a :class:`Fence` in the context of each run; :class:`remnastore.db.session.Database`
calls :func:`verify_fence` right before every commit. When the run lost its cluster lock (it overran the
lock's lifetime without being able to renew it, or Redis was flushed) and another instance may now run
the same job, the commit is refused with :class:`FenceLost` and the unit of work rolls back.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Protocol


class FenceLost(RuntimeError):
    """The job run that made this unit of work no longer owns its lock."""


class Fence(Protocol):
    name: str
    active: bool

    async def holds(self) -> bool: ...


current_fence: ContextVar[Fence | None] = ContextVar("current_fence", default=None)


async def verify_fence() -> None:
    """Raise :class:`FenceLost` when the current job run (if any, and still running) lost its lock."""
    fence = current_fence.get()
    if fence is None or not fence.active:
        return
    if not await fence.holds():
        raise FenceLost(f"job {fence.name!r} lost its lock; its changes are not committed")
