"""One Redis request before each update's handler: the rate limiter's verdict, the per-chat lock and the
conversation state, together (aiogram's Redis storage and lock, and the limiter, took four or more).

* :class:`GateStorage` is aiogram's ``RedisStorage`` (same keys, same TTLs) that answers ``get_state`` and
  ``get_data`` for the update being handled from what the gate read with the lock; writes go to Redis
  as before and update that copy.
* :class:`GateIsolation` is aiogram's event isolation: one script takes the chat's lock (the key and token
  scheme of redis-py's lock, so every instance and worker still serialises a chat's updates), reads the
  state, the data and any keys asked for (the cached customer, see :mod:`remnastore.infra.cache`, and
  the entries it names: their referral numbers, their panel user) and,
  when asked, counts the update against the rate limit first (:data:`~remnastore.infra.ratelimit.
  HIT_FUNCTION`: a refused update takes no lock). Updates of one chat in this process queue on a local
  lock instead of polling Redis. A released lock is handed to Redis with the next request (or within
  :data:`RELEASE_DELAY`), so a release costs no round trip of its own while updates keep coming.
* :class:`GateMiddleware` is aiogram's FSM middleware that puts both to work, and the throttle's verdict
  into effect (it replaces the throttle middleware and aiogram's FSM middleware when there is Redis).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

from aiogram import Bot
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.fsm.storage.base import KeyBuilder, StateType, StorageKey
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from aiogram.types import TelegramObject
from redis.asyncio import Redis

from remnastore.bot.gate_scripts import ENTER, RATE_ARGS, RELEASE
from remnastore.bot.middlewares.throttle import ThrottleMiddleware
from remnastore.infra.cache import Derived, prefetched
from remnastore.infra.ratelimit import RedisRateLimiter, Verdict, verdict_of
from remnastore.infra.tokens import unique_token

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
#: the cache keys an update of this chat will likely read, fixed or named by another of them
Prefetch = Callable[[StorageKey], Sequence[str | Derived]]

#: How long the chat lock lives if its holder dies (redis-py's lock as aiogram configures it: 60 s).
LOCK_MS = 60_000
#: How often a chat locked by another instance or worker is tried again.
RETRY_SECONDS = 0.05
#: A release waits at most this long for a request to travel with (another instance or worker waiting for
#: the chat polls every RETRY_SECONDS anyway; at 200 updates a second nearly every release travels).
RELEASE_DELAY = 0.02


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass
class _Held:
    """What the gate read for the update holding the lock (live until the lock is released)."""

    storage: GateStorage
    key: StorageKey
    state: str | None
    data: str | None
    live: bool = True


_held: ContextVar[_Held | None] = ContextVar("remnastore_fsm_held", default=None)


class GateStorage(RedisStorage):
    """aiogram's Redis storage, reading the state and data of the update being handled from the gate."""

    def __init__(
        self,
        redis: Redis,
        *,
        ttl_seconds: int | None,
        prefetch: Prefetch | None = None,
        key_builder: KeyBuilder | None = None,
    ) -> None:
        super().__init__(redis, key_builder=key_builder, state_ttl=ttl_seconds, data_ttl=ttl_seconds)
        self.prefetch = prefetch
        self._isolation: GateIsolation | None = None

    def create_isolation(self, **kwargs: Any) -> GateIsolation:
        if self._isolation is None:
            self._isolation = GateIsolation(self)
        return self._isolation

    def _held(self, key: StorageKey) -> _Held | None:
        held = _held.get()
        if held is not None and held.live and held.storage is self and held.key == key:
            return held
        return None

    async def get_state(self, key: StorageKey) -> str | None:
        held = self._held(key)
        return held.state if held is not None else await super().get_state(key)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await super().set_state(key, state)
        held = self._held(key)
        if held is not None:
            held.state = None if state is None else (state if isinstance(state, str) else state.state)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        held = self._held(key)
        if held is None:
            return await super().get_data(key)
        return cast(dict[str, Any], self.json_loads(held.data)) if held.data else {}

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await super().set_data(key, data)
        held = self._held(key)
        if held is not None:
            held.data = self.json_dumps(data) if data else None

    async def close(self) -> None:
        if self._isolation is not None:
            await self._isolation.close()
        await super().close()


@dataclass(frozen=True)
class Entry:
    """The gate's answer: the rate limiter's verdict (no lock is held unless it allows the update)."""

    verdict: Verdict


class GateIsolation(RedisEventIsolation):
    """aiogram's Redis event isolation, the lock taken by the gate's script."""

    def __init__(self, storage: GateStorage) -> None:
        super().__init__(storage.redis, storage.key_builder)
        self._storage = storage
        self._redis = storage.redis
        self._enter = self._redis.register_script(ENTER)
        self._release = self._redis.register_script(RELEASE)
        self._local: dict[str, tuple[asyncio.Lock, list[int]]] = {}
        self._releases: list[tuple[str, str]] = []
        #: how many times an update found its chat locked by another instance or worker and waited
        self.waits = 0
        self._timer: asyncio.TimerHandle | None = None
        self._flushing: set[asyncio.Task[None]] = set()

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        async with self.enter(key):
            yield None

    @asynccontextmanager
    async def enter(
        self, key: StorageKey, limiter: RedisRateLimiter | None = None, customer_key: int = 0
    ) -> AsyncGenerator[Entry, None]:
        """Holds the chat's lock with its state read, after counting the update against ``limiter``
        (when given) for ``customer_key``; a refused update gets its verdict and no lock."""
        lock_key = self._storage.key_builder.build(key, "lock")
        local, waiting = self._local.get(lock_key) or self._local.setdefault(lock_key, (asyncio.Lock(), [0]))
        waiting[0] += 1
        try:
            rate = limiter
            if rate is not None and local.locked():
                # another update of this chat is being handled here: the verdict now, the wait after
                verdict = await rate.hit(customer_key)
                if not verdict.allowed:
                    yield Entry(verdict)
                    return
                rate = None
            async with local:
                token = unique_token()
                keys, derived = self._prefetch_keys(key)
                reply = await self._acquire(key, lock_key, token, rate, customer_key, keys, derived)
                if reply[2] != 1:
                    yield Entry(verdict_of(reply[0], reply[1]))
                    return
                held = _Held(self._storage, key, _text(reply[3]), _text(reply[4]))
                held_token = _held.set(held)
                values = {name: _text(value) for name, value in zip(keys, reply[5:], strict=False)}
                found = reply[5 + len(keys) :]
                for at in range(0, len(found) - 1, 2):
                    if found[at]:  # named by its source (else not read: the cache asks Redis itself)
                        values[cast(str, _text(found[at]))] = _text(found[at + 1])
                cache_token = prefetched.set((self._redis, values)) if keys else None
                try:
                    yield Entry(Verdict.ALLOW)
                finally:
                    held.live = False
                    values.clear()
                    _held.reset(held_token)
                    if cache_token is not None:
                        prefetched.reset(cache_token)
                    self._queue_release(lock_key, token)
        finally:
            waiting[0] -= 1
            if waiting[0] == 0:
                del self._local[lock_key]

    def _prefetch_keys(self, key: StorageKey) -> tuple[list[str], list[int | str]]:
        """The fixed keys to read, and the derived ones as the script's arguments (their count first)."""
        prefetch = self._storage.prefetch
        if prefetch is None:
            return [], [0]
        wanted = prefetch(key)
        keys = [item for item in wanted if isinstance(item, str)]
        specs = [item for item in wanted if isinstance(item, Derived)]
        derived: list[int | str] = [len(specs)]
        for item in specs:
            derived += [keys.index(item.source) + 1, len(item.fields), *item.fields]
            derived += [item.prefix, item.suffix, item.fallback or ""]
        return keys, derived

    async def _acquire(
        self,
        key: StorageKey,
        lock_key: str,
        token: str,
        limiter: RedisRateLimiter | None,
        customer_key: int,
        pre: list[str],
        derived: list[int | str],
    ) -> list[Any]:
        """The script's reply (see gate_scripts.ENTER); ``derived``: the count of derived keys, then
        their arguments."""
        builder = self._storage.key_builder
        rate_keys = limiter.keys(customer_key) if limiter is not None else [lock_key, lock_key]
        rate_args: list[int | str] = limiter.hit_args() if limiter is not None else [0] * RATE_ARGS
        keys = [lock_key, builder.build(key, "state"), builder.build(key, "data"), *rate_keys, *pre]
        while True:
            releases = self._take_releases()
            args: list[int | str] = [token, LOCK_MS, "1" if limiter is not None else "0", len(pre)]
            args += [len(releases), derived[0]]
            try:
                reply = await self._enter(
                    keys=keys + [name for name, _ in releases],
                    args=args + rate_args + [held for _, held in releases] + derived[1:],
                )
            except BaseException:
                for name, held in releases:  # a release is idempotent: sent again with the next one
                    self._queue_release(name, held)
                raise
            result = cast(list[Any], reply)
            if len(result) > 2 and int(result[2]) == 0:  # locked by another instance or worker
                self.waits += 1
                limiter = None
                keys[3:5] = [lock_key, lock_key]
                rate_args = [0] * RATE_ARGS
                await asyncio.sleep(RETRY_SECONDS)
                continue
            if len(result) == 2:  # refused by the rate limit
                return [result[0], result[1], 0]
            return [0, 0, 1, *result[3:]]

    def _queue_release(self, lock_key: str, token: str) -> None:
        self._releases.append((lock_key, token))
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(RELEASE_DELAY, self._flush_soon)

    def _take_releases(self) -> list[tuple[str, str]]:
        releases, self._releases = self._releases, []
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        return releases

    def _flush_soon(self) -> None:
        self._timer = None
        task = asyncio.get_running_loop().create_task(self.flush())
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def flush(self) -> None:
        """Send the releases still waiting for a request."""
        releases = self._take_releases()
        if not releases:
            return
        try:
            await self._release(keys=[k for k, _ in releases], args=[t for _, t in releases])
        except Exception as exc:  # the locks expire on their own (LOCK_MS)
            log.warning("chat locks not released: %s", type(exc).__name__)

    async def close(self) -> None:
        for task in list(self._flushing):
            await task
        await self.flush()


class GateMiddleware(FSMContextMiddleware):
    """aiogram's FSM middleware on the gate, with the throttle's verdict taken in the same request."""

    def __init__(
        self,
        storage: GateStorage,
        throttle: ThrottleMiddleware | None,
        limiter: RedisRateLimiter | None,
    ) -> None:
        isolation = storage.create_isolation()
        super().__init__(storage=storage, events_isolation=isolation)
        self._gate = isolation
        self._throttle = throttle if limiter is not None else None
        self._limiter = limiter

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        bot = cast(Bot, data["bot"])
        context = self.resolve_event_context(bot, data)
        data["fsm_storage"] = self.storage
        throttle = self._throttle
        customer_key = throttle.counted(event, data) if throttle is not None else None
        if context is None:
            if throttle is not None:
                return await throttle(handler, event, data)
            return await handler(event, data)
        limiter = self._limiter if customer_key is not None else None
        async with self._gate.enter(context.key, limiter, customer_key or 0) as entry:
            if not entry.verdict.allowed:
                if throttle is not None:
                    await throttle.refuse(entry.verdict, event, data)
                return None
            data.update({"state": context, "raw_state": await context.get_state()})
            return await handler(event, data)
