"""The in-process rate limiter at the exact edges of its windows, its settings, and its memory bound.

Time is moved explicitly (every call takes ``now``), so each boundary is hit exactly.
"""

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

T0 = 1_000_000.0
LIMITS = Limits(events=2, window=10.0, ban=100.0, strikes=2)


async def _fill(limiter: MemoryRateLimiter, key: int, now: float) -> None:
    """Use up the key's window at ``now``."""
    for _ in range(limiter.limits.events):
        assert await limiter.hit(key, now) == Verdict.ALLOW


async def test_a_ban_ends_exactly_at_its_end() -> None:
    limiter = MemoryRateLimiter(LIMITS)
    await _fill(limiter, 1, T0)
    assert await limiter.hit(1, T0) == Verdict.WARN
    await _fill(limiter, 1, T0 + 10)  # the window moved on; the strike is remembered
    banned = await limiter.hit(1, T0 + 10)
    assert banned == Verdict(VerdictKind.BANNED, T0 + 110)
    assert await limiter.is_banned(1, T0 + 109.999)
    assert await limiter.hit(1, T0 + 109.999) == Verdict(VerdictKind.BANNED_SILENT, T0 + 110)
    assert not await limiter.is_banned(1, T0 + 110)
    assert await limiter.hit(1, T0 + 110) == Verdict.ALLOW


async def test_the_excess_window_ends_exactly_a_window_after_the_warning() -> None:
    limiter = MemoryRateLimiter(Limits(events=2, window=10.0, ban=100.0, strikes=3))
    await _fill(limiter, 1, T0)
    assert await limiter.hit(1, T0 + 5) == Verdict.WARN  # excess window: T0+5 .. T0+15
    await _fill(limiter, 1, T0 + 10)  # T0's hits left the window
    assert await limiter.hit(1, T0 + 14.999) == Verdict.DROP
    assert await limiter.hit(1, T0 + 15) == Verdict.WARN  # a new strike, not yet the third


async def test_strikes_are_remembered_for_exactly_ten_windows() -> None:
    remembered = MemoryRateLimiter(LIMITS, max_keys=10)
    await _fill(remembered, 1, T0)
    assert await remembered.hit(1, T0) == Verdict.WARN
    later = T0 + LIMITS.strike_memory  # 100 s later: still remembered
    assert await remembered.hit(2, later - 1) == Verdict.ALLOW  # (the once-a-window sweep runs here)
    await _fill(remembered, 1, later)
    assert (await remembered.hit(1, later)).kind is VerdictKind.BANNED

    forgotten = MemoryRateLimiter(LIMITS)
    await _fill(forgotten, 1, T0)
    assert await forgotten.hit(1, T0) == Verdict.WARN
    after = T0 + LIMITS.strike_memory + 0.001
    assert await forgotten.hit(2, after - 1) == Verdict.ALLOW  # the sweep runs here, not at `after`
    await _fill(forgotten, 1, after)
    assert await forgotten.hit(1, after) == Verdict.WARN


async def test_the_least_recently_active_customer_is_forgotten_first() -> None:
    limiter = MemoryRateLimiter(LIMITS, max_keys=2)
    await _fill(limiter, 1, T0)
    assert await limiter.hit(2, T0) == Verdict.ALLOW
    assert await limiter.hit(1, T0) == Verdict.WARN  # 1 is now the most recently active
    assert await limiter.hit(3, T0) == Verdict.ALLOW  # 2 is forgotten, not 1 and not 3
    assert len(limiter) == 2
    assert await limiter.hit(1, T0) == Verdict.DROP  # 1 is still remembered
    assert await limiter.hit(3, T0) == Verdict.ALLOW
    assert await limiter.hit(3, T0) == Verdict.WARN  # 3 was kept: this is its third hit


async def test_unban_forgets_the_customer_and_unknown_customers_are_fine() -> None:
    limiter = MemoryRateLimiter(LIMITS)
    await limiter.unban(42)  # nobody to forget
    await _fill(limiter, 1, T0)
    await limiter.hit(1, T0)
    await _fill(limiter, 1, T0 + 10)
    await limiter.hit(1, T0 + 10)
    assert await limiter.is_banned(1, T0 + 11)
    await limiter.unban(1)
    assert not await limiter.is_banned(1, T0 + 11)
    assert await limiter.hit(1, T0 + 11) == Verdict.ALLOW
    assert len(limiter) == 1


async def test_the_clock_is_used_when_no_time_is_given() -> None:
    now = [T0]
    limiter = MemoryRateLimiter(LIMITS, clock=lambda: now[0])
    await _fill(limiter, 1, T0)
    assert await limiter.hit(1) == Verdict.WARN
    now[0] = T0 + 10
    await _fill(limiter, 1, T0 + 10)
    assert (await limiter.hit(1)).kind is VerdictKind.BANNED
    assert await limiter.is_banned(1)
    now[0] = T0 + 110
    assert not await limiter.is_banned(1)


async def test_idle_customers_are_swept_once_a_window_and_busy_ones_kept() -> None:
    limiter = MemoryRateLimiter(LIMITS)
    assert await limiter.hit(1, T0) == Verdict.ALLOW
    await _fill(limiter, 2, T0 + 5)
    assert await limiter.hit(2, T0 + 5) == Verdict.WARN  # a strike: remembered for 100 s
    assert len(limiter) == 2
    assert await limiter.hit(3, T0 + 10) == Verdict.ALLOW  # sweep: 1's hit has left the window
    assert len(limiter) == 2  # 2 (strike) and 3 remain
    await _fill(limiter, 2, T0 + 15)
    assert (await limiter.hit(2, T0 + 15)).kind is VerdictKind.BANNED  # the strike survived the sweep


async def test_a_customer_within_the_window_is_not_swept() -> None:
    limiter = MemoryRateLimiter(LIMITS)
    assert await limiter.hit(1, T0) == Verdict.ALLOW
    assert await limiter.hit(2, T0 + 9) == Verdict.ALLOW
    assert await limiter.hit(3, T0 + 10) == Verdict.ALLOW  # a sweep: 1 idle, 2 still in its window
    assert len(limiter) == 2
    assert await limiter.hit(2, T0 + 10) == Verdict.ALLOW
    assert await limiter.hit(2, T0 + 10) == Verdict.WARN  # 2's first hit was kept


@pytest.mark.parametrize(
    "bad",
    [
        {"events": 0},
        {"window": 0.0},
        {"window": -1.0},
        {"ban": 0.0},
        {"strikes": 0},
    ],
)
def test_limits_must_be_positive(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"^rate limits must be positive$"):
        Limits(**bad)  # type: ignore[arg-type]


def test_the_smallest_limits_are_accepted() -> None:
    assert Limits(events=1, window=0.001, ban=0.001, strikes=1).strike_memory == pytest.approx(0.01)


async def test_limits_come_from_the_settings() -> None:
    settings = RateLimitSettings(
        RATE_LIMIT_EVENTS=7, RATE_LIMIT_WINDOW_SECONDS=30, RATE_LIMIT_BAN_SECONDS=600, RATE_LIMIT_STRIKES=4
    )
    assert Limits.from_settings(settings) == Limits(events=7, window=30.0, ban=600.0, strikes=4)
    limiter = build_rate_limiter(settings, None, clock=lambda: T0)
    assert isinstance(limiter, MemoryRateLimiter) and limiter.limits == Limits(7, 30.0, 600.0, 4)
    for _ in range(7):
        assert await limiter.hit(1) == Verdict.ALLOW  # at the clock's time, T0
    assert await limiter.hit(1, T0 + 30) == Verdict.ALLOW  # T0's hits have left the window
    assert build_rate_limiter(RateLimitSettings(RATE_LIMIT_ENABLED=False), None) is None
