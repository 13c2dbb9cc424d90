"""The panel emulator's fault injection: failing replies, replies lost after the change was applied,
outages and latency (the test controls of :class:`~remnastore.emulators.panel.PanelEmulator`, which the
emulator's middleware consults for every request)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from remnastore.emulators.panel_rules import nest_error


@dataclass
class Rule:
    """``remaining`` matching requests (``None``: all) get ``status`` or a delay of ``seconds``.

    ``body`` (with its ``content_type``) replaces the Nest-style JSON error body, e.g. a reverse proxy's
    HTML page.
    """

    remaining: int | None
    status: int
    path_prefix: str | None
    method: str | None
    seconds: float = 0.0
    body: bytes | None = None
    content_type: str = "text/html"

    def matches(self, request: web.Request) -> bool:
        return (self.path_prefix is None or request.path.startswith(self.path_prefix)) and (
            self.method is None or request.method == self.method.upper()
        )


class PanelFaults:
    """What the next requests suffer; the emulator's base."""

    def __init__(self) -> None:
        self._rules: list[Rule] = []
        self._drops: list[tuple[Rule, int | str | None]] = []
        self._down = False
        self._latency: Rule | None = None
        self._stopping = asyncio.Event()

    def fail_next(
        self,
        count: int = 1,
        status: int = 500,
        path_prefix: str | None = None,
        method: str | None = None,
        *,
        body: bytes | None = None,
        content_type: str = "text/html",
    ) -> None:
        """The next ``count`` matching requests answer ``status`` (no side effect).

        The body is Nest's default error body, or ``body`` as ``content_type`` when given (what a reverse
        proxy in front of the panel answers, e.g. nginx's HTML "502 Bad Gateway" page).
        """
        self._rules.append(Rule(count, status, path_prefix, method, body=body, content_type=content_type))

    def drop_after_applying(
        self,
        count: int = 1,
        path_prefix: str | None = None,
        method: str | None = None,
        *,
        user: int | str | None = None,
    ) -> None:
        """The next ``count`` matching requests are carried out, then the connection is closed without a
        reply (the caller's timeout: the change happened, the caller cannot know it). ``user``: only
        requests whose JSON body names this user (``id`` or ``uuid``)."""
        self._drops.append((Rule(count, 0, path_prefix, method), user))

    def set_down(self, down: bool = True) -> None:
        """While down, every request's connection is closed without a reply."""
        self._down = down

    def set_latency(
        self,
        seconds: float,
        *,
        path_prefix: str | None = None,
        method: str | None = None,
        count: int | None = None,
    ) -> None:
        """Delay matching replies by ``seconds`` after the work is done (a slow network), for the next
        ``count`` matching requests or, by default, until changed. ``set_latency(0)`` clears it."""
        self._latency = Rule(count, 200, path_prefix, method, seconds) if seconds > 0 else None

    def _injected_failure(self, request: web.Request) -> web.Response | None:
        for rule in self._rules:
            if rule.remaining and rule.matches(request):
                rule.remaining -= 1
                if rule.body is not None:
                    return web.Response(status=rule.status, body=rule.body, content_type=rule.content_type)
                if rule.status == 500:
                    return nest_error(500, "Internal server error")
                return nest_error(rule.status)
        self._rules = [rule for rule in self._rules if rule.remaining]
        return None

    def _take_drop(self, request: web.Request, parsed: Any) -> bool:
        """Whether this request's reply is to be lost (it was carried out: a ``drop_after_applying``)."""
        drop = next(
            (
                rule
                for rule, user in self._drops
                if rule.remaining
                and rule.matches(request)
                and (
                    user is None
                    or (isinstance(parsed, dict) and user in (parsed.get("id"), parsed.get("uuid")))
                )
            ),
            None,
        )
        if drop is None or drop.remaining is None:
            return False
        drop.remaining -= 1
        self._drops = [(rule, user) for rule, user in self._drops if rule.remaining]
        return True

    async def _delay(self, request: web.Request) -> None:
        """Hold the reply for the latency set by ``set_latency`` (cut short when the panel stops)."""
        delay = self._latency
        if delay is not None and delay.remaining != 0 and delay.matches(request):
            if delay.remaining is not None:
                delay.remaining -= 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay.seconds)
