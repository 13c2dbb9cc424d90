"""HTTP routes of the Remnawave panel emulator for users and their HWID devices: 3.x paths, or 2.x ones in
legacy mode (squads, system and subscriptions: panel_system_routes.py)."""

from __future__ import annotations

import json
import uuid as uuid_lib
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from remnastore.emulators import panel_rules as rules
from remnastore.emulators.panel_records import new_password
from remnastore.emulators.panel_rules import Checker, ValidationFailed, now, reply

if TYPE_CHECKING:
    from remnastore.emulators.panel import PanelEmulator

Record = dict[str, Any]


def _query_int(request: web.Request, key: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.query.get(key)
    if raw is None:
        return default
    if not raw.lstrip("-").isdigit() or not low <= int(raw) <= high:
        message = (
            f"Number must be between {low} and {high}" if raw.lstrip("-").isdigit() else "Expected number"
        )
        raise ValidationFailed([{"code": "invalid_type", "path": [key], "message": message}])
    return int(raw)


_SORTABLE = {"id", "updatedAt", "createdAt", "expireAt", "username"}


def _sorting(request: web.Request) -> list[tuple[str, bool]]:
    """The UI list's ``sorting`` query: JSON ``[{"id": "updatedAt", "desc": true}, ...]``."""
    raw = request.query.get("sorting")
    if not raw:
        return []
    try:
        items = json.loads(raw)
    except ValueError:
        items = None
    if not isinstance(items, list) or not all(
        isinstance(i, dict) and i.get("id") in _SORTABLE and isinstance(i.get("desc"), bool) for i in items
    ):
        raise ValidationFailed([{"code": "custom", "path": ["sorting"], "message": "Invalid sorting"}])
    return [(str(i["id"]), bool(i["desc"])) for i in items]


def _sort_key(key: str) -> Callable[[Record], Any]:
    return lambda record: (record[key] is None, record[key])


async def _json(request: web.Request) -> Any:
    """The parsed body (the middleware has read and checked it; aiohttp keeps the bytes)."""
    raw = await request.read()
    return json.loads(raw) if raw else None


class PanelRoutes:
    """Request handlers over the emulator's in-memory state."""

    def __init__(self, emulator: PanelEmulator) -> None:
        self.emu = emulator
        self.v3 = emulator.api_version >= 3
        self.modern = self.v3  # zod 4 validation bodies
        self.owner_key = "userId" if self.v3 else "userUuid"

    def register(self, app: web.Application) -> None:
        router = app.router
        router.add_post("/api/users", self.create)
        router.add_patch("/api/users", self.update)
        router.add_get("/api/users", self.list_users)
        if self.v3:
            router.add_get("/api/users/stream", self.stream)
        router.add_post("/api/users/resolve", self.resolve)
        router.add_get("/api/users/by-username/{value}", self.by_username)
        router.add_get("/api/users/by-short-uuid/{value}", self.by_short_uuid)
        if not self.v3:
            router.add_get("/api/users/by-telegram-id/{value}", self.by_telegram_id)
        router.add_get("/api/users/{ref}", self.get_user)
        router.add_delete("/api/users/{ref}", self.delete_user)
        for action in ("enable", "disable", "reset-traffic", "revoke", *(("extend",) if self.v3 else ())):
            router.add_post(f"/api/users/{{ref}}/actions/{action}", self.action)
        router.add_post("/api/hwid/devices", self.add_device)
        router.add_post("/api/hwid/devices/delete", self.delete_device)
        router.add_post("/api/hwid/devices/delete-all", self.delete_all_devices)
        router.add_get("/api/hwid/devices/{ref}", self.list_devices)

    # -- lookups -----------------------------------------------------------------------------------

    def _reply_user(self, record: Record | None, status: int = 200) -> web.Response:
        if record is None:
            raise rules.NO_USER_WITH_PARAMS
        return reply(self.emu.render(record), status)

    def _path_user(self, request: web.Request) -> Record | None:
        raw = request.match_info["ref"]
        if self.v3:
            if not raw.isdigit():
                raise ValidationFailed([rules.type_issue("userId", "number", "NaN")])
            return self.emu._users.get(int(raw))
        if not rules.UUID_RE.match(raw):
            raise ValidationFailed([{"code": "invalid_string", "path": ["uuid"], "message": "Invalid uuid"}])
        return self.emu._find(raw)

    def _by_id(self, value: Any) -> Record | None:
        if self.v3:
            return self.emu._users.get(int(value))
        return self.emu._find_by("uuid", value)

    async def get_user(self, request: web.Request) -> web.Response:
        return self._reply_user(self._path_user(request))

    async def by_username(self, request: web.Request) -> web.Response:
        return self._reply_user(self.emu._find_by("username", request.match_info["value"]))

    async def by_short_uuid(self, request: web.Request) -> web.Response:
        return self._reply_user(self.emu._find_by("shortUuid", request.match_info["value"]))

    async def by_telegram_id(self, request: web.Request) -> web.Response:
        raw = request.match_info["value"]
        if not raw.isdigit():
            raise ValidationFailed([{"code": "invalid_string", "path": ["telegramId"], "message": "Invalid"}])
        found = [r for r in self.emu._users.values() if r["telegramId"] == int(raw)]
        if not found:
            raise rules.USERS_NOT_FOUND
        return reply([self.emu.render(r) for r in found])

    async def resolve(self, request: web.Request) -> web.Response:
        check = Checker(await _json(request), modern=self.modern)
        id_key = "id" if self.v3 else "uuid"
        given = [key for key in (id_key, "username", "shortUuid") if check.body.get(key) is not None]
        if len(given) != 1:
            check.fail("", "custom", f"Exactly one of {id_key}, username, shortUuid must be provided")
        check.done()
        key = given[0]
        record = self._by_id(check.body[key]) if key == id_key else self.emu._find_by(key, check.body[key])
        if record is None:
            raise rules.NO_USER_WITH_PARAMS
        return reply(
            {id_key: record[id_key], "shortUuid": record["shortUuid"], "username": record["username"]}
        )

    async def list_users(self, request: web.Request) -> web.Response:
        start = _query_int(request, "start", 0, 0, 2**31) or 0
        size = _query_int(request, "size", 25, 1, 1000) or 25
        records = sorted(self.emu._users.values(), key=lambda r: r["id"], reverse=True)
        for key, descending in reversed(_sorting(request)):
            records.sort(key=_sort_key(key), reverse=descending)
        page = records[start : start + size]
        return reply({"users": [self.emu.render(r) for r in page], "total": len(records)})

    async def stream(self, request: web.Request) -> web.Response:
        size = _query_int(request, "size", 100, 1, 1000) or 100
        cursor = _query_int(request, "cursor", 0, 0, 2**63) or 0
        telegram_id = _query_int(request, "telegramId", None, 0, 2**63)
        records = [r for r in self.emu._users.values() if r["id"] > cursor]
        if telegram_id is not None:
            records = [r for r in records if r["telegramId"] == telegram_id]
        for key in ("email", "tag", "status", "trafficLimitStrategy", "externalSquadUuid"):
            if key in request.query:
                records = [r for r in records if r[key] == request.query[key]]
        page, has_more = records[:size], len(records) > size
        next_cursor = str(page[-1]["id"]) if has_more else None
        users = [self.emu.render(r) for r in page]
        return reply({"users": users, "nextCursor": next_cursor, "hasMore": has_more})

    # -- writes ------------------------------------------------------------------------------------

    async def create(self, request: web.Request) -> web.Response:
        body = rules.check_create(await _json(request), modern=self.modern)
        if self.emu._find_by("username", body["username"]) is not None:
            raise rules.USERNAME_TAKEN
        if body.get("shortUuid") and self.emu._find_by("shortUuid", body["shortUuid"]) is not None:
            raise rules.SHORT_UUID_TAKEN
        squads = list(body.get("activeInternalSquads") or [])
        if any(squad not in self.emu._squads for squad in squads):
            raise rules.CREATE_FAILED  # the database's foreign key refuses it; nothing is created
        keys = ("username", "status", "shortUuid", "trafficLimitStrategy", "tag", "externalSquadUuid")
        values: Record = {key: body[key] for key in keys if body.get(key) is not None}
        for key in ("trafficLimitBytes", "hwidDeviceLimit"):
            if body.get(key) is not None:
                values[key] = int(body[key])
        values.update(
            expireAt=rules.parse_datetime(body["expireAt"]),
            telegramId=int(body["telegramId"]) if body.get("telegramId") else None,
            email=body.get("email") or None,
            description=body.get("description") or None,
            activeInternalSquads=squads,
        )
        return self._reply_user(self.emu._new_record(values), 201)

    async def update(self, request: web.Request) -> web.Response:
        id_key = "id" if self.v3 else "uuid"
        body = rules.check_update(await _json(request), id_key, modern=self.modern)
        if body.get(id_key) is not None:
            record = self._by_id(body[id_key])
        else:
            record = self.emu._find_by("username", body["username"])
        if record is None:
            raise rules.USER_NOT_FOUND
        if any(squad not in self.emu._squads for squad in body.get("activeInternalSquads") or []):
            raise rules.UPDATE_FAILED  # the transaction is rolled back: nothing is applied
        current = now()
        new_status = body.get("status")
        if "trafficLimitBytes" in body:
            limit = int(body["trafficLimitBytes"])
            if record["status"] == "LIMITED" and (limit > record["trafficLimitBytes"] or limit == 0):
                new_status = "ACTIVE"
            record.update(trafficLimitBytes=limit, lastTriggeredThreshold=0)
        if "expireAt" in body:
            expire_at = rules.parse_datetime(body["expireAt"])
            assert expire_at is not None
            if record["status"] == "EXPIRED" and not body.get("status") and expire_at != record["expireAt"]:
                new_status = "ACTIVE" if expire_at > current else new_status
            record["expireAt"] = expire_at
        for key in ("trafficLimitStrategy", "description", "telegramId", "email", "hwidDeviceLimit", "tag"):
            if key in body:
                record[key] = body[key]
        for key in ("externalSquadUuid", "activeInternalSquads"):
            if key in body:
                record[key] = body[key]
        if new_status:
            record["status"] = new_status
        record["updatedAt"] = current
        return self._reply_user(record)

    async def delete_user(self, request: web.Request) -> web.Response:
        record = self._path_user(request)
        if record is None:
            raise rules.USER_NOT_FOUND
        del self.emu._users[record["id"]]
        return web.Response(status=204) if self.v3 else reply({"isDeleted": True})

    async def action(self, request: web.Request) -> web.Response:
        name = request.path.rsplit("/", 1)[1]
        record = self._path_user(request)
        body = await _json(request)
        body = {} if body is None else body
        if name == "extend":
            check = Checker(body, modern=self.modern)
            check.integer("days", minimum=(1, "Days must be at least 1"), required=True)
            check.done()
        if record is None:
            raise rules.USER_NOT_FOUND
        current = now()
        if name == "extend":
            record["expireAt"] = max(current, record["expireAt"]) + timedelta(days=int(body["days"]))
            if record["status"] == "EXPIRED" and record["expireAt"] > current:
                record["status"] = "ACTIVE"
        elif name == "enable":
            if record["status"] == "ACTIVE":
                raise rules.ALREADY_ENABLED
            record["status"] = "ACTIVE"
        elif name == "disable":
            if record["status"] == "DISABLED":
                raise rules.ALREADY_DISABLED
            record["status"] = "DISABLED"
        elif name == "reset-traffic":
            if record["status"] == "LIMITED":
                record["status"] = "ACTIVE"
            record.update(usedTrafficBytes=0, lastTrafficResetAt=current)
        elif name == "revoke":
            self._revoke(record, Checker(body, modern=self.modern).body)
        record["updatedAt"] = current
        return self._reply_user(record)

    def _revoke(self, record: Record, body: Record) -> None:
        if not body.get("revokeOnlyPasswords"):
            wanted = body.get("shortUuid")
            if wanted:
                holder = self.emu._find_by("shortUuid", wanted)
                if holder is not None and holder is not record:
                    raise rules.SHORT_UUID_TAKEN
            record["shortUuid"] = wanted or self.emu._new_short_uuid()
        record.update(
            trojanPassword=new_password(),
            ssPassword=new_password(),
            vlessUuid=str(uuid_lib.uuid4()),
            subRevokedAt=now(),
        )

    # -- HWID devices ------------------------------------------------------------------------------

    def _owner(self, check: Checker) -> None:
        if self.v3:
            check.integer(self.owner_key, required=True)
        else:
            check.string(self.owner_key, required=True, pattern=rules.UUID_RE, pattern_message="Invalid uuid")

    def _owner_record(self, check: Checker) -> Record:
        record = self._by_id(check.body[self.owner_key])
        if record is None:
            raise rules.USER_NOT_FOUND
        return record

    async def list_devices(self, request: web.Request) -> web.Response:
        record = self._path_user(request)
        if record is None:
            raise rules.USER_NOT_FOUND
        return self.emu.devices_reply(record)

    async def add_device(self, request: web.Request) -> web.Response:
        check = Checker(await _json(request), modern=self.modern)
        self._owner(check)
        check.string("hwid", required=True, pattern=rules.HWID_RE, pattern_message="Invalid HWID format")
        for key in ("platform", "osVersion", "deviceModel", "userAgent"):
            check.string(key)
        check.done()
        record, body = self._owner_record(check), check.body
        if any(device["hwid"] == body["hwid"] for device in record["devices"]):
            raise rules.DEVICE_EXISTS
        if self.emu.hwid_limiting:
            limit = record["hwidDeviceLimit"]
            limit = self.emu.fallback_device_limit if limit is None else limit
            if len(record["devices"]) >= limit:
                raise rules.DEVICE_LIMIT
        self.emu.add_device(
            record["id"], body["hwid"], body.get("platform"), body.get("osVersion"),
            body.get("deviceModel"), body.get("userAgent"),
        )  # fmt: skip
        return self.emu.devices_reply(record)

    async def delete_device(self, request: web.Request) -> web.Response:
        check = Checker(await _json(request), modern=self.modern)
        self._owner(check)
        check.string("hwid", required=True)
        check.done()
        record = self._owner_record(check)
        remaining = [d for d in record["devices"] if d["hwid"] != check.body["hwid"]]
        if len(remaining) == len(record["devices"]):
            raise rules.DEVICE_NOT_FOUND
        record["devices"] = remaining
        return self.emu.devices_reply(record)

    async def delete_all_devices(self, request: web.Request) -> web.Response:
        check = Checker(await _json(request), modern=self.modern)
        self._owner(check)
        check.done()
        record = self._owner_record(check)
        record["devices"] = []
        return self.emu.devices_reply(record)
