"""The in-process rate limiter, driven by an explicit clock."""

from __future__ import annotations

import pytest

from remnastore.infra.ratelimit import (
    Limits,
    MemoryRateLimiter,
    RateLimitSettings,
    Verdict,
    VerdictKind,
    build_rate_limiter,
)

T0 = 1_700_000_000.0
LIMITS = Limits(events=3, window=10.0, ban=60.0, strikes=2)


async def kinds(limiter: MemoryRateLimiter, key: int, times: list[float]) -> list[VerdictKind]:
    return [(await limiter.hit(key, now)).kind for now in times]


async def test_events_within_the_window_are_allowed_then_one_warning_then_silence() -> None:
    limiter = MemoryRateLimiter(LIMITS)
    result = await kinds(limiter, 1, [T0, T0 + 1, T0 + 2, T0 + 3, T0 + 4, T0 + 5])
    assert result == [VerdictKind.ALLOW] * 3 + [VerdictKind.WARN, VerdictKind.DROP, VerdictKind.DROP]
    assert await limiter.hit(1, T0 + 5) == Verdict.DROP


async def test_the_window_slides() -> None:
    limiter = MemoryRateLimiter(Limits(events=2, window=10.0, ban=60.0, strikes=5))
    assert await kinds(limiter, 1, [T0, T0 + 6]) == [VerdictKind.ALLOW] * 2
    assert (await limiter.hit(1, T0 + 9.9)).kind is VerdictKind.WARN
    # the hit at T0 leaves the window at T0 + 10; the one at T0 + 6 is still in it
    assert (await limiter.hit(1, T0 + 10.0)).kind is VerdictKind.ALLOW
    assert (await limiter.hit(1, T0 + 10.5)).kind is VerdictKind.DROP  # still the same excess window


async def test_excess_updates_are_not_counted() -> None:
    limiter = MemoryRateLimiter(Limits(events=2, window=10.0, ban=60.0, strikes=10))
    await kinds(limiter, 1, [T0, T0 + 1])
    assert (
        await kinds(limiter, 1, [T0 + 2 + i / 100 for i in range(50)])
        == [VerdictKind.WARN] + [VerdictKind.DROP] * 49
    )
    # the dropped flood did not fill the window: once the two accepted hits leave it, two more pass
    assert await kinds(limiter, 1, [T0 + 11.5, T0 + 11.6]) == [VerdictKind.ALLOW] * 2


async def test_a_second_excess_window_bans_and_the_ban_ends_by_the_clock() -> None:
    limiter = MemoryRateLimiter(LIMITS)
    await kinds(limiter, 7, [T0, T0 + 1, T0 + 2])
    assert (await limiter.hit(7, T0 + 3)).kind is VerdictKind.WARN
    # the excess window (10 s from the warning) is over and the limit is exceeded again
    assert await kinds(limiter, 7, [T0 + 13.1, T0 + 13.2, T0 + 13.3]) == [VerdictKind.ALLOW] * 3
    banned = await limiter.hit(7, T0 + 13.4)
    assert banned.kind is VerdictKind.BANNED
    assert banned.ban_until == pytest.approx(T0 + 13.4 + 60)
    assert await limiter.is_banned(7, T0 + 20)
    silent = await limiter.hit(7, T0 + 20)
    assert silent.kind is VerdictKind.BANNED_SILENT and silent.ban_until == banned.ban_until
    assert await limiter.is_banned(7, T0 + 73.3)
    assert not await limiter.is_banned(7, T0 + 73.5)
    # a fresh start after the ban: the full allowance, and the strikes were forgotten
    assert await kinds(limiter, 7, [T0 + 74, T0 + 74, T0 + 74, T0 + 74]) == [VerdictKind.ALLOW] * 3 + [
        VerdictKind.WARN
    ]


async def test_one_strike_bans_at_once() -> None:
    limiter = MemoryRateLimiter(Limits(events=1, window=10.0, ban=30.0, strikes=1))
    assert (await limiter.hit(1, T0)).kind is VerdictKind.ALLOW
    assert (await limiter.hit(1, T0 + 1)).kind is VerdictKind.BANNED


async def test_strikes_are_forgotten_after_a_quiet_period() -> None:
    limits = Limits(events=1, window=10.0, ban=60.0, strikes=2)
    limiter = MemoryRateLimiter(limits)
    await kinds(limiter, 1, [T0, T0 + 1])  # allow, warn (strike 1)
    later = T0 + 1 + limits.strike_memory + 1
    assert await kinds(limiter, 1, [later, later + 1]) == [VerdictKind.ALLOW, VerdictKind.WARN]


async def test_customers_are_independent_and_unban_clears_the_state() -> None:
    limiter = MemoryRateLimiter(Limits(events=1, window=10.0, ban=60.0, strikes=1))
    await kinds(limiter, 1, [T0, T0])
    assert await limiter.is_banned(1, T0)
    assert (await limiter.hit(2, T0)).kind is VerdictKind.ALLOW
    await limiter.unban(1)
    assert not await limiter.is_banned(1, T0)
    assert (await limiter.hit(1, T0 + 1)).kind is VerdictKind.ALLOW


async def test_idle_customers_are_forgotten() -> None:
    limiter = MemoryRateLimiter(LIMITS)
    for key in range(1000):
        await limiter.hit(key, T0)
    assert len(limiter) == 1000
    await limiter.hit(5000, T0 + 11)
    assert len(limiter) == 1
    banned = MemoryRateLimiter(Limits(events=1, window=10.0, ban=60.0, strikes=1))
    await kinds(banned, 1, [T0, T0])
    await banned.hit(2, T0 + 30)
    assert len(banned) == 2  # a running ban is kept
    await banned.hit(2, T0 + 61)
    assert len(banned) == 1 and not await banned.is_banned(1, T0 + 61)


async def test_the_number_of_tracked_customers_is_capped() -> None:
    limiter = MemoryRateLimiter(LIMITS, max_keys=100)
    for key in range(250):
        await limiter.hit(key, T0)
    assert len(limiter) == 100


async def test_the_injected_clock_is_used_when_no_time_is_given() -> None:
    now = [T0]
    limiter = MemoryRateLimiter(Limits(events=1, window=10.0, ban=60.0, strikes=1), clock=lambda: now[0])
    assert (await limiter.hit(1)).allowed
    verdict = await limiter.hit(1)
    assert verdict.kind is VerdictKind.BANNED and verdict.ban_until == T0 + 60
    now[0] = T0 + 61
    assert not await limiter.is_banned(1)


def test_settings_defaults_and_building() -> None:
    settings = RateLimitSettings(_env_file=None)
    assert (settings.events, settings.window_seconds, settings.ban_seconds, settings.strikes) == (
        90,
        60,
        300,
        2,
    )
    assert settings.enabled
    assert isinstance(build_rate_limiter(settings, None), MemoryRateLimiter)
    off = RateLimitSettings(_env_file=None, RATE_LIMIT_ENABLED="false")
    assert build_rate_limiter(off, None) is None
    for field in RateLimitSettings.model_fields.values():
        assert field.description


def human_presses(minutes: int, start: float = T0) -> list[float]:
    """A fast human navigating: 40 presses a minute, in bursts of 5 presses 0.2 s apart (several a
    second), then reading the answer for a few seconds."""
    times: list[float] = []
    for minute in range(minutes):
        for burst in range(8):
            times += [start + minute * 60 + burst * 7.5 + press * 0.2 for press in range(5)]
    return times


async def test_with_the_shipped_defaults_a_fast_human_is_never_throttled() -> None:
    limiter = build_rate_limiter(RateLimitSettings(_env_file=None), None)
    assert isinstance(limiter, MemoryRateLimiter)
    presses = human_presses(10)
    assert len(presses) == 400 and presses[39] - presses[0] < 60  # 40 presses within each minute
    assert set(await kinds(limiter, 1, presses)) == {VerdictKind.ALLOW}


async def test_with_the_shipped_defaults_a_script_is_warned_within_seconds_then_paused() -> None:
    limiter = build_rate_limiter(RateLimitSettings(_env_file=None), None)
    assert isinstance(limiter, MemoryRateLimiter)
    script = [T0 + i / 10 for i in range(10 * 90)]  # ten updates a second for a minute and a half
    result = await kinds(limiter, 2, script)
    first_refusal = next(i for i, kind in enumerate(result) if kind is not VerdictKind.ALLOW)
    assert result[first_refusal] is VerdictKind.WARN and script[first_refusal] - T0 < 10
    assert VerdictKind.BANNED in result
    assert result.count(VerdictKind.ALLOW) < 200  # most of the flood never reaches the shop
