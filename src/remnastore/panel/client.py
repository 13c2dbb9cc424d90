"""The Remnawave panel client: typed calls, one timeout per request, retries where repeating is safe.

Retry policy (on :class:`PanelUnavailable` only, ``retries`` extra attempts with exponential backoff):

* retried: every GET; ``PATCH /api/users`` (it sets absolute values); enable and disable (a repeat answers
  "already enabled/disabled", taken as success); reset-traffic (usage is zero either way); revoke (every
  attempt leaves the old link dead and the reply carries the link that is valid now); delete user (a
  repeat answers 404, taken as "already gone"); delete device (a repeat's 404 is answered with the
  current device list); delete all devices.
* never retried: create (a lost reply is resolved by adopting the user, see :meth:`create_user`) and
  ``actions/extend`` (a repeat would add the days twice).

The API token, cookies and subscription links are never logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import quote

from remnastore.panel.errors import (
    CODE_ALREADY_DISABLED,
    CODE_ALREADY_ENABLED,
    CODE_DEVICE_NOT_FOUND,
    CODE_USERNAME_TAKEN,
    PanelAuthError,
    PanelBadRequest,
    PanelError,
    PanelNotFound,
    PanelUnavailable,
    PanelUsernameTaken,
    PanelUuidLink,
)
from remnastore.panel.models import (
    CreateUserRequest,
    HwidDevice,
    HwidSettings,
    PanelUser,
    SystemStats,
    UpdateUserRequest,
)
from remnastore.panel.transport import OnCall, PanelTransport, parse_reply

log = logging.getLogger(__name__)

UserRef = int | str


def _major_of(version: object) -> int | None:
    if not isinstance(version, str):
        return None
    head = version.strip().lstrip("vV").split(".", 1)[0]
    if not head.isdigit():
        return None
    return 3 if int(head) >= 3 else 2


class RemnawaveClient:
    """Talks to one Remnawave panel (3.x, or 2.x in legacy mode) over its REST API."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        api_version: Literal["auto", "2", "3"] = "auto",
        extra_headers: Mapping[str, str] | None = None,
        cookies: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        retries: int = 2,
        retry_backoff: float = 0.2,
        on_call: OnCall | None = None,
    ) -> None:
        self._transport = PanelTransport(
            base_url,
            token,
            extra_headers=extra_headers,
            cookies=cookies,
            timeout=timeout,
            retries=retries,
            retry_backoff=retry_backoff,
            on_call=on_call,
        )
        self._call = self._transport.call
        self._parse = parse_reply
        self._major: int | None = {"2": 2, "3": 3}.get(api_version)
        self._version_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"RemnawaveClient({self.base_url!r})"

    @property
    def base_url(self) -> str:
        """The panel's address without the ``/api`` suffix."""
        return self._transport.root

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self._transport.close()

    # -- version -----------------------------------------------------------------------------------

    async def api_major(self) -> int:
        """The panel's major API version: 3 or 2 (legacy)."""
        if self._major is None:
            async with self._version_lock:
                if self._major is None:
                    self._major = await self._detect_major()
        return self._major

    async def _detect_major(self) -> int:
        try:
            meta = await self._call("system.metadata", "GET", "/api/system/metadata", retry=True)
            major = _major_of(meta.get("version") if isinstance(meta, dict) else None)
            if major is not None:
                return major
        except PanelAuthError as exc:
            if exc.status == 401:
                raise
        except PanelUnavailable as exc:
            if exc.status is None:  # network-level: the panel is down, a probe would fail as well
                raise
        except PanelError:
            pass
        # Old panels have no metadata route: a 2.x user carries ``uuid`` and no ``id``.
        page = await self._call(
            "users.list", "GET", "/api/users", params={"start": "0", "size": "1"}, retry=True
        )
        users = page.get("users") if isinstance(page, dict) else None
        first = users[0] if isinstance(users, list) and users else None
        if isinstance(first, dict) and "uuid" in first and "id" not in first:
            return 2
        return 3

    async def _ref(self, ref: UserRef) -> str:
        if await self.api_major() >= 3:
            if isinstance(ref, str) and ref and not ref.isdigit():
                raise PanelUuidLink(f"a 3.x panel has no lookup by uuid ({ref}); it addresses users by id")
            if isinstance(ref, bool) or not isinstance(ref, int | str) or not str(ref).isdigit():
                raise ValueError("a 3.x panel addresses users by their numeric id")
            return str(int(ref))
        if not isinstance(ref, str) or not ref:
            raise ValueError("a 2.x panel addresses users by their uuid")
        return ref

    async def _user_key(self, ref: UserRef) -> dict[str, Any]:
        key = await self._ref(ref)
        return {"id": int(key)} if await self.api_major() >= 3 else {"uuid": key}

    async def _device_owner(self, ref: UserRef) -> dict[str, Any]:
        key = await self._ref(ref)
        return {"userId": int(key)} if await self.api_major() >= 3 else {"userUuid": key}

    # -- users -------------------------------------------------------------------------------------

    async def _stream(
        self, name: str, filters: Mapping[str, str], size: int
    ) -> AsyncIterator[list[PanelUser]]:
        cursor: str | None = None
        while True:
            params = {**filters, "size": str(size)}
            if cursor is not None:
                params["cursor"] = cursor
            page = await self._call(name, "GET", "/api/users/stream", params=params, retry=True)
            if not isinstance(page, dict) or not isinstance(page.get("users"), list):
                raise PanelError(f"{name}: unexpected reply from the panel")
            users = [self._parse(name, PanelUser, item) for item in page["users"]]
            if users:
                yield users
            next_cursor = page.get("nextCursor")
            next_cursor = str(next_cursor) if next_cursor is not None else None
            if not page.get("hasMore") or next_cursor is None or next_cursor == cursor:
                return
            cursor = next_cursor

    async def find_by_telegram_id(self, telegram_id: int) -> list[PanelUser]:
        """Every panel user bound to this Telegram id (several may share one)."""
        if await self.api_major() >= 3:
            found: list[PanelUser] = []
            async for page in self._stream("users.by_telegram_id", {"telegramId": str(telegram_id)}, 100):
                found.extend(page)
            return found
        name = "users.by_telegram_id"
        try:
            data = await self._call(name, "GET", f"/api/users/by-telegram-id/{telegram_id}", retry=True)
        except PanelNotFound as exc:
            if exc.route_missing:
                raise
            return []
        if not isinstance(data, list):
            raise PanelError(f"{name}: unexpected reply from the panel")
        return [self._parse(name, PanelUser, item) for item in data]

    async def get_user(self, ref: UserRef) -> PanelUser:
        key = await self._ref(ref)
        return self._parse(
            "users.get", PanelUser, await self._call("users.get", "GET", f"/api/users/{key}", retry=True)
        )

    async def get_user_by_username(self, username: str) -> PanelUser:
        name = "users.by_username"
        data = await self._call(name, "GET", f"/api/users/by-username/{quote(username, safe='')}", retry=True)
        return self._parse(name, PanelUser, data)

    async def create_user(self, req: CreateUserRequest) -> PanelUser:
        """Create a user; never repeated blindly.

        If the username is taken (``A019``), or the reply was lost (timeout, 5xx, dropped connection),
        the user is looked up by username and returned when its ``telegramId`` equals the request's:
        it is the user this very call (or an earlier, lost one) created. Otherwise the error is raised.
        """
        try:
            data = await self._call("users.create", "POST", "/api/users", body=req.to_payload(), retry=False)
        except (PanelUsernameTaken, PanelUnavailable) as exc:
            return await self._adopt(req, exc)
        return self._parse("users.create", PanelUser, data)

    async def _adopt(self, req: CreateUserRequest, cause: PanelError) -> PanelUser:
        try:
            existing = await self.get_user_by_username(req.username)
        except PanelNotFound:
            raise cause from None
        except PanelUnavailable as lookup_failed:
            # Whether the name is ours cannot be told now: report the transient failure.
            raise (cause if isinstance(cause, PanelUnavailable) else lookup_failed) from None
        if req.telegram_id is not None and existing.telegram_id == req.telegram_id:
            log.info("panel user %s already existed for this customer; adopted", existing.username)
            return existing
        if isinstance(cause, PanelUsernameTaken):
            raise cause
        raise PanelUsernameTaken(
            f"users.create: username {req.username!r} belongs to another panel user",
            status=400,
            code=CODE_USERNAME_TAKEN,
        ) from cause

    async def update_user(self, ref: UserRef, req: UpdateUserRequest) -> PanelUser:
        body = {**req.to_payload(), **(await self._user_key(ref))}
        data = await self._call("users.update", "PATCH", "/api/users", body=body, retry=True)
        return self._parse("users.update", PanelUser, data)

    async def extend_user(self, ref: UserRef, days: int) -> PanelUser:
        """Add ``days`` to the subscription, counting from now if it has already run out."""
        if days < 1:
            raise ValueError("days must be at least 1")
        user = await self.get_user(ref)
        now = datetime.now(UTC)
        if await self.api_major() >= 3 and user.expire_at > now:
            key = await self._ref(ref)
            path = f"/api/users/{key}/actions/extend"
            data = await self._call("users.extend", "POST", path, body={"days": days}, retry=False)
            return self._parse("users.extend", PanelUser, data)
        # 2.x has no extend action; an expired user is extended from now. PATCH sets an absolute date.
        new_expiry = max(now, user.expire_at) + timedelta(days=days)
        return await self.update_user(ref, UpdateUserRequest(expire_at=new_expiry))

    async def _action(self, ref: UserRef, action: str, *, body: Any = None) -> PanelUser:
        key = await self._ref(ref)
        name = f"users.{action.replace('-', '_')}"
        data = await self._call(name, "POST", f"/api/users/{key}/actions/{action}", body=body, retry=True)
        return self._parse(name, PanelUser, data)

    async def enable_user(self, ref: UserRef) -> PanelUser:
        try:
            return await self._action(ref, "enable")
        except PanelBadRequest as exc:
            if exc.code != CODE_ALREADY_ENABLED:
                raise
            return await self.get_user(ref)

    async def disable_user(self, ref: UserRef) -> PanelUser:
        try:
            return await self._action(ref, "disable")
        except PanelBadRequest as exc:
            if exc.code != CODE_ALREADY_DISABLED:
                raise
            return await self.get_user(ref)

    async def reset_traffic(self, ref: UserRef) -> PanelUser:
        return await self._action(ref, "reset-traffic")

    async def revoke_subscription(self, ref: UserRef) -> PanelUser:
        """New subscription link (and proxy credentials); the old link stops working."""
        return await self._action(ref, "revoke", body={})

    async def delete_user(self, ref: UserRef) -> None:
        """Delete the user; a user that is already gone is not an error."""
        key = await self._ref(ref)
        try:
            await self._call("users.delete", "DELETE", f"/api/users/{key}", retry=True)
        except PanelNotFound as exc:
            if exc.route_missing:
                raise

    async def iter_users(self, page_size: int = 250) -> AsyncIterator[list[PanelUser]]:
        """Every user of the panel, one page (list) at a time, in id order on 3.x."""
        size = max(1, min(page_size, 1000))
        if await self.api_major() >= 3:
            async for page in self._stream("users.stream", {}, size):
                yield page
            return
        start = 0
        while True:
            total, users = await self.users_page(start, size)
            if users:
                yield users
            start += len(users)
            if not users or (total is not None and start >= total):
                return

    async def users_page(
        self, start: int, size: int, *, recently_updated_first: bool = False
    ) -> tuple[int | None, list[PanelUser]]:
        """One page of ``GET /api/users`` (offset paging, in both 2.x and 3.x): (total users if told, page).

        The panel lists newest ids first, or with ``recently_updated_first`` by ``updatedAt`` descending
        (what a light sync of changed users walks). Pages can be fetched concurrently; users added or
        deleted meanwhile may shift the pages.
        """
        params = {"start": str(max(0, start)), "size": str(max(1, min(size, 1000)))}
        if recently_updated_first:
            params["sorting"] = '[{"id":"updatedAt","desc":true}]'
        data = await self._call("users.list", "GET", "/api/users", params=params, retry=True)
        if not isinstance(data, dict) or not isinstance(data.get("users"), list):
            raise PanelError("users.list: unexpected reply from the panel")
        users = [self._parse("users.list", PanelUser, item) for item in data["users"]]
        total = data.get("total")
        return (total if isinstance(total, int) else None), users

    # -- devices, squads, system -------------------------------------------------------------------

    def _devices(self, name: str, data: Any) -> list[HwidDevice]:
        items = data.get("devices") if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise PanelError(f"{name}: unexpected reply from the panel")
        return [self._parse(name, HwidDevice, item) for item in items]

    async def list_devices(self, ref: UserRef) -> list[HwidDevice]:
        key = await self._ref(ref)
        return self._devices(
            "hwid.list", await self._call("hwid.list", "GET", f"/api/hwid/devices/{key}", retry=True)
        )

    async def delete_device(self, ref: UserRef, hwid: str) -> list[HwidDevice]:
        """Forget one device; returns the devices left. Unknown hwid: :class:`PanelNotFound`."""
        body = {**(await self._device_owner(ref)), "hwid": hwid}
        try:
            data = await self._call("hwid.delete", "POST", "/api/hwid/devices/delete", body=body, retry=True)
        except PanelNotFound as exc:
            if exc.code == CODE_DEVICE_NOT_FOUND and exc.attempts > 1:
                return await self.list_devices(ref)  # an earlier attempt deleted it; its reply was lost
            raise
        return self._devices("hwid.delete", data)

    async def delete_all_devices(self, ref: UserRef) -> list[HwidDevice]:
        body = await self._device_owner(ref)
        data = await self._call(
            "hwid.delete_all", "POST", "/api/hwid/devices/delete-all", body=body, retry=True
        )
        return self._devices("hwid.delete_all", data)

    async def list_internal_squads(self) -> list[tuple[str, str]]:
        """``(uuid, name)`` of every internal squad."""
        data = await self._call("squads.list", "GET", "/api/internal-squads", retry=True)
        items = data.get("internalSquads") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise PanelError("squads.list: unexpected reply from the panel")
        return [
            (str(item["uuid"]), str(item.get("name", "")))
            for item in items
            if isinstance(item, dict) and item.get("uuid")
        ]

    async def hwid_settings(self) -> HwidSettings:
        """The panel's HWID limiting (``GET /api/subscription-settings``, 3.x and late 2.x)."""
        data = await self._call("subscription_settings.get", "GET", "/api/subscription-settings", retry=True)
        settings = data.get("hwidSettings") if isinstance(data, dict) else None
        return self._parse("subscription_settings.get", HwidSettings, settings or {})

    async def system_stats(self) -> SystemStats:
        """Panel-wide counters; also a cheap authenticated health probe."""
        return self._parse(
            "system.stats",
            SystemStats,
            await self._call("system.stats", "GET", "/api/system/stats", retry=True),
        )
