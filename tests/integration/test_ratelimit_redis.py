"""The Redis rate limiter: atomic under concurrency, shared by instances, driven by an explicit clock."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from remnastore.infra.ratelimit import (
    KEY_PREFIX,
    Limits,
    MemoryRateLimiter,
    RateLimitSettings,
    RedisRateLimiter,
    Verdict,
    VerdictKind,
    build_rate_limiter,
)
from tests.fixtures.redis_keys import redis_client, scratch_prefix

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="TEST_REDIS_URL is not set"),
]

T0 = 1_700_000_000.0
LIMITS = Limits(events=20, window=60.0, ban=300.0, strikes=2)


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    async with redis_client() as client:
        yield client


@pytest.fixture
async def prefix(redis: Redis) -> AsyncIterator[str]:
    """A key prefix of this test only; its keys are removed afterwards (nothing else is touched)."""
    async with scratch_prefix(redis, f"{KEY_PREFIX}test-") as own:
        yield own


async def test_concurrent_hits_from_one_customer_let_exactly_the_limit_through(
    redis: Redis, prefix: str
) -> None:
    limiter = RedisRateLimiter(redis, LIMITS, prefix=prefix)
    verdicts = await asyncio.gather(*(limiter.hit(42, T0) for _ in range(200)))
    counts = Counter(v.kind for v in verdicts)
    assert counts == {VerdictKind.ALLOW: 20, VerdictKind.WARN: 1, VerdictKind.DROP: 179}


async def test_two_instances_share_the_window_and_the_ban(redis: Redis, prefix: str) -> None:
    first = RedisRateLimiter(redis, LIMITS, prefix=prefix)
    other_client = Redis.from_url(os.environ["TEST_REDIS_URL"])
    try:
        second = RedisRateLimiter(other_client, LIMITS, prefix=prefix)
        halves = await asyncio.gather(
            *(first.hit(7, T0 + i / 1000) for i in range(10)),
            *(second.hit(7, T0 + i / 1000) for i in range(10)),
        )
        assert all(v.kind is VerdictKind.ALLOW for v in halves)
        assert (await second.hit(7, T0 + 1)).kind is VerdictKind.WARN
        assert (await first.hit(7, T0 + 2)).kind is VerdictKind.DROP
        # after the excess window the customer floods again: the second strike bans on both instances
        allowed = [await first.hit(7, T0 + 61 + i / 100) for i in range(20)]
        assert {v.kind for v in allowed} == {VerdictKind.ALLOW}
        banned = await second.hit(7, T0 + 62)
        assert banned.kind is VerdictKind.BANNED
        assert banned.ban_until == pytest.approx(T0 + 62 + 300)
        assert await first.is_banned(7, T0 + 100)
        silent = await first.hit(7, T0 + 100)
        assert silent.kind is VerdictKind.BANNED_SILENT
        assert silent.ban_until == pytest.approx(T0 + 362)
        # another customer is not affected
        assert (await first.hit(8, T0 + 100)).kind is VerdictKind.ALLOW
    finally:
        await other_client.aclose()


async def test_the_ban_ends_by_the_clock_and_unban_lifts_it(redis: Redis, prefix: str) -> None:
    limiter = RedisRateLimiter(redis, Limits(events=2, window=10.0, ban=30.0, strikes=1), prefix=prefix)
    assert [(await limiter.hit(5, T0)).kind for _ in range(3)] == [
        VerdictKind.ALLOW,
        VerdictKind.ALLOW,
        VerdictKind.BANNED,
    ]
    assert await limiter.is_banned(5, T0 + 29.9)
    assert (await limiter.hit(5, T0 + 29.9)).kind is VerdictKind.BANNED_SILENT
    assert not await limiter.is_banned(5, T0 + 30.1)
    assert (await limiter.hit(5, T0 + 30.1)).kind is VerdictKind.ALLOW
    # banned again, then lifted by hand
    await limiter.hit(5, T0 + 30.2)
    assert (await limiter.hit(5, T0 + 30.3)).kind is VerdictKind.BANNED
    await limiter.unban(5)
    assert not await limiter.is_banned(5, T0 + 31)
    assert (await limiter.hit(5, T0 + 31)).kind is VerdictKind.ALLOW


async def test_redis_and_memory_limiters_agree(redis: Redis, prefix: str) -> None:
    limits = Limits(events=3, window=10.0, ban=60.0, strikes=2)
    shared = RedisRateLimiter(redis, limits, prefix=prefix)
    local = MemoryRateLimiter(limits)
    moments = [T0 + step * 0.7 for step in range(60)] + [T0 + 200 + step for step in range(10)]
    for now in moments:
        a, b = await shared.hit(3, now), await local.hit(3, now)
        assert (a.kind, a.ban_until) == (b.kind, pytest.approx(b.ban_until) if b.ban_until else None), now


async def test_keys_expire_and_carry_the_prefix(redis: Redis, prefix: str) -> None:
    limiter = RedisRateLimiter(redis, Limits(events=1, window=10.0, ban=30.0, strikes=2), prefix=prefix)
    await limiter.hit(9, T0)
    await limiter.hit(9, T0)  # a warning writes the strike state
    keys = sorted([key.decode() async for key in redis.scan_iter(match=f"{prefix}*")])
    assert keys == [f"{prefix}9", f"{prefix}9:hits"]
    for key in keys:
        ttl = await redis.pttl(key)
        assert 0 < ttl <= 100_000


async def test_the_clock_drives_it_and_a_ban_ends_exactly_at_its_end(redis: Redis, prefix: str) -> None:
    now = [T0]
    limits = Limits(events=1, window=10.0, ban=100.0, strikes=1)
    limiter = RedisRateLimiter(redis, limits, prefix=prefix, clock=lambda: now[0])
    assert (await limiter.hit(7)).kind is VerdictKind.ALLOW
    banned = await limiter.hit(7)
    assert banned.kind is VerdictKind.BANNED and banned.ban_until == T0 + 100
    assert await limiter.is_banned(7) and await limiter.is_banned(7, T0 + 99.999)
    assert not await limiter.is_banned(7, T0 + 100)
    now[0] = T0 + 100
    assert not await limiter.is_banned(7)
    assert (await limiter.hit(7)).kind is VerdictKind.ALLOW


async def test_the_settings_choose_the_redis_limiter_when_there_is_redis(redis: Redis) -> None:
    settings = RateLimitSettings(RATE_LIMIT_EVENTS=1, RATE_LIMIT_WINDOW_SECONDS=10, RATE_LIMIT_STRIKES=1)
    limiter = build_rate_limiter(settings, redis, clock=lambda: T0)
    assert isinstance(limiter, RedisRateLimiter)
    assert limiter.limits == Limits(events=1, window=10.0, ban=300.0, strikes=1)
    customer = 987_654_321  # under the shop's own prefix: removed below
    try:
        assert (await limiter.hit(customer)).kind is VerdictKind.ALLOW
        assert await limiter.hit(customer) == Verdict(VerdictKind.BANNED, T0 + 300)  # the clock's time
        assert await limiter.is_banned(customer)
    finally:
        await limiter.unban(customer)
    assert not await limiter.is_banned(customer)
