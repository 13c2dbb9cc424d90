"""The cabinet's parts as the composition root keeps them (built in ``remnastore.wiring.cabinet``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from remnastore.cabinet.codes import SignInCodes
from remnastore.cabinet.links import CabinetLinks
from remnastore.cabinet.routes import CabinetWeb
from remnastore.cabinet.sessions import CabinetAccess
from remnastore.infra.ratelimit import KEY_PREFIX, Limits, MemoryRateLimiter, RateLimiter, RedisRateLimiter

if TYPE_CHECKING:
    from redis.asyncio import Redis


#: an address may make this many times a session's requests (several people behind one NAT)
ADDRESS_FACTOR = 4


@dataclass(frozen=True)
class Cabinet:
    access: CabinetAccess
    links: CabinetLinks
    web: CabinetWeb
    #: one-time sign-in codes, when the shop offers them
    codes: SignInCodes | None = None


def cabinet_limiter(redis: Redis | None, events: int | Limits, name: str) -> RateLimiter:
    """A per-minute limit of cabinet requests (or the given limits), shared by the instances when there
    is Redis."""
    limits = Limits(events=events, window=60.0, ban=120.0, strikes=3) if isinstance(events, int) else events
    if redis is not None:
        return RedisRateLimiter(redis, limits, prefix=f"{KEY_PREFIX}cabinet-{name}:")
    return MemoryRateLimiter(limits)
