"""HTTP routes of the Remnawave panel emulator beyond users: internal squads, system stats and metadata,
subscription settings; the subscription page a client app fetches is :mod:`.panel_subscription`."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from remnastore.emulators import panel_rules as rules
from remnastore.emulators.panel_rules import iso, now, reply
from remnastore.emulators.panel_subscription import SubscriptionPage

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
        router.add_get("/api/sub/{short}", SubscriptionPage(self.emu).fetch)

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
            "maxDevicesAnnounce": self.emu.max_devices_announce,
        }
        return reply(
            {"uuid": "00000000-0000-4000-8000-000000000001", "serveJsonAtBaseSubscription": False,
             "isShowCustomRemarks": False, "customRemarks": {}, "customResponseHeaders": None,
             "randomizeHosts": False, "responseRules": None, "hwidSettings": hwid,
             "createdAt": stamp, "updatedAt": stamp}
        )  # fmt: skip

    async def metadata(self, request: web.Request) -> web.Response:
        commit = {"commitSha": "0" * 40, "branch": "main", "commitUrl": None}
        build = {"time": iso(self.emu._started_at), "number": "0"}
        return reply(
            {"version": self.emu.version, "build": build, "git": {"backend": commit, "frontend": commit}}
        )
