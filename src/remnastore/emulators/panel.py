"""A protocol-true emulator of the Remnawave panel: a real aiohttp server on 127.0.0.1.

The emulated panel version is a parameter: ``version="3.3.2"`` (the default) speaks the 3.x REST API
(users addressed by numeric ``id``); a 2.x version (or ``api_version=2``) the 2.x one (``uuid`` paths,
``by-telegram-id``, no ``actions/extend``, ``userUuid`` in HWID bodies, DELETE answering
``{"response": {"isDeleted": true}}``, zod-3 validation bodies, ``subLastUserAgent`` before 2.7).

Strict like a real panel: plain-http requests without ``X-Forwarded-For``/``X-Forwarded-Proto: https``
get their socket closed (``require_proxy_headers``, on by default); the API token's ``scopes`` are
enforced (403 "Forbidden resource"); an unknown internal squad on create/update is a 500 ``A018``/``A039``
with nothing applied; HWID device limits are enforced only while ``hwid_limiting`` is on (off on a fresh
panel), a null user limit meaning ``fallback_device_limit``; what a client app fetching the subscription
gets (devices registered or refused) follows :mod:`.panel_subscription`.

Replies use the ``{"response": ...}`` envelope and the panel's three error shapes (business
``errorCode``, validation ``errors[]``, Nest defaults); unknown routes answer Nest's 404 "Cannot GET
...". Test helpers inject failures, latency and outages, record every request,
and deliver webhooks signed byte-for-byte like the panel's.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import string
import uuid as uuid_lib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import aiohttp
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from remnastore.emulators import panel_records as records
from remnastore.emulators import panel_rules as rules
from remnastore.emulators.panel_auth import refusal
from remnastore.emulators.panel_faults import PanelFaults
from remnastore.emulators.panel_routes import PanelRoutes
from remnastore.emulators.panel_rules import (
    BusinessError,
    ValidationFailed,
    compact_json,
    iso,
    nest_error,
    now,
    reply,
)
from remnastore.emulators.panel_system_routes import PanelSystemRoutes
from remnastore.emulators.served import Served

DEFAULT_SQUAD_UUID = "6f1c2b9e-4d3a-4c8b-9e7f-1a2b3c4d5e60"
#: the panel version emulated unless told otherwise (the newest the shop is tested against)
DEFAULT_VERSION = "3.3.2"
#: the panel versions the shop's tests run against (docs/operations.md)
TESTED_VERSIONS = ("3.3.2", "2.7.4")
_SHORT_ALPHABET = string.ascii_letters + string.digits + "_-"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def version_tuple(version: str) -> tuple[int, ...]:
    """``"3.3.2"`` -> ``(3, 3, 2)``."""
    return tuple(int(part) for part in version.strip().lstrip("vV").split(".") if part.isdigit())


def sign_webhook(body: bytes, secret: str) -> str:
    """``X-Remnawave-Signature``: lowercase hex HMAC-SHA256 of the raw body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class RecordedRequest(NamedTuple):
    """One request the emulator received; ``path`` includes the query string."""

    method: str
    path: str
    json: Any
    headers: Mapping[str, str]


class PanelEmulator(PanelFaults, Served):
    """In-memory Remnawave panel. ``url`` is the base URL once :meth:`start` has run."""

    def __init__(
        self,
        *,
        token: str | None = None,
        api_version: int | None = None,
        require_proxy_headers: bool = True,
        version: str | None = None,
        admin_token: str | None = None,
        scopes: Sequence[str] = ("*",),
        hwid_limiting: bool = False,
        fallback_device_limit: int = 999,
        max_devices_announce: str | None = None,
    ) -> None:
        super().__init__()
        if api_version is None:
            api_version = version_tuple(version or DEFAULT_VERSION)[0] if version else 3
        if api_version not in (2, 3):
            raise ValueError("api_version must be 2 or 3")
        self.token = token or secrets.token_urlsafe(32)
        self.admin_token = admin_token
        self.api_version = api_version
        self.require_proxy_headers = require_proxy_headers
        self.version = version or (DEFAULT_VERSION if api_version == 3 else "2.7.4")
        if version_tuple(self.version)[0] != api_version:
            raise ValueError(f"version {self.version} is not an API {api_version} panel")
        #: the API token's scopes: ``*``, ``<resource>:*``, ``<resource>:read`` or ``<resource>:write``
        self.scopes = set(scopes)
        #: the panel's subscription settings: HWID limiting and the limit of users whose own is null
        self.hwid_limiting = hwid_limiting
        self.fallback_device_limit = fallback_device_limit
        #: the text a client app shows when the device limit refuses it (the ``announce`` header)
        self.max_devices_announce = max_devices_announce
        self.requests: list[RecordedRequest] = []
        self._users: dict[int, dict[str, Any]] = {}
        self._next_id = 1
        self._squads: dict[str, str] = {DEFAULT_SQUAD_UUID: "Default-Squad"}
        self._runner: web.AppRunner | None = None
        self._url = "http://127.0.0.1:0"
        self._started_at = now()

    # -- lifecycle ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self._url

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._stopping = asyncio.Event()
        app = web.Application(middlewares=[self._middleware])
        self._add_routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0]
        self._url = f"http://{bound[0]}:{bound[1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            self._stopping.set()  # cut injected delays short so shutdown does not wait for them
            await self._runner.cleanup()
            self._runner = None

    # -- test helpers ------------------------------------------------------------------------------

    def add_user(self, **fields: Any) -> dict[str, Any]:
        """Seed a user without validation; keys in camelCase or snake_case. Returns its JSON form."""
        values = {rules.camel(key): value for key, value in fields.items()}
        record = self._new_record(values)
        return self.render(record)

    def add_users(self, count: int, *, telegram_id_from: int | None = None, **fields: Any) -> list[int]:
        """Seed ``count`` users quickly (for large panels); user ``i`` gets telegramId
        ``telegram_id_from + i`` unless ``telegram_id_from`` is None. Returns their ids."""
        values = {rules.camel(key): value for key, value in fields.items()}
        taken = {record["shortUuid"] for record in self._users.values()}
        ids: list[int] = []
        for i in range(count):
            short = "".join(secrets.choice(_SHORT_ALPHABET) for _ in range(16))
            while short in taken:
                short = "".join(secrets.choice(_SHORT_ALPHABET) for _ in range(16))
            taken.add(short)
            own = dict(values)
            if telegram_id_from is not None:
                own["telegramId"] = telegram_id_from + i
            record = records.new_user(self._next_id, short, own)
            self._next_id += 1
            self._users[record["id"]] = record
            ids.append(record["id"])
        return ids

    def set_expiry(self, user_ref: int | str, expire_at: datetime) -> None:
        """What a seller does in the panel UI (extend, shorten): no webhook, ``updatedAt`` moves."""
        self._record(user_ref).update(expireAt=expire_at, updatedAt=now())

    @property
    def users(self) -> list[dict[str, Any]]:
        return [self.render(record) for record in self._users.values()]

    def user(self, ref: int | str) -> dict[str, Any]:
        return self.render(self._record(ref))

    def user_by_telegram_id(self, telegram_id: int) -> dict[str, Any] | None:
        found = [r for r in self._users.values() if r["telegramId"] == telegram_id]
        return self.render(found[0]) if found else None

    def delete_user(self, user_ref: int | str) -> None:
        """Delete a user as a seller does in the panel's own pages: nothing is announced to the shop."""
        del self._users[self._record(user_ref)["id"]]

    def add_squad(self, name: str) -> str:
        squad_uuid = str(uuid_lib.uuid4())
        self._squads[squad_uuid] = name
        return squad_uuid

    def add_device(
        self,
        user_ref: int | str,
        hwid: str,
        platform: str | None = "Android",
        os_version: str | None = "14",
        device_model: str | None = "Pixel 8",
        user_agent: str | None = "Happ/3.0.0",
    ) -> dict[str, Any]:
        record = self._record(user_ref)
        device = records.new_device(record, hwid, platform, os_version, device_model, user_agent)
        record["devices"].append(device)
        return dict(device)

    def devices(self, user_ref: int | str) -> list[dict[str, Any]]:
        """The user's HWID devices as the panel shows them (in the order they were added)."""
        return [records.render_device(d, self.api_version) for d in self._record(user_ref)["devices"]]

    def set_used_traffic(self, user_ref: int | str, used_bytes: int) -> None:
        record = self._record(user_ref)
        record["lifetimeUsedTrafficBytes"] += max(0, used_bytes - record["usedTrafficBytes"])
        record["usedTrafficBytes"] = used_bytes
        record["onlineAt"] = now()
        record["firstConnectedAt"] = record["firstConnectedAt"] or now()

    def set_status(self, user_ref: int | str, status: str) -> None:
        self._record(user_ref).update(status=status, updatedAt=now())

    def run_sweeps(self) -> None:
        """What the panel's periodic jobs do: expire overdue users, limit users over their traffic."""
        current = now()
        for record in self._users.values():
            if record["status"] == "ACTIVE" and record["expireAt"] <= current:
                record.update(status="EXPIRED", updatedAt=current)
            limit = record["trafficLimitBytes"]
            if record["status"] == "ACTIVE" and limit and record["usedTrafficBytes"] >= limit:
                record.update(status="LIMITED", updatedAt=current)

    def webhook_body(
        self,
        event: str,
        user_ref: int | str | None = None,
        *,
        meta: Mapping[str, Any] | None = None,
        hwid: str | None = None,
        timestamp: datetime | None = None,
    ) -> bytes:
        """The exact bytes the panel POSTs for ``event`` (compact JSON, non-ASCII raw)."""
        scope = event.split(".", 1)[0]
        payload: dict[str, Any] = {"scope": scope, "event": event, "timestamp": iso(timestamp or now())}
        if scope == "user":
            payload["data"] = self.render(self._record(self._required(user_ref)))
            payload["meta"] = dict(meta) if meta is not None else None
        elif scope == "user_hwid_devices":
            record = self._record(self._required(user_ref))
            devices = [d for d in record["devices"] if hwid is None or d["hwid"] == hwid]
            device = (
                devices[-1] if devices else records.new_device(record, hwid or "", None, None, None, None)
            )
            payload["data"] = {
                "hwidUserDevice": records.render_device(device, self.api_version),
                "user": self.render(record),
            }
        else:
            payload["data"] = dict(meta) if meta is not None else {"panelVersion": self.version}
        return compact_json(payload).encode()

    async def send_webhook(
        self,
        url: str,
        event: str,
        user_id: int | str | None,
        *,
        secret: str,
        meta: Mapping[str, Any] | None = None,
        hwid: str | None = None,
    ) -> int:
        """Deliver one webhook like the panel's jobs process; returns the receiver's HTTP status."""
        stamp = now()
        body = self.webhook_body(event, user_id, meta=meta, hwid=hwid, timestamp=stamp)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Remnawave",
            "X-Remnawave-Signature": sign_webhook(body, secret),
            "X-Remnawave-Timestamp": iso(stamp) or "",
        }
        timeout = aiohttp.ClientTimeout(total=10)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(url, data=body, headers=headers) as reply,
        ):
            await reply.read()
            return reply.status

    # -- records and rendering ---------------------------------------------------------------------

    @staticmethod
    def _required(ref: int | str | None) -> int | str:
        if ref is None:
            raise ValueError("this event needs a user")
        return ref

    def _record(self, ref: int | str) -> dict[str, Any]:
        record = self._find(ref)
        if record is None:
            raise KeyError(f"no user {ref!r}")
        return record

    def _find(self, ref: int | str) -> dict[str, Any] | None:
        if isinstance(ref, int):
            return self._users.get(ref)
        for record in self._users.values():
            if record["uuid"] == ref:
                return record
        return self._users.get(int(ref)) if ref.isdigit() else None

    def _find_by(self, key: str, value: Any) -> dict[str, Any] | None:
        return next((r for r in self._users.values() if r[key] == value), None)

    def _new_short_uuid(self) -> str:
        while True:
            candidate = "".join(secrets.choice(_SHORT_ALPHABET) for _ in range(16))
            if self._find_by("shortUuid", candidate) is None:
                return candidate

    def _new_record(self, values: Mapping[str, Any]) -> dict[str, Any]:
        record = records.new_user(self._next_id, self._new_short_uuid(), values)
        self._next_id += 1
        self._users[record["id"]] = record
        return record

    def render(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The user as the panel's JSON shows it."""
        version = version_tuple(self.version)
        return records.render_user(
            record,
            self.api_version,
            self._url,
            self._squads,
            legacy_sub_fields=version < (2, 7),
            before_2_3=version < (2, 3),
        )

    def devices_reply(self, record: Mapping[str, Any]) -> web.Response:
        """The user's devices, newest first (the panel orders them by ``createdAt`` descending)."""
        newest_first = list(reversed(record["devices"]))  # stored in the order they were added
        devices = [records.render_device(d, self.api_version) for d in newest_first]
        return reply({"total": len(devices), "devices": devices})

    # -- HTTP plumbing -----------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        raw = await request.read()
        try:
            parsed, valid_json = (json.loads(raw) if raw else None), True
        except ValueError:
            parsed, valid_json = raw.decode("utf-8", "replace"), False
        headers = CIMultiDictProxy(CIMultiDict(request.headers))
        self.requests.append(RecordedRequest(request.method, request.path_qs, parsed, headers))
        proxied = bool(request.headers.get("X-Forwarded-For")) and (
            request.headers.get("X-Forwarded-Proto") == "https"
        )
        if self._down or (self.require_proxy_headers and not proxied):
            if request.transport is not None:
                request.transport.close()  # the panel destroys the socket: no status line at all
            raise asyncio.CancelledError
        answer: web.StreamResponse | None = self._injected_failure(request) or refusal(
            request, token=self.token, admin_token=self.admin_token, scopes=self.scopes
        )
        if answer is None and not valid_json:
            answer = nest_error(400, "Unexpected token in JSON body", "Bad Request")
        if answer is None:
            try:
                answer = await handler(request)
            except ValidationFailed as exc:
                answer = web.json_response(exc.body(), status=400, dumps=compact_json)
            except BusinessError as exc:
                body = exc.body(request.path_qs, iso(now()))
                answer = web.json_response(body, status=exc.status, dumps=compact_json)
        if self._take_drop(request, parsed):
            if request.transport is not None:
                request.transport.close()  # applied; the reply is lost on the way
            raise asyncio.CancelledError
        await self._delay(request)
        return answer

    def _add_routes(self, app: web.Application) -> None:
        PanelRoutes(self).register(app)
        PanelSystemRoutes(self).register(app)
