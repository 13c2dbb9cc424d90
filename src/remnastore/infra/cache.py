"""A small key-value cache with TTLs: in Redis when the shop has one (shared by every instance), in this
process otherwise.

Values are strings (callers serialise). Every lookup is counted as a hit or a miss per *area* (customer,
panel user, ...) through ``on_lookup`` (the Prometheus counters). A failing or slow Redis is a miss on
read and a no-op on write, never an error: the database and the panel stay the source of truth.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

KEY_PREFIX = "remnastore:cache:"
# Long enough that an event loop busy with a burst does not turn hits into misses (which would send the
# burst to the database), short enough that a hung Redis does not hold an update for long.
REDIS_TIMEOUT = 3.0
LookupHook = Callable[[str, bool], None]
#: Entries already read for the update being handled, by full key (None: absent), with the Redis client
#: they were read from: the update gate reads them in the request that takes the chat's lock
#: (bot/update_gate.py). Writes and deletes of this update keep them current.
prefetched: ContextVar[tuple[Redis, dict[str, str | None]] | None] = ContextVar(
    "remnastore_cache_prefetched", default=None
)


@dataclass(frozen=True)
class Derived:
    """A key to prefetch that another prefetched entry names: ``prefix`` + the first of ``fields`` (dotted
    paths into that entry, a JSON object) that holds a string or a number + ``suffix``; ``fallback`` (a
    full key) when the entry is there but none of them is. Nothing is read when the entry is absent.

    Lets the update gate read in its one request what an update reads after its customer (their referral
    numbers by customer id, their panel user by panel id), without the gate knowing the entries' shapes."""

    source: str
    fields: tuple[str, ...]
    prefix: str
    suffix: str = ""
    fallback: str | None = None


class Cache:
    """``get``/``set``/``delete`` of string values under ``<area>:<key>``."""

    def __init__(
        self,
        redis: Redis | None = None,
        *,
        max_local_entries: int = 100_000,
        on_lookup: LookupHook | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._redis = redis
        self._max_local = max_local_entries
        self._on_lookup = on_lookup
        self._clock = clock
        self._local: dict[str, tuple[float, str]] = {}

    @property
    def shared(self) -> bool:
        """True when every instance sees the same entries (Redis)."""
        return self._redis is not None

    @staticmethod
    def key(area: str, key: str) -> str:
        return f"{KEY_PREFIX}{area}:{key}"

    async def get(self, area: str, key: str) -> str | None:
        value = await self._get(self.key(area, key))
        if self._on_lookup is not None:
            self._on_lookup(area, value is not None)
        return value

    async def peek(self, area: str, key: str) -> str | None:
        """Like :meth:`get`, but not counted (bookkeeping lookups)."""
        return await self._get(self.key(area, key))

    async def set(self, area: str, key: str, value: str, ttl_seconds: float) -> None:
        if ttl_seconds <= 0:
            return
        full = self.key(area, key)
        if self._redis is None:
            now = self._clock()
            if len(self._local) >= self._max_local:
                self._local = {k: v for k, v in self._local.items() if v[0] > now}
                if len(self._local) >= self._max_local:
                    self._local.clear()
            self._local[full] = (now + ttl_seconds, value)
            return
        self._keep_prefetched(full, value)
        try:
            async with asyncio.timeout(REDIS_TIMEOUT):
                await self._redis.set(full, value, px=max(1, int(ttl_seconds * 1000)))
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning("cache unavailable: %s", type(exc).__name__)

    async def set_many(self, entries: Iterable[tuple[str, str, str]], ttl_seconds: float) -> None:
        """:meth:`set` of each ``(area, key, value)``, in order, in one request to Redis (a pipeline)."""
        if ttl_seconds <= 0:
            return
        if self._redis is None:
            for area, key, value in entries:
                await self.set(area, key, value, ttl_seconds)
            return
        px = max(1, int(ttl_seconds * 1000))
        try:
            async with asyncio.timeout(REDIS_TIMEOUT):
                async with self._redis.pipeline(transaction=False) as pipe:
                    for area, key, value in entries:
                        full = self.key(area, key)
                        self._keep_prefetched(full, value)
                        pipe.set(full, value, px=px)
                    await pipe.execute()
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning("cache unavailable: %s", type(exc).__name__)

    async def delete(self, area: str, keys: Iterable[str]) -> None:
        full = [self.key(area, key) for key in keys]
        if not full:
            return
        if self._redis is None:
            for key in full:
                self._local.pop(key, None)
            return
        for key in full:
            self._keep_prefetched(key, None)
        try:
            async with asyncio.timeout(REDIS_TIMEOUT):
                await self._redis.delete(*full)
        except (RedisError, OSError, TimeoutError) as exc:
            # An entry we could not delete expires with its TTL; say so loudly, it may be stale until then.
            log.error("cache invalidation failed: %s", type(exc).__name__)

    async def clear(self, area: str) -> None:
        """Drop every entry of ``area`` (rare: after a change whose rows cannot be told)."""
        prefix = self.key(area, "")
        if self._redis is None:
            for key in [k for k in self._local if k.startswith(prefix)]:
                del self._local[key]
            return
        try:
            batch: list[bytes | str] = []
            async for key in self._redis.scan_iter(match=prefix + "*", count=1000):
                batch.append(key)
                if len(batch) >= 1000:
                    await self._redis.unlink(*batch)
                    batch.clear()
            if batch:
                await self._redis.unlink(*batch)
        except (RedisError, OSError) as exc:
            log.error("cache invalidation failed: %s", type(exc).__name__)

    async def _get(self, full: str) -> str | None:
        if self._redis is None:
            entry = self._local.get(full)
            if entry is None:
                return None
            if entry[0] <= self._clock():
                self._local.pop(full, None)
                return None
            return entry[1]
        early = self._prefetched()
        if early is not None and full in early:
            return early[full]
        try:
            async with asyncio.timeout(REDIS_TIMEOUT):
                raw = await self._redis.get(full)
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning("cache unavailable: %s", type(exc).__name__)
            return None
        if raw is None:
            return None
        return raw.decode() if isinstance(raw, bytes) else str(raw)

    def _prefetched(self) -> dict[str, str | None] | None:
        early = prefetched.get()
        return early[1] if early is not None and early[0] is self._redis else None

    def _keep_prefetched(self, full: str, value: str | None) -> None:
        early = self._prefetched()
        if early is not None and full in early:
            early[full] = value
