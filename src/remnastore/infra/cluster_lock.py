"""Locks shared by the instances of one shop: a job, a broadcast or any other work runs on one of them.

In Redis (``SET NX PX`` with this instance's token as the value, so only the owner releases or renews)
when several instances share one; in memory for a single instance.
"""

from __future__ import annotations

import time
import uuid
from typing import Protocol

from redis.asyncio import Redis


class ClusterLock(Protocol):
    async def acquire(self, name: str, ttl_seconds: float) -> bool: ...

    async def release_all(self) -> None:
        """Give back the locks this instance holds (at shutdown), so a restarted instance need not wait."""

    async def release(self, name: str) -> None:
        """Give back one lock this instance holds."""

    async def holds(self, name: str) -> bool:
        """Whether this instance still owns the lock of ``name``."""

    async def renew(self, name: str, ttl_seconds: float) -> bool:
        """Extend a lock this instance owns; False when it no longer owns it."""


class MemoryLock:
    """One instance: a job is due when its last run is older than the period."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}

    async def acquire(self, name: str, ttl_seconds: float) -> bool:
        now = time.monotonic()
        if self._until.get(name, 0.0) > now:
            return False
        self._until[name] = now + ttl_seconds
        return True

    async def release_all(self) -> None:
        self._until.clear()

    async def release(self, name: str) -> None:
        self._until.pop(name, None)

    async def holds(self, name: str) -> bool:
        return name in self._until

    async def renew(self, name: str, ttl_seconds: float) -> bool:
        if name not in self._until:
            return False
        self._until[name] = max(self._until[name], time.monotonic() + ttl_seconds)
        return True


_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


class RedisLock:
    """``SET NX PX`` with this instance's token as the value; only the owner may release a lock."""

    def __init__(self, redis: Redis, prefix: str = "remnastore:job:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._token = uuid.uuid4().hex
        self._held: set[str] = set()

    async def acquire(self, name: str, ttl_seconds: float) -> bool:
        key = self._prefix + name
        got = await self._redis.set(key, self._token, nx=True, px=max(1, int(ttl_seconds * 1000)))
        if got:
            self._held.add(key)
        return bool(got)

    async def release_all(self) -> None:
        for key in list(self._held):
            await self._redis.eval(_RELEASE, 1, key, self._token)  # type: ignore[misc]
        self._held.clear()

    async def release(self, name: str) -> None:
        key = self._prefix + name
        await self._redis.eval(_RELEASE, 1, key, self._token)  # type: ignore[misc]
        self._held.discard(key)

    async def holds(self, name: str) -> bool:
        owner = await self._redis.get(self._prefix + name)
        if isinstance(owner, bytes):
            owner = owner.decode()
        return bool(owner == self._token)

    async def renew(self, name: str, ttl_seconds: float) -> bool:
        ms = max(1, int(ttl_seconds * 1000))
        renewed = await self._redis.eval(_RENEW, 1, self._prefix + name, self._token, ms)  # type: ignore[misc]
        return bool(renewed)
