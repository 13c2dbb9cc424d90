"""What every payment-provider emulator shares: an aiohttp server on 127.0.0.1, a record of requests,
failure injection, and delivery of signed notifications to the shop's webhook."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from remnastore.emulators.served import Served


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Delivery:
    """A notification as sent (or ready to send) to the shop."""

    url: str
    body: bytes
    headers: dict[str, str]
    status: int | None = None
    reply: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class ProviderEmulator(Served):
    """Base class: subclasses add their routes in :meth:`routes` and build notifications."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.deliveries: list[Delivery] = []
        self.notify_url: str | None = None
        self._fail: list[tuple[int, str | None]] = []
        self._down = False
        self._latency = 0.0
        self._runner: web.AppRunner | None = None
        self._port = 0

    # -- lifecycle -------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def routes(self, app: web.Application) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application(middlewares=[self._middleware])
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- failure injection -----------------------------------------------------------------------
    def fail_next(self, status: int = 500, *, count: int = 1, path_prefix: str | None = None) -> None:
        self._fail.extend([(status, path_prefix)] * count)

    def set_down(self, down: bool = True) -> None:
        self._down = down

    def set_latency(self, seconds: float) -> None:
        """Every API request answers only after ``seconds`` (a slow provider)."""
        self._latency = seconds

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(RecordedRequest(request.method, request.path_qs, dict(request.headers), body))
        if self._latency:
            await asyncio.sleep(self._latency)
        if self._down:
            raise web.HTTPServiceUnavailable(text="service unavailable")
        for index, (status, prefix) in enumerate(self._fail):
            if prefix is None or request.path.startswith(prefix):
                del self._fail[index]
                return web.json_response({"error": "injected failure"}, status=status)
        response: web.StreamResponse = await handler(request)
        return response

    # -- notifications ---------------------------------------------------------------------------
    async def deliver(self, delivery: Delivery, *, seconds: float = 10.0) -> Delivery:
        """POST a prepared notification to the shop and record the reply."""
        client_timeout = aiohttp.ClientTimeout(total=seconds)
        async with (
            aiohttp.ClientSession(timeout=client_timeout) as session,
            session.post(delivery.url, data=delivery.body, headers=delivery.headers) as response,
        ):
            delivery.status = response.status
            delivery.reply = await response.text()
        self.deliveries.append(delivery)
        return delivery

    async def deliver_many(self, delivery: Delivery, copies: int) -> list[Delivery]:
        """The same notification ``copies`` times at once (duplicate and concurrent delivery)."""
        clones = [Delivery(delivery.url, delivery.body, dict(delivery.headers)) for _ in range(copies)]
        return list(await asyncio.gather(*(self.deliver(clone) for clone in clones)))


def compact_json(value: Any) -> bytes:
    """JSON as most providers serialise it: no spaces, non-ASCII kept as UTF-8."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
