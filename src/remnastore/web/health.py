"""/healthz (the process is alive) and /readyz (its dependencies answer)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

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


class HealthRoutes:
    def __init__(self, probes: dict[str, Probe], *, timeout: float = 3.0, version: str = "") -> None:
        self._probes = probes
        self._timeout = timeout
        self._version = version
        self.accepting = True

    def register(self, app: web.Application) -> None:
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "version": self._version})

    async def check(self) -> list[ProbeResult]:
        return list(await asyncio.gather(*(run_probe(n, p, self._timeout) for n, p in self._probes.items())))

    async def readyz(self, request: web.Request) -> web.Response:
        results = await self.check()
        ready = self.accepting and all(r.ok for r in results)
        body = {
            "status": "ready" if ready else "unavailable",
            "checks": {
                r.name: {
                    "ok": r.ok,
                    "latency_ms": round(r.seconds * 1000, 1),
                    **({"error": r.error} if r.error else {}),
                }
                for r in results
            },
        }
        if not self.accepting:
            body["status"] = "stopping"
        return web.json_response(body, status=200 if ready else 503)
