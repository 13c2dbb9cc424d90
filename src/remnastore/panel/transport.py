"""HTTP plumbing of the panel client: one reused session, headers, timeouts, retries, error mapping.

Every request carries the timeout; a call marked ``retry`` is repeated on :class:`PanelUnavailable` with
exponential backoff. The token, cookies and reply bodies (which hold subscription links) are never logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
from pydantic import BaseModel, ValidationError

from remnastore.panel.errors import (
    PanelError,
    PanelNotFound,
    PanelProxyHeadersMissing,
    PanelUnavailable,
    error_from_reply,
)

log = logging.getLogger("remnastore.panel")

OnCall = Callable[[str, str, float], None]
_Model = TypeVar("_Model", bound=BaseModel)


def normalise_base_url(base_url: str) -> str:
    """``https://panel.x``, ``https://panel.x/`` and ``https://panel.x/api`` all become ``https://panel.x``."""
    url = base_url.strip().rstrip("/")
    if url.endswith("/api"):
        url = url[: -len("/api")]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("the panel URL must start with http:// or https://")
    return url


def parse_reply(name: str, model: type[_Model], data: Any) -> _Model:
    """``data`` as ``model``; a mismatch names the fields only (values may hold subscription links)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in err["loc"]) or "<root>" for err in exc.errors())
        raise PanelError(f"{name}: unexpected reply from the panel (fields: {fields})") from None


def _unwrap(name: str, status: int, body: bytes) -> Any:
    if status == 204 or not body.strip():
        return None
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict) or "response" not in data:
        raise PanelError(
            f"{name}: HTTP {status} reply is not the panel API (check PANEL_URL points at the panel)",
            status=status,
        )
    return data["response"]


class PanelTransport:
    """Sends requests to one panel and turns replies into payloads or :mod:`panel.errors`."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        extra_headers: Mapping[str, str] | None,
        cookies: Mapping[str, str] | None,
        timeout: float,
        retries: int,
        retry_backoff: float,
        on_call: OnCall | None,
    ) -> None:
        self.root = normalise_base_url(base_url)
        self._plain_http = self.root.startswith("http://")
        headers: dict[str, str] = {"Accept": "application/json"}
        if self._plain_http:
            # The panel drops plain-http requests that did not come through an https reverse proxy.
            headers["X-Forwarded-For"] = "127.0.0.1"
            headers["X-Forwarded-Proto"] = "https"
        headers.update(extra_headers or {})
        if cookies:
            jar = "; ".join(f"{name}={value}" for name, value in cookies.items())
            headers["Cookie"] = f"{headers['Cookie']}; {jar}" if headers.get("Cookie") else jar
        headers["Authorization"] = f"Bearer {token}"
        self._headers = headers
        self._timeout_seconds = timeout
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._retries = max(0, retries)
        self._retry_backoff = max(0.0, retry_backoff)
        self._on_call = on_call
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers=self._headers, timeout=self._timeout, cookie_jar=aiohttp.DummyCookieJar()
            )
        return self._session

    async def _send(
        self, name: str, method: str, path: str, body: Any, params: Mapping[str, str] | None
    ) -> tuple[int, bytes]:
        try:
            async with self._http().request(method, self.root + path, json=body, params=params) as reply:
                return reply.status, await reply.read()
        except aiohttp.ServerDisconnectedError as exc:
            if self._plain_http:
                raise PanelProxyHeadersMissing() from exc
            raise PanelUnavailable(f"{name}: the panel closed the connection without replying") from exc
        except TimeoutError as exc:
            seconds = self._timeout_seconds
            raise PanelUnavailable(f"{name}: no reply from the panel within {seconds:g} s") from exc
        except aiohttp.ClientConnectorError as exc:
            raise PanelUnavailable(f"{name}: cannot connect to the panel ({exc.host}:{exc.port})") from exc
        except aiohttp.ClientError as exc:
            raise PanelUnavailable(f"{name}: connection to the panel failed ({type(exc).__name__})") from exc

    async def call(
        self,
        name: str,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, str] | None = None,
        retry: bool,
    ) -> Any:
        """The ``response`` payload of one API call (``None`` for an empty reply).

        ``on_call(name, outcome, seconds)`` follows every call, retries included, with outcome
        ``ok``, ``not_found``, ``unavailable`` or ``error``.
        """
        attempts = 1 + (self._retries if retry else 0)
        started = time.monotonic()
        outcome = "error"
        try:
            for attempt in range(1, attempts + 1):
                try:
                    status, raw = await self._send(name, method, path, body, params)
                    if status >= 400:
                        raise error_from_reply(status, raw, name)
                    result = _unwrap(name, status, raw)
                    outcome = "ok"
                    return result
                except PanelError as exc:
                    exc.attempts = attempt
                    if not isinstance(exc, PanelUnavailable) or attempt >= attempts:
                        raise
                    log.warning("panel call %s failed (%s); retry %d of %d", name, exc, attempt, attempts - 1)
                    await asyncio.sleep(self._retry_backoff * 2 ** (attempt - 1))
            raise AssertionError("unreachable")  # pragma: no cover
        except PanelNotFound:
            outcome = "not_found"
            raise
        except PanelUnavailable:
            outcome = "unavailable"
            raise
        finally:
            if self._on_call is not None:
                try:
                    self._on_call(name, outcome, time.monotonic() - started)
                except Exception:
                    log.exception("panel metrics hook failed")
