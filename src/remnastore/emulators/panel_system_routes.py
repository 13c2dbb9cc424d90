"""HTTP routes of the Remnawave panel emulator beyond users: internal squads, system stats and metadata,
subscription settings, and the subscription page a client app fetches (registering its HWID)."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from remnastore.emulators import panel_rules as rules
from remnastore.emulators.panel_rules import iso, now, reply

if TYPE_CHECKING:
    from remnastore.emulators.panel import PanelEmulator

Record = dict[str, Any]


class PanelSystemRoutes:
    """Request handlers over the emulator's squads, settings and users' subscriptions."""

    def __init__(self, emulator: PanelEmulator) -> None:
        self.emu = emulator

    def register(self, app: web.Application) -> None:
        router = app.router
        router.add_get("/api/internal-squads", self.squads)
        router.add_get("/api/system/stats", self.stats)
        router.add_get("/api/system/metadata", self.metadata)
        router.add_get("/api/subscription-settings", self.subscription_settings)
        router.add_get("/api/sub/{short}", self.subscription)

    async def squads(self, request: web.Request) -> web.Response:
        stamp = iso(self.emu._started_at)
        items = []
        for position, (squad_uuid, name) in enumerate(self.emu._squads.items(), start=1):
            members = sum(squad_uuid in r["activeInternalSquads"] for r in self.emu._users.values())
            info = {"membersCount": members, "inboundsCount": 1}
            items.append(
                {"uuid": squad_uuid, "viewPosition": position, "name": name, "info": info, "inbounds": [],
                 "createdAt": stamp, "updatedAt": stamp}
            )  # fmt: skip
        return reply({"total": len(items), "internalSquads": items})

    async def stats(self, request: web.Request) -> web.Response:
        records = list(self.emu._users.values())
        counts = {status: sum(r["status"] == status for r in records) for status in rules.USER_STATUSES}
        current = now()
        online = sum(1 for r in records if r["onlineAt"] and current - r["onlineAt"] < timedelta(minutes=1))
        uptime = (current - self.emu._started_at).total_seconds()
        lifetime = sum(r["lifetimeUsedTrafficBytes"] for r in records)
        return reply(
            {
                "cpu": {"cores": 4},
                "memory": {"total": 8 << 30, "free": 4 << 30, "used": 4 << 30},
                "uptime": uptime,
                "timestamp": int(current.timestamp() * 1000),
                "users": {"statusCounts": counts, "totalUsers": len(records)},
                "onlineStats": {"lastDay": online, "lastWeek": online, "neverOnline": 0, "onlineNow": online},
                "nodes": {"totalOnline": 1, "totalBytesLifetime": str(lifetime)},
            }
        )

    async def subscription_settings(self, request: web.Request) -> web.Response:
        stamp = iso(self.emu._started_at)
        hwid = {
            "enabled": self.emu.hwid_limiting,
            "fallbackDeviceLimit": self.emu.fallback_device_limit,
            "maxDevicesAnnounce": None,
        }
        return reply(
            {"uuid": "00000000-0000-4000-8000-000000000001", "serveJsonAtBaseSubscription": False,
             "isShowCustomRemarks": True, "customRemarks": {}, "customResponseHeaders": None,
             "randomizeHosts": False, "responseRules": None, "hwidSettings": hwid,
             "createdAt": stamp, "updatedAt": stamp}
        )  # fmt: skip

    async def metadata(self, request: web.Request) -> web.Response:
        commit = {"commitSha": "0" * 40, "branch": "main", "commitUrl": None}
        build = {"time": iso(self.emu._started_at), "number": "0"}
        return reply(
            {"version": self.emu.version, "build": build, "git": {"backend": commit, "frontend": commit}}
        )

    def _register_hwid(self, record: Record, request: web.Request) -> None:
        """A client app that sends its HWID (``x-hwid``, with ``x-device-os``, ``x-ver-os`` and
        ``x-device-model``) while fetching the subscription becomes one of the user's devices, as on the
        panel with HWID device limits on; a new device over the user's limit is not added."""
        hwid = request.headers.get("x-hwid", "").strip()
        if not hwid or any(device["hwid"] == hwid for device in record["devices"]):
            return
        limit = record["hwidDeviceLimit"]
        if limit and len(record["devices"]) >= limit:
            return
        headers = request.headers
        self.emu.add_device(
            record["id"], hwid[:255], headers.get("x-device-os"), headers.get("x-ver-os"),
            headers.get("x-device-model"), headers.get("User-Agent"),
        )  # fmt: skip

    async def subscription(self, request: web.Request) -> web.Response:
        record = self.emu._find_by("shortUuid", request.match_info["short"])
        if record is None:
            missing = {"isFound": False, "statusCode": 404, "message": "Resource not found"}
            return web.json_response(missing, status=404, dumps=rules.compact_json)
        self._register_hwid(record, request)
        links = [
            f"vless://{record['vlessUuid']}@127.0.0.1:443?security=reality&type=tcp#{record['username']}",
            f"trojan://{record['trojanPassword']}@127.0.0.1:8443#{record['username']}",
        ]
        expire = int(record["expireAt"].timestamp())
        used, limit = record["usedTrafficBytes"], record["trafficLimitBytes"]
        info = f"upload=0; download={used}; total={limit}; expire={expire}"
        headers = {"subscription-userinfo": info, "profile-title": record["username"]}
        body = base64.b64encode("\n".join(links).encode()).decode()
        return web.Response(text=body, content_type="text/plain", headers=headers)
