"""A panel client that reports every write it makes, so that cached panel users can be dropped."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from remnastore.panel.client import RemnawaveClient, UserRef
from remnastore.panel.models import CreateUserRequest, HwidDevice, PanelUser, UpdateUserRequest

#: ``(refs, telegram_ids)`` of the panel users a write touched (refs as strings: ids or uuids)
WriteHook = Callable[[set[str], set[int]], Awaitable[None]]


class WatchedPanelClient(RemnawaveClient):
    """:class:`RemnawaveClient` whose writes call ``on_write`` afterwards, whether they succeeded or not
    (a write whose reply was lost may still have been applied)."""

    def __init__(self, *args: Any, on_write: WriteHook | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_write = on_write

    async def _written(self, ref: UserRef | None, user: PanelUser | None, telegram_id: int | None) -> None:
        if self.on_write is None:
            return
        refs = {str(ref)} if ref is not None else set()
        telegram_ids = {telegram_id} if telegram_id is not None else set()
        if user is not None:
            refs.update(str(r) for r in (user.id, user.uuid) if r is not None)
            if user.telegram_id is not None:
                telegram_ids.add(user.telegram_id)
        await self.on_write(refs, telegram_ids)

    async def create_user(self, req: CreateUserRequest) -> PanelUser:
        user: PanelUser | None = None
        try:
            user = await super().create_user(req)
            return user
        finally:
            await self._written(None, user, req.telegram_id)

    async def update_user(self, ref: UserRef, req: UpdateUserRequest) -> PanelUser:
        user: PanelUser | None = None
        try:
            user = await super().update_user(ref, req)
            return user
        finally:
            await self._written(ref, user, None)

    async def extend_user(self, ref: UserRef, days: int) -> PanelUser:
        user: PanelUser | None = None
        try:
            user = await super().extend_user(ref, days)
            return user
        finally:
            await self._written(ref, user, None)

    async def _action(self, ref: UserRef, action: str, *, body: Any = None) -> PanelUser:
        user: PanelUser | None = None
        try:
            user = await super()._action(ref, action, body=body)
            return user
        finally:
            await self._written(ref, user, None)

    async def delete_user(self, ref: UserRef) -> None:
        try:
            await super().delete_user(ref)
        finally:
            await self._written(ref, None, None)

    async def delete_device(self, ref: UserRef, hwid: str) -> list[HwidDevice]:
        try:
            return await super().delete_device(ref, hwid)
        finally:
            await self._written(ref, None, None)

    async def delete_all_devices(self, ref: UserRef) -> list[HwidDevice]:
        try:
            return await super().delete_all_devices(ref)
        finally:
            await self._written(ref, None, None)
