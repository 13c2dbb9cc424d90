"""The public subscription a client app fetches from the panel emulator (``GET /api/sub/{shortUuid}``),
with the HWID device rules of a real Remnawave 3.3.2 panel.

* HWID limiting off (``hwidSettings.enabled`` false): no device check, the subscription is served; a
  client that sends ``x-hwid`` is upserted as one of the user's devices all the same (the real panel does
  so in the background), with no limit.
* HWID limiting on:

  - the user's ``hwidDeviceLimit`` is 0: unlimited (the limit is bypassed); a device that sent
    ``x-hwid`` is upserted;
  - no ``x-hwid`` header: not allowed (the app does not support HWID);
  - a device the user already has: allowed, the device upserted (its details and ``updatedAt``);
  - a new device: added when the user has fewer devices than ``hwidDeviceLimit``, or the panel's
    ``fallbackDeviceLimit`` when the user's limit is null; otherwise not allowed (limit reached).

* Not allowed: HTTP 200, ``text/plain``, an empty body (the emulated settings have
  ``isShowCustomRemarks`` false, so no remark entries are rendered), the user's profile headers,
  ``x-hwid-active: true`` (the limit was not bypassed), ``x-hwid-limit: true``, and
  ``x-hwid-not-supported: true`` or ``x-hwid-max-devices-reached: true``; the ``announce`` header
  (``base64:`` and the text in base64) only when the limit is reached and ``maxDevicesAnnounce`` is set.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from remnastore.emulators import panel_rules as rules
from remnastore.emulators.panel_rules import now

if TYPE_CHECKING:
    from remnastore.emulators.panel import PanelEmulator

Record = dict[str, Any]


@dataclass(frozen=True)
class Checkup:
    allowed: bool
    max_devices_reached: bool = False
    hwid_not_supported: bool = False
    bypassed: bool = False


ALLOWED = Checkup(allowed=True)


class SubscriptionPage:
    def __init__(self, emulator: PanelEmulator) -> None:
        self.emu = emulator

    async def fetch(self, request: web.Request) -> web.Response:
        record = self.emu._find_by("shortUuid", request.match_info["short"])
        if record is None:
            missing = {"isFound": False, "statusCode": 404, "message": "Resource not found"}
            return web.json_response(missing, status=404, dumps=rules.compact_json)
        headers = _profile_headers(record)
        if self.emu.hwid_limiting:
            checkup = self._check(record, request)
        else:
            self._upsert(record, request)
            checkup = ALLOWED
        if not checkup.allowed:
            return web.Response(text="", content_type="text/plain", headers=headers | self._refusal(checkup))
        links = [
            f"vless://{record['vlessUuid']}@127.0.0.1:443?security=reality&type=tcp#{record['username']}",
            f"trojan://{record['trojanPassword']}@127.0.0.1:8443#{record['username']}",
        ]
        body = base64.b64encode("\n".join(links).encode()).decode()
        return web.Response(text=body, content_type="text/plain", headers=headers)

    def _check(self, record: Record, request: web.Request) -> Checkup:
        limit = record["hwidDeviceLimit"]
        if limit == 0:
            self._upsert(record, request)
            return Checkup(allowed=True, bypassed=True)
        hwid = _hwid(request)
        if hwid is None:
            return Checkup(allowed=False, hwid_not_supported=True)
        if any(device["hwid"] == hwid for device in record["devices"]):
            self._upsert(record, request)
            return ALLOWED
        limit = self.emu.fallback_device_limit if limit is None else limit
        if len(record["devices"]) >= limit:
            return Checkup(allowed=False, max_devices_reached=True)
        self._upsert(record, request)
        return ALLOWED

    def _upsert(self, record: Record, request: web.Request) -> None:
        """The device that sent ``x-hwid``: added, or its details refreshed when the user has it."""
        hwid = _hwid(request)
        if hwid is None:
            return
        headers = request.headers
        details = {
            "platform": headers.get("x-device-os"),
            "osVersion": headers.get("x-ver-os"),
            "deviceModel": headers.get("x-device-model"),
            "userAgent": headers.get("User-Agent"),
        }
        for device in record["devices"]:
            if device["hwid"] == hwid:
                device.update(details, updatedAt=now())
                return
        self.emu.add_device(
            record["id"], hwid, details["platform"], details["osVersion"], details["deviceModel"],
            details["userAgent"],
        )  # fmt: skip

    def _refusal(self, checkup: Checkup) -> dict[str, str]:
        headers = {"x-hwid-limit": "true"}
        if not checkup.bypassed:
            headers["x-hwid-active"] = "true"
        if checkup.hwid_not_supported:
            headers["x-hwid-not-supported"] = "true"
        if checkup.max_devices_reached:
            headers["x-hwid-max-devices-reached"] = "true"
            announce = self.emu.max_devices_announce
            if announce:
                headers["announce"] = "base64:" + base64.b64encode(announce.encode()).decode()
        return headers


def _hwid(request: web.Request) -> str | None:
    hwid = request.headers.get("x-hwid", "").strip()
    return hwid[:255] or None


def _profile_headers(record: Record) -> dict[str, str]:
    expire = int(record["expireAt"].timestamp())
    used, limit = record["usedTrafficBytes"], record["trafficLimitBytes"]
    info = f"upload=0; download={used}; total={limit}; expire={expire}"
    return {"subscription-userinfo": info, "profile-title": record["username"]}
