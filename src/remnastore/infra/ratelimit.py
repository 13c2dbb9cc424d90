"""Per-customer rate limiting: a sliding window, a warning, then a temporary ban for repeated floods.

Semantics (the same for the Redis and the in-process limiter):

* every customer may send ``events`` updates per sliding ``window`` seconds (only accepted updates count);
* the first update over the limit opens an *excess window* of ``window`` seconds and is a strike: the
  verdict is WARN (the caller sends one polite warning); further excess in that excess window is DROP
  (silently ignored);
* the ``strikes``-th strike (strikes are forgotten after ``STRIKE_MEMORY_WINDOWS`` quiet windows) bans the
  customer for ``ban_seconds``: the verdict is BANNED once (the caller says until when), then
  BANNED_SILENT for every update until the ban ends; the ban starts the customer afresh.

Time is seconds since the epoch; every call takes ``now`` so that tests move time instead of sleeping.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar, Protocol

from redis.asyncio import Redis

from remnastore.infra.tokens import unique_token
from remnastore.settings_base import SettingsGroup, env

KEY_PREFIX = "remnastore:rl:"
STRIKE_MEMORY_WINDOWS = 10
#: Updates per minute a customer may send. A person navigating the menus waits for each answer, so even a
#: fast one stays near 40 presses a minute (in bursts of several a second, then reading); 90 is more than
#: twice that, and a script firing several updates a second still crosses it within seconds.
DEFAULT_EVENTS = 90


class RateLimitSettings(SettingsGroup):
    enabled: bool = env(
        "RATE_LIMIT_ENABLED", True, description="Throttle customers who send too many updates (true/false)"
    )
    events: int = env(
        "RATE_LIMIT_EVENTS",
        DEFAULT_EVENTS,
        ge=1,
        le=10_000,
        description=(
            "How many updates (messages and button presses) one customer may send per"
            " RATE_LIMIT_WINDOW_SECONDS; the default leaves room for a fast human (about 40 presses a"
            " minute, bursts of several a second) and stops a script within seconds"
        ),
    )
    window_seconds: int = env(
        "RATE_LIMIT_WINDOW_SECONDS", 60, ge=1, le=86_400, description="Length of the sliding window, seconds"
    )
    ban_seconds: int = env(
        "RATE_LIMIT_BAN_SECONDS",
        300,
        ge=1,
        le=7 * 86_400,
        description="How long a customer who keeps flooding is ignored, seconds",
    )
    strikes: int = env(
        "RATE_LIMIT_STRIKES",
        2,
        ge=1,
        le=100,
        description="How many windows over the limit (the first one gets a warning) lead to a ban",
    )


class VerdictKind(StrEnum):
    ALLOW = "allow"
    WARN = "warn"
    DROP = "drop"
    BANNED = "banned"
    BANNED_SILENT = "banned_silent"


@dataclass(frozen=True)
class Verdict:
    """What to do with one update; ``ban_until`` (epoch seconds) is set while the customer is banned."""

    kind: VerdictKind
    ban_until: float | None = None

    ALLOW: ClassVar[Verdict]
    WARN: ClassVar[Verdict]
    DROP: ClassVar[Verdict]

    @property
    def allowed(self) -> bool:
        return self.kind is VerdictKind.ALLOW


Verdict.ALLOW = Verdict(VerdictKind.ALLOW)
Verdict.WARN = Verdict(VerdictKind.WARN)
Verdict.DROP = Verdict(VerdictKind.DROP)


class RateLimiter(Protocol):
    async def hit(self, customer_key: int, now: float | None = None) -> Verdict: ...

    async def unban(self, customer_key: int) -> None: ...

    async def is_banned(self, customer_key: int, now: float | None = None) -> bool: ...


@dataclass(frozen=True)
class Limits:
    events: int = DEFAULT_EVENTS
    window: float = 60.0
    ban: float = 300.0
    strikes: int = 2

    def __post_init__(self) -> None:
        if self.events < 1 or self.window <= 0 or self.ban <= 0 or self.strikes < 1:
            raise ValueError("rate limits must be positive")

    @classmethod
    def from_settings(cls, settings: RateLimitSettings) -> Limits:
        return cls(
            events=settings.events,
            window=float(settings.window_seconds),
            ban=float(settings.ban_seconds),
            strikes=settings.strikes,
        )

    @property
    def strike_memory(self) -> float:
        return self.window * STRIKE_MEMORY_WINDOWS


# --------------------------------------------------------------------------------------------- memory


@dataclass
class _State:
    hits: deque[float] = field(default_factory=deque)
    warn_until: float = 0.0
    strikes: int = 0
    strike_at: float = 0.0
    ban_until: float = 0.0

    def idle_after(self, limits: Limits) -> float:
        """The moment after which this state no longer affects any verdict."""
        last_hit = self.hits[-1] if self.hits else 0.0
        strike_end = self.strike_at + limits.strike_memory if self.strikes else 0.0
        return max(last_hit + limits.window, self.warn_until, strike_end, self.ban_until)


class MemoryRateLimiter:
    """The limiter for a single instance. Memory stays bounded: states that can no longer affect a
    verdict are swept once per window, and at most ``max_keys`` customers are tracked (least recently
    active forgotten first)."""

    def __init__(
        self, limits: Limits, *, clock: Callable[[], float] = time.time, max_keys: int = 100_000
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._max_keys = max_keys
        self._states: OrderedDict[int, _State] = OrderedDict()
        self._last_sweep = 0.0

    def __len__(self) -> int:
        return len(self._states)

    async def hit(self, customer_key: int, now: float | None = None) -> Verdict:
        now = self._clock() if now is None else now
        self._sweep(now)
        limits = self.limits
        state = self._states.get(customer_key)
        if state is None:
            state = self._states[customer_key] = _State()
            while len(self._states) > self._max_keys:
                self._states.popitem(last=False)
        else:
            self._states.move_to_end(customer_key)
        if state.ban_until > now:
            return Verdict(VerdictKind.BANNED_SILENT, state.ban_until)
        while state.hits and state.hits[0] <= now - limits.window:
            state.hits.popleft()
        if len(state.hits) < limits.events:
            state.hits.append(now)
            return Verdict.ALLOW
        if state.warn_until > now:
            return Verdict.DROP
        strikes = state.strikes if now - state.strike_at <= limits.strike_memory else 0
        strikes += 1
        if strikes >= limits.strikes:
            self._states[customer_key] = _State(ban_until=now + limits.ban)
            return Verdict(VerdictKind.BANNED, now + limits.ban)
        state.strikes, state.strike_at, state.warn_until = strikes, now, now + limits.window
        return Verdict.WARN

    async def unban(self, customer_key: int) -> None:
        self._states.pop(customer_key, None)

    async def is_banned(self, customer_key: int, now: float | None = None) -> bool:
        now = self._clock() if now is None else now
        state = self._states.get(customer_key)
        return state is not None and state.ban_until > now

    def _sweep(self, now: float) -> None:
        if now - self._last_sweep < self.limits.window:
            return
        self._last_sweep = now
        idle = [key for key, state in self._states.items() if state.idle_after(self.limits) <= now]
        for key in idle:
            del self._states[key]


# ---------------------------------------------------------------------------------------------- Redis

# The verdict as a Lua function, so that another script can run it in the same request (the update gate:
# rate limit, chat lock and conversation state in one round trip, see bot/update_gate.py).
# state: hash (warn_until, strikes, strike_at, ban_until), hits: sorted set of accepted hits; times in ms.
# Returns {code, ban_until_ms}: 0 allow, 1 warn, 2 drop, 3 banned, 4 banned_silent.
HIT_FUNCTION = """
local function rate_limit_hit(state, hits, now, window, events, needed, ban, member, memory)
  local ban_until = tonumber(redis.call('HGET', state, 'ban_until') or '0')
  if ban_until > now then
    return {4, ban_until}
  end
  redis.call('ZREMRANGEBYSCORE', hits, '-inf', now - window)
  if redis.call('ZCARD', hits) < events then
    redis.call('ZADD', hits, now, member)
    redis.call('PEXPIRE', hits, window)
    return {0, 0}
  end
  local warn_until = tonumber(redis.call('HGET', state, 'warn_until') or '0')
  if warn_until > now then
    return {2, 0}
  end
  local strikes = tonumber(redis.call('HGET', state, 'strikes') or '0')
  local strike_at = tonumber(redis.call('HGET', state, 'strike_at') or '0')
  if now - strike_at > memory then
    strikes = 0
  end
  strikes = strikes + 1
  if strikes >= needed then
    local until_ms = now + ban
    redis.call('DEL', state, hits)
    redis.call('HSET', state, 'ban_until', until_ms)
    redis.call('PEXPIRE', state, ban)
    return {3, until_ms}
  end
  redis.call('HSET', state, 'strikes', strikes, 'strike_at', now, 'warn_until', now + window)
  redis.call('PEXPIRE', state, memory)
  return {1, 0}
end
"""

# KEYS[1]: state hash, KEYS[2]: sorted set of accepted hits.
# ARGV: now_ms, window_ms, events, strikes_needed, ban_ms, member, strike_memory_ms.
_HIT_SCRIPT = (
    HIT_FUNCTION
    + """
return rate_limit_hit(KEYS[1], KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]),
  tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7]))
"""
)

_CODES = {
    0: VerdictKind.ALLOW,
    1: VerdictKind.WARN,
    2: VerdictKind.DROP,
    3: VerdictKind.BANNED,
    4: VerdictKind.BANNED_SILENT,
}


def verdict_of(code: object, ban_until_ms: object) -> Verdict:
    """The verdict :data:`HIT_FUNCTION` returned as ``{code, ban_until_ms}``."""
    kind = _CODES[int(str(code))]
    if kind is VerdictKind.ALLOW:
        return Verdict.ALLOW
    if kind in (VerdictKind.BANNED, VerdictKind.BANNED_SILENT):
        return Verdict(kind, int(str(ban_until_ms)) / 1000)
    return Verdict(kind)


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


class RedisRateLimiter:
    """The limiter shared by every instance: one atomic Lua script per update.

    Time comes from the instances (keep their clocks in sync with NTP); keys expire on their own, so an
    idle customer leaves nothing behind.
    """

    def __init__(
        self,
        redis: Redis,
        limits: Limits,
        *,
        clock: Callable[[], float] = time.time,
        prefix: str = KEY_PREFIX,
    ) -> None:
        self.limits = limits
        self._redis = redis
        self._clock = clock
        self._prefix = prefix
        self._script = redis.register_script(_HIT_SCRIPT)

    def keys(self, customer_key: int) -> list[str]:
        """The Redis keys of one customer's state (for :data:`HIT_FUNCTION`'s first two arguments)."""
        base = f"{self._prefix}{customer_key}"
        return [base, f"{base}:hits"]

    def hit_args(self, now: float | None = None) -> list[int | str]:
        """:data:`HIT_FUNCTION`'s other arguments, in order, for one hit at ``now``."""
        now = self._clock() if now is None else now
        limits = self.limits
        return [
            _ms(now),
            _ms(limits.window),
            limits.events,
            limits.strikes,
            _ms(limits.ban),
            unique_token(),
            _ms(limits.strike_memory),
        ]

    async def hit(self, customer_key: int, now: float | None = None) -> Verdict:
        reply = await self._script(keys=self.keys(customer_key), args=self.hit_args(now))
        return verdict_of(reply[0], reply[1])

    async def unban(self, customer_key: int) -> None:
        await self._redis.delete(*self.keys(customer_key))

    async def is_banned(self, customer_key: int, now: float | None = None) -> bool:
        now = self._clock() if now is None else now
        raw = await self._redis.hget(self.keys(customer_key)[0], "ban_until")  # type: ignore[misc]
        return raw is not None and int(raw) > _ms(now)


def build_rate_limiter(
    settings: RateLimitSettings, redis: Redis | None, *, clock: Callable[[], float] = time.time
) -> RateLimiter | None:
    """The limiter the settings ask for: shared through Redis when there is one, else in-process;
    ``None`` when rate limiting is switched off."""
    if not settings.enabled:
        return None
    limits = Limits.from_settings(settings)
    if redis is not None:
        return RedisRateLimiter(redis, limits, clock=clock)
    return MemoryRateLimiter(limits, clock=clock)
