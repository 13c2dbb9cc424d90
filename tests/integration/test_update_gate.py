"""The update gate against a real Redis: the chat lock still serialises one chat's updates within an
instance and across instances, the rate limiter's verdicts are those of the limiter alone, the state and
cached entries read with the lock stay current, and a released lock is free without a further update."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator

import pytest
from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey
from redis.asyncio import Redis

from remnastore.bot.update_gate import GateStorage
from remnastore.infra.cache import Cache, Derived, prefetched
from remnastore.infra.ratelimit import Limits, MemoryRateLimiter, RedisRateLimiter, VerdictKind
from tests.fixtures.redis_keys import redis_client, scratch_prefix

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="TEST_REDIS_URL is not set"),
]

T0 = 1_700_000_000.0
KEY = StorageKey(bot_id=1, chat_id=501, user_id=501)


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    async with redis_client() as client:
        yield client


@pytest.fixture
async def prefix(redis: Redis) -> AsyncIterator[str]:
    async with scratch_prefix(redis, "remnastore:test-gate-") as own:
        yield own


def storage_on(redis: Redis, prefix: str, cache_key: str | None = None) -> GateStorage:
    return GateStorage(
        redis,
        ttl_seconds=600,
        key_builder=DefaultKeyBuilder(prefix=prefix.rstrip(":")),
        prefetch=(lambda _key: [cache_key]) if cache_key is not None else None,
    )


async def until(condition_met: object, what: str, seconds: float = 5.0) -> None:
    """Waits for a state the code exposes (a callable returning bool or an awaitable of bool)."""
    async with asyncio.timeout(seconds):
        while True:
            result = condition_met() if callable(condition_met) else condition_met
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return
            await asyncio.sleep(0.01)
    raise AssertionError(what)


async def test_updates_of_one_chat_run_one_at_a_time_in_one_instance(redis: Redis, prefix: str) -> None:
    storage = storage_on(redis, prefix)
    gate = storage.create_isolation()
    inside = 0
    most = 0

    async def update() -> None:
        nonlocal inside, most
        async with gate.enter(KEY):
            inside += 1
            most = max(most, inside)
            data = await storage.get_data(KEY)
            await redis.ping()  # a round trip while holding the chat
            await storage.set_data(KEY, {"count": data.get("count", 0) + 1})
            inside -= 1

    await asyncio.gather(*(update() for _ in range(20)))
    await gate.close()
    assert most == 1
    assert await storage.get_data(KEY) == {"count": 20}


async def test_a_chat_held_by_one_instance_waits_on_the_other(redis: Redis, prefix: str) -> None:
    async with redis_client() as other_client:
        first = storage_on(redis, prefix)
        second = storage_on(other_client, prefix)
        first_gate, second_gate = first.create_isolation(), second.create_isolation()
        order: list[str] = []

        async def on_second() -> str | None:
            async with second_gate.enter(KEY):
                order.append("second in")
                return await second.get_state(KEY)

        async with first_gate.enter(KEY):
            order.append("first in")
            waiting = asyncio.create_task(on_second())
            await until(lambda: second_gate.waits >= 1, "the second instance never tried the lock")
            assert not waiting.done()
            await first.set_state(KEY, "Prompt:amount")
            order.append("first out")
        assert await waiting == "Prompt:amount"
        assert order == ["first in", "first out", "second in"]
        await first_gate.close()
        await second_gate.close()


async def test_a_released_chat_is_free_without_a_further_update(redis: Redis, prefix: str) -> None:
    storage = storage_on(redis, prefix)
    gate = storage.create_isolation()
    lock_key = storage.key_builder.build(KEY, "lock")
    async with gate.enter(KEY):
        assert await redis.exists(lock_key) == 1

    async def released() -> bool:
        return await redis.exists(lock_key) == 0

    await until(released, "the chat lock was not released", seconds=2.0)  # its TTL is 60 s


async def test_the_gate_gives_the_rate_limiters_verdicts_and_a_refused_update_takes_no_lock(
    redis: Redis, prefix: str
) -> None:
    limits = Limits(events=3, window=60.0, ban=300.0, strikes=2)
    clock = [T0]
    limiter = RedisRateLimiter(redis, limits, clock=lambda: clock[0], prefix=f"{prefix}rl:")
    alone = MemoryRateLimiter(limits)
    storage = storage_on(redis, prefix)
    gate = storage.create_isolation()
    lock_key = storage.key_builder.build(KEY, "lock")
    seen, expected = [], []
    # the fourth hit within a minute is over the limit (a warning), and again a minute later (a ban)
    for offset in (0, 2, 4, 6, 8, 10, 70, 72, 74, 76, 78, 80):
        clock[0] = T0 + offset
        expected.append((await alone.hit(501, clock[0])).kind)
        async with gate.enter(KEY, limiter, 501) as entry:
            seen.append(entry.verdict.kind)
            if not entry.verdict.allowed:
                assert await redis.exists(lock_key) == 0
        await gate.flush()
    assert seen == expected
    assert {VerdictKind.ALLOW, VerdictKind.WARN, VerdictKind.DROP, VerdictKind.BANNED} <= set(seen)
    assert seen[-1] is VerdictKind.BANNED_SILENT


async def test_cached_entries_read_with_the_lock_follow_the_updates_own_writes(
    redis: Redis, prefix: str
) -> None:
    cache = Cache(redis)
    full = Cache.key("customer", f"{prefix}501")
    storage = storage_on(redis, prefix, cache_key=full)
    gate = storage.create_isolation()
    await cache.set("customer", f"{prefix}501", "before", 60)
    try:
        async with gate.enter(KEY):
            assert await cache.get("customer", f"{prefix}501") == "before"
            await cache.delete("customer", [f"{prefix}501"])
            assert await cache.get("customer", f"{prefix}501") is None
            await cache.set("customer", f"{prefix}501", "after", 60)
            assert await cache.get("customer", f"{prefix}501") == "after"
        # outside the update, the cache reads Redis again
        await redis.set(full, "changed elsewhere")
        assert await cache.get("customer", f"{prefix}501") == "changed elsewhere"
    finally:
        await redis.delete(full)
        await gate.close()


async def test_entries_named_by_a_cached_entry_are_read_with_the_lock(redis: Redis, prefix: str) -> None:
    """A customer's referral numbers (by customer id) and panel user (by panel id, or by Telegram id when
    not linked) come in the gate's one request, named by the cached customer's entry; an entry that
    names nothing (or no entry at all) leaves them to the cache's own reads."""
    cache = Cache(redis)
    customer = Cache.key("customer", f"{prefix}501")
    by_id = Derived(customer, ("view.id",), Cache.key("referrals", f"{prefix}"))
    by_ref = Derived(
        customer,
        ("view.panel_user_id", "view.panel_uuid"),
        Cache.key("panel", f"{prefix}ref:"),
        ":d",
        fallback=Cache.key("panel", f"{prefix}tg:501:d"),
    )
    storage = GateStorage(
        redis,
        ttl_seconds=600,
        key_builder=DefaultKeyBuilder(prefix=prefix.rstrip(":")),
        prefetch=lambda _key: [customer, by_id, by_ref],
    )
    gate = storage.create_isolation()
    stored = {
        Cache.key("referrals", f"{prefix}12345678901"): "3 invited",
        Cache.key("panel", f"{prefix}ref:777:d"): "panel user 777",
        Cache.key("panel", f"{prefix}ref:5f0c-uuid:d"): "panel user by uuid",
        Cache.key("panel", f"{prefix}tg:501:d"): "no panel user",
    }
    for full, value in stored.items():
        await redis.set(full, value)

    async def seen_in_one_request(entry: str | None) -> dict[str, str | None]:
        if entry is None:
            await redis.delete(customer)
        else:
            await redis.set(customer, entry)
        async with gate.enter(KEY):
            read = prefetched.get()
            assert read is not None
            # what the cache answers inside the update, with Redis changed behind its back
            for full in stored:
                await redis.set(full, "changed after the gate read")
            answers = {
                full: await cache.get(*full.removeprefix("remnastore:cache:").split(":", 1))
                for full in stored
            }
            for full, value in stored.items():
                await redis.set(full, value)
            return {full: answers[full] for full in read[1] if full != customer}

    try:
        linked = json.dumps({"view": {"id": 12345678901, "panel_user_id": 777, "panel_uuid": "5f0c-uuid"}})
        assert await seen_in_one_request(linked) == {
            Cache.key("referrals", f"{prefix}12345678901"): "3 invited",
            Cache.key("panel", f"{prefix}ref:777:d"): "panel user 777",
        }
        by_uuid = json.dumps({"view": {"id": 12345678901, "panel_user_id": None, "panel_uuid": "5f0c-uuid"}})
        assert (await seen_in_one_request(by_uuid))[Cache.key("panel", f"{prefix}ref:5f0c-uuid:d")] == (
            "panel user by uuid"
        )
        unlinked = json.dumps({"view": {"id": 12345678901, "panel_user_id": None, "panel_uuid": None}})
        assert (await seen_in_one_request(unlinked))[
            Cache.key("panel", f"{prefix}tg:501:d")
        ] == "no panel user"
        # no customer entry, or one that is not JSON: nothing derived is read with the lock
        assert await seen_in_one_request(None) == {}
        assert await seen_in_one_request("not json") == {}
    finally:
        await redis.delete(customer, *stored)
        await gate.close()
