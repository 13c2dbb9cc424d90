"""The device limit that really applies to a panel user.

A panel enforces HWID device limits only while HWID limiting is on in its subscription settings (off on
a fresh panel). Then a user whose own limit is null gets the panel's fallback limit; while it is off, no
limit applies at all, whatever the user's own number says. The panel's setting is read at most every
``ttl`` (it changes rarely); when it cannot be read, the user's own limit is shown as before.
"""

from __future__ import annotations

import logging
import time

from remnastore.panel.client import RemnawaveClient
from remnastore.panel.errors import PanelError
from remnastore.panel.models import HwidSettings

log = logging.getLogger(__name__)

TTL_SECONDS = 600.0


class DeviceLimits:
    def __init__(self, panel: RemnawaveClient, *, ttl_seconds: float = TTL_SECONDS) -> None:
        self._panel = panel
        self._ttl = ttl_seconds
        self._settings: HwidSettings | None = None
        self._read_at = 0.0

    async def _hwid(self) -> HwidSettings | None:
        if self._settings is None or time.monotonic() - self._read_at > self._ttl:
            try:
                self._settings = await self._panel.hwid_settings()
            except PanelError as exc:
                log.info("the panel's HWID settings could not be read: %s", exc)
                return self._settings
            self._read_at = time.monotonic()
        return self._settings

    async def effective(self, own_limit: int | None) -> int | None:
        """The limit the panel enforces for a user whose own limit is ``own_limit`` (None: no limit)."""
        hwid = await self._hwid()
        if hwid is None:
            return own_limit or None
        if not hwid.enabled:
            return None
        return own_limit if own_limit is not None else hwid.fallback_device_limit
