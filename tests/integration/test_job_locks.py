"""Job locks in Redis: one owner per job and period, renewal by the owner only, ownership checks for
fencing; a scheduler run that lost its lock commits nothing through the database."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from remnastore.infra.cluster_lock import RedisLock
from remnastore.infra.fencing import FenceLost, current_fence, verify_fence
from remnastore.jobs.scheduler import Job, RunFence, Scheduler
from tests.fixtures.redis_keys import redis_client, scratch_prefix

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="TEST_REDIS_URL is not set"),
]


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    async with redis_client() as client:
        yield client


@pytest.fixture
async def prefix(redis: Redis) -> AsyncIterator[str]:
    """A key prefix of this test only; its keys are removed afterwards (nothing else is touched)."""
    async with scratch_prefix(redis, "remnastore:test-job-") as own:
        yield own


async def test_one_owner_renews_and_the_other_cannot(redis: Redis, prefix: str) -> None:
    first, second = RedisLock(redis, prefix), RedisLock(redis, prefix)
    assert await first.acquire("sync", 5.0)
    assert not await second.acquire("sync", 5.0)
    assert await first.holds("sync") and not await second.holds("sync")

    assert await first.renew("sync", 60.0)
    assert await redis.pttl(f"{prefix}sync") > 30_000
    assert not await second.renew("sync", 60.0)

    # the lock expired and the other instance took the job over
    await redis.delete(f"{prefix}sync")
    assert await second.acquire("sync", 5.0)
    assert not await first.holds("sync")
    assert not await first.renew("sync", 60.0)
    assert await redis.get(f"{prefix}sync") is not None and await second.holds("sync")


async def test_a_fence_checks_ownership_only_while_its_run_lasts(redis: Redis, prefix: str) -> None:
    lock = RedisLock(redis, prefix)
    assert await lock.acquire("backup", 5.0)
    fence = RunFence(lock, "backup")
    token = current_fence.set(fence)
    try:
        await verify_fence()  # still the owner
        await redis.set(f"{prefix}backup", "someone-else")
        with pytest.raises(FenceLost, match="lost its lock"):
            await verify_fence()
        fence.active = False  # after the run, work it spawned is not held back
        await verify_fence()
    finally:
        current_fence.reset(token)
    await verify_fence()  # outside any run: nothing to check


async def test_the_scheduler_runs_a_job_once_per_lock_period(redis: Redis, prefix: str) -> None:
    runs: list[str] = []

    async def work() -> None:
        runs.append("ran")

    schedulers = [Scheduler(RedisLock(redis, prefix)) for _ in range(3)]
    for scheduler in schedulers:
        scheduler.add(Job("report", 3600.0, work, first_delay=3600.0))
    outcomes = [await scheduler.run_now("report") for scheduler in schedulers]
    assert outcomes.count(True) == 1 and runs == ["ran"]
