"""The required channel: customers must be members of one channel before they use the shop.

Membership is asked from Telegram by the caller (a ``check`` coroutine) and cached for
``CHANNEL_CHECK_TTL_SECONDS``: in Redis when the shop has one (shared by every instance), otherwise in
this process. Only memberships are cached; a customer who is not a member is asked about again on their
next update, so joining takes effect at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from remnastore.config.channel_gate import ChannelGateSettings

log = logging.getLogger(__name__)

KEY_PREFIX = "remnastore:member:"
CACHE_TIMEOUT = 1.0
_MAX_LOCAL_ENTRIES = 100_000


class MembershipCache:
    """Remembers who was confirmed as a member, for ``ttl_seconds``.

    With a Redis client the keys are ``remnastore:member:<channel>:<user>`` with a TTL; without one a
    dictionary of expiry times in this process. A failing Redis is a cache miss, never an error.
    """

    def __init__(
        self,
        channel_id: int,
        ttl_seconds: int,
        redis: Redis | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.channel_id = channel_id
        self.ttl_seconds = ttl_seconds
        self._redis = redis
        self._clock = clock
        self._local: dict[int, float] = {}

    def key(self, telegram_id: int) -> str:
        return f"{KEY_PREFIX}{self.channel_id}:{telegram_id}"

    async def is_member(self, telegram_id: int) -> bool:
        """True when a membership of this customer was confirmed less than ``ttl_seconds`` ago."""
        if self.ttl_seconds <= 0:
            return False
        if self._redis is None:
            expiry = self._local.get(telegram_id)
            if expiry is None:
                return False
            if expiry <= self._clock():
                del self._local[telegram_id]
                return False
            return True
        try:
            found = await asyncio.wait_for(self._redis.exists(self.key(telegram_id)), CACHE_TIMEOUT)
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning("membership cache unavailable: %s", type(exc).__name__)
            return False
        return bool(found)

    async def remember(self, telegram_id: int) -> None:
        if self.ttl_seconds <= 0:
            return
        if self._redis is None:
            now = self._clock()
            if len(self._local) >= _MAX_LOCAL_ENTRIES:
                self._local = {user: expiry for user, expiry in self._local.items() if expiry > now}
            self._local[telegram_id] = now + self.ttl_seconds
            return
        try:
            await asyncio.wait_for(
                self._redis.set(self.key(telegram_id), "1", ex=self.ttl_seconds), CACHE_TIMEOUT
            )
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning("membership cache unavailable: %s", type(exc).__name__)

    async def forget(self, telegram_id: int) -> None:
        self._local.pop(telegram_id, None)
        if self._redis is None:
            return
        try:
            await asyncio.wait_for(self._redis.delete(self.key(telegram_id)), CACHE_TIMEOUT)
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning("membership cache unavailable: %s", type(exc).__name__)


class ChannelGate:
    """Answers "is this customer a member of the required channel?", asking Telegram only on a miss."""

    def __init__(self, channel_id: int, cache: MembershipCache) -> None:
        self.channel_id = channel_id
        self.cache = cache
        self.hits = 0
        self.misses = 0
        #: called with ``("channel", hit)`` on every cached lookup (the cache metrics)
        self.on_lookup: Callable[[str, bool], None] | None = None

    @classmethod
    def from_settings(cls, settings: ChannelGateSettings, redis: Redis | None) -> ChannelGate | None:
        """The gate configured by ``settings``; None when no channel is required."""
        if settings.required_channel_id is None:
            return None
        channel = settings.required_channel_id
        return cls(channel, MembershipCache(channel, settings.check_ttl_seconds, redis))

    async def is_member(
        self, telegram_id: int, check: Callable[[], Awaitable[bool]], *, fresh: bool = False
    ) -> bool:
        """The cached answer, or ``check()``'s (remembered when positive). ``fresh`` skips the cache.

        Errors raised by ``check`` propagate and nothing is cached.
        """
        if not fresh and await self.cache.is_member(telegram_id):
            self.hits += 1
            if self.on_lookup is not None:
                self.on_lookup("channel", True)
            return True
        self.misses += 1
        if self.on_lookup is not None and not fresh:
            self.on_lookup("channel", False)
        member = await check()
        if member:
            await self.cache.remember(telegram_id)
        else:
            await self.cache.forget(telegram_id)
        return member

    async def forget(self, telegram_id: int) -> None:
        """Drop the cached membership (the customer left): the next update asks Telegram again."""
        await self.cache.forget(telegram_id)
