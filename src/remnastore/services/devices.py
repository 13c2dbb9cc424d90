"""The customer's HWID devices on the panel: list and disconnect."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import overload

from remnastore.domain.errors import DomainError, ServiceUnavailable
from remnastore.panel.client import RemnawaveClient
from remnastore.panel.errors import PanelError, PanelNotFound, PanelUnavailable
from remnastore.panel.models import HwidDevice
from remnastore.services.accounts import CustomerView
from remnastore.services.device_limits import DeviceLimits
from remnastore.services.panel_cache import PanelSnapshot, PanelUserCache
from remnastore.services.panel_link import PanelLink

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeviceView:
    index: int
    token: str
    model: str | None
    platform: str | None
    os_version: str | None
    since: datetime | None


@dataclass(frozen=True)
class DeviceList:
    devices: list[DeviceView]
    limit: int | None


def device_token(hwid: str) -> str:
    """A short stable reference to a device for callback data; the HWID itself never leaves the server."""
    return hashlib.sha256(hwid.encode()).hexdigest()[:16]


class DeviceService:
    def __init__(
        self,
        panel: RemnawaveClient,
        link: PanelLink,
        limits: DeviceLimits | None = None,
        cache: PanelUserCache | None = None,
    ) -> None:
        self._panel = panel
        self._link = link
        #: the limit the panel really enforces (None: the user's own number, as stored in the panel)
        self._limits = limits
        #: the panel's view of the customer as "my subscription" cached it: the panel user is not looked
        #: up again (a customer without one is answered without a panel call); the devices are
        self._cache = cache

    async def _limit(self, own: int | None) -> int | None:
        return await self._limits.effective(own) if self._limits is not None else own

    async def listing(self, customer: CustomerView) -> DeviceList:
        """The customer's devices, always asked of the panel; their panel user is taken from the cache of
        the panel's view when it holds them (and the listing is put back into it)."""
        cached = await self._cache.get(customer, with_devices=True) if self._cache is not None else None
        if cached is not None:
            if cached.user is None:
                raise DomainError("error-no-panel-user")
            found = await self._call_list(cached.user.ref, gone_ok=True)
            if found is not None:
                return DeviceList(_views(found), await self._limit(cached.user.hwid_device_limit))
            log.info("cached panel user is gone: looking it up", extra={"customer_id": customer.id})
        user = await self._link.find(customer)
        if user is None:
            if self._cache is not None:  # as "my subscription" keeps it: asked again after the TTL
                await self._cache.put(customer, PanelSnapshot(None, None), with_devices=True)
            raise DomainError("error-no-panel-user")
        devices = await self._call_list(user.ref)
        if self._cache is not None:
            await self._cache.put(customer, PanelSnapshot(user, len(devices)), with_devices=True)
        return DeviceList(_views(devices), await self._limit(user.hwid_device_limit))

    async def disconnect(self, customer: CustomerView, token: str) -> DeviceList:
        user = await self._link.find(customer)
        if user is None:
            raise DomainError("error-no-panel-user")
        devices = await self._call_list(user.ref)
        target = next((d for d in devices if device_token(d.hwid) == token), None)
        if target is None:
            raise DomainError("device-not-found")
        try:
            remaining = await self._panel.delete_device(user.ref, target.hwid)
        except PanelNotFound as exc:
            raise DomainError("device-not-found") from exc
        except PanelError as exc:
            raise ServiceUnavailable() from exc
        log.info("device disconnected", extra={"customer_id": customer.id})
        return DeviceList(_views(remaining), await self._limit(user.hwid_device_limit))

    @overload
    async def _call_list(self, ref: int | str) -> list[HwidDevice]: ...

    @overload
    async def _call_list(self, ref: int | str, *, gone_ok: bool) -> list[HwidDevice] | None: ...

    async def _call_list(self, ref: int | str, *, gone_ok: bool = False) -> list[HwidDevice] | None:
        """The user's devices; with ``gone_ok``, None when the panel no longer has the user."""
        try:
            return await self._panel.list_devices(ref)
        except PanelUnavailable as exc:
            raise ServiceUnavailable() from exc
        except PanelError as exc:
            if gone_ok and isinstance(exc, PanelNotFound):
                return None
            log.error("panel refused the device list: %s", exc)
            raise ServiceUnavailable() from exc


def _views(devices: list[HwidDevice]) -> list[DeviceView]:
    return [
        DeviceView(
            index=i,
            token=device_token(d.hwid),
            model=d.device_model,
            platform=d.platform,
            os_version=d.os_version,
            since=d.created_at,
        )
        for i, d in enumerate(devices, start=1)
    ]
