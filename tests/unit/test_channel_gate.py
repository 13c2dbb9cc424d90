"""The required-channel gate's cache and settings."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from pydantic import ValidationError
from redis.asyncio import Redis

from remnastore.config.channel_gate import ChannelGateSettings
from remnastore.services.channel_gate import ChannelGate, MembershipCache

CHANNEL = -1009876543210


class Telegram:
    """Answers the membership question and counts how often it was asked."""

    def __init__(self, member: bool) -> None:
        self.member = member
        self.asked = 0

    async def check(self) -> bool:
        self.asked += 1
        return self.member


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


CACHE_BACKENDS = ["memory"] + (["redis"] if os.environ.get("TEST_REDIS_URL") else [])


@pytest.fixture(params=CACHE_BACKENDS)
async def redis(request: pytest.FixtureRequest) -> AsyncIterator[Redis | None]:
    if request.param == "memory":
        yield None
        return
    client = Redis.from_url(os.environ["TEST_REDIS_URL"])
    await client.flushdb()
    try:
        yield client
    finally:
        await client.flushdb()
        await client.aclose()


async def test_a_confirmed_membership_is_cached_and_forgotten(redis: Redis | None) -> None:
    gate = ChannelGate(CHANNEL, MembershipCache(CHANNEL, 600, redis))
    telegram = Telegram(member=True)
    assert await gate.is_member(42, telegram.check)
    assert await gate.is_member(42, telegram.check)
    assert telegram.asked == 1 and (gate.hits, gate.misses) == (1, 1)
    if redis is not None:
        ttl = await redis.ttl(f"remnastore:member:{CHANNEL}:42")
        assert 590 <= ttl <= 600

    telegram.member = False
    assert await gate.is_member(42, telegram.check, fresh=True) is False
    assert telegram.asked == 2
    await gate.is_member(42, telegram.check)
    assert telegram.asked == 3  # a non-member is never cached

    telegram.member = True
    await gate.is_member(42, telegram.check)
    await gate.forget(42)
    await gate.is_member(42, telegram.check)
    assert telegram.asked == 5


async def test_the_in_process_cache_expires_after_the_ttl() -> None:
    clock = Clock()
    gate = ChannelGate(CHANNEL, MembershipCache(CHANNEL, 60, clock=clock))
    telegram = Telegram(member=True)
    await gate.is_member(7, telegram.check)
    clock.now += 59
    await gate.is_member(7, telegram.check)
    assert telegram.asked == 1
    clock.now += 2
    await gate.is_member(7, telegram.check)
    assert telegram.asked == 2


async def test_ttl_zero_checks_every_time() -> None:
    gate = ChannelGate(CHANNEL, MembershipCache(CHANNEL, 0))
    telegram = Telegram(member=True)
    for _ in range(3):
        assert await gate.is_member(7, telegram.check)
    assert telegram.asked == 3


async def test_an_unreachable_redis_is_a_miss_not_an_error() -> None:
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    try:
        gate = ChannelGate(CHANNEL, MembershipCache(CHANNEL, 600, dead))
        telegram = Telegram(member=True)
        assert await gate.is_member(7, telegram.check)
        assert await gate.is_member(7, telegram.check)
        assert telegram.asked == 2
        await gate.forget(7)
    finally:
        await dead.aclose()


async def test_check_errors_propagate_and_nothing_is_cached() -> None:
    gate = ChannelGate(CHANNEL, MembershipCache(CHANNEL, 600))

    async def failing() -> bool:
        raise RuntimeError("telegram is down")

    with pytest.raises(RuntimeError, match="telegram is down"):
        await gate.is_member(7, failing)
    telegram = Telegram(member=False)
    assert await gate.is_member(7, telegram.check) is False


def test_settings() -> None:
    off = ChannelGateSettings(_env_file=None)
    assert not off.enabled and off.check_ttl_seconds == 600
    assert ChannelGate.from_settings(off, None) is None
    on = ChannelGateSettings(
        _env_file=None, REQUIRED_CHANNEL_ID=str(CHANNEL), REQUIRED_CHANNEL_URL=" https://t.me/news "
    )
    assert on.enabled and on.required_channel_url == "https://t.me/news"
    gate = ChannelGate.from_settings(on, None)
    assert gate is not None and gate.channel_id == CHANNEL
    blank = ChannelGateSettings(_env_file=None, REQUIRED_CHANNEL_ID="", REQUIRED_CHANNEL_URL="")
    assert not blank.enabled
    for values, variable in (
        ({"REQUIRED_CHANNEL_ID": str(CHANNEL)}, "REQUIRED_CHANNEL_ID"),
        ({"REQUIRED_CHANNEL_ID": "12345", "REQUIRED_CHANNEL_URL": "https://t.me/x"}, "REQUIRED_CHANNEL_ID"),
        ({"REQUIRED_CHANNEL_ID": str(CHANNEL), "REQUIRED_CHANNEL_URL": "t.me/x"}, "REQUIRED_CHANNEL_URL"),
        ({"CHANNEL_CHECK_TTL_SECONDS": "-1"}, "CHANNEL_CHECK_TTL_SECONDS"),
    ):
        with pytest.raises(ValidationError) as error:
            ChannelGateSettings(_env_file=None, **values)
        assert error.value.errors()[0]["loc"] == (variable,)
