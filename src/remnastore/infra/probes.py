"""Readiness probes: one call to a dependency (database, Redis, panel), timed, that never raises.

Used by the /readyz route (web/health.py) and by the admin's health screen (services/shop_health.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

Probe = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class ProbeResult:
    name: str
    ok: bool
    seconds: float
    error: str | None = None


async def run_probe(name: str, probe: Probe, limit: float) -> ProbeResult:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(probe(), limit)
    except Exception as exc:  # a probe reports any failure, it never raises
        reason = "timeout" if isinstance(exc, TimeoutError) else type(exc).__name__
        return ProbeResult(name, False, time.perf_counter() - started, reason)
    return ProbeResult(name, True, time.perf_counter() - started)
