"""/healthz (the process is alive) and /readyz (its dependencies answer).

The public listener serves /healthz only; /readyz, with each dependency's latency and error, is served on
the private listener next to /metrics. Probe results are reused for ``cache_seconds`` and concurrent
requests share one probe run, so a flood of /readyz requests costs each dependency one call.
"""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

from remnastore.infra.probes import Probe, ProbeResult, run_probe


class HealthRoutes:
    def __init__(
        self,
        probes: dict[str, Probe],
        *,
        timeout: float = 3.0,
        version: str = "",
        cache_seconds: float = 5.0,
    ) -> None:
        self._probes = probes
        self._timeout = timeout
        self._version = version
        self._cache_seconds = cache_seconds
        self._cached: tuple[float, list[ProbeResult]] | None = None
        self._running: asyncio.Future[list[ProbeResult]] | None = None
        self.accepting = True

    def register_public(self, app: web.Application) -> None:
        """What the public listener answers: only whether the process is alive."""
        app.router.add_get("/healthz", self.healthz)

    def register_private(self, app: web.Application) -> None:
        """The private listener: liveness and readiness with each dependency's details."""
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "version": self._version})

    async def check(self, max_age: float | None = None) -> list[ProbeResult]:
        """Each probe's result, at most ``max_age`` (default ``cache_seconds``) old; callers arriving
        during a run share it."""
        limit = self._cache_seconds if max_age is None else max_age
        now = time.monotonic()
        if self._cached is not None and now - self._cached[0] < limit:
            return self._cached[1]
        if self._running is None:
            self._running = asyncio.ensure_future(self._probe_all())
            self._running.add_done_callback(self._finished)
        return await asyncio.shield(self._running)

    async def _probe_all(self) -> list[ProbeResult]:
        return list(await asyncio.gather(*(run_probe(n, p, self._timeout) for n, p in self._probes.items())))

    def _finished(self, run: asyncio.Future[list[ProbeResult]]) -> None:
        self._running = None
        if not run.cancelled() and run.exception() is None:
            self._cached = (time.monotonic(), run.result())

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
