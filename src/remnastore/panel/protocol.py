"""What the shop's access services need of the panel: the protocol :class:`RemnawaveClient` implements
(and an in-process fake implements in the service tests, so a rule is checked in milliseconds)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from remnastore.panel.models import CreateUserRequest, PanelUser, UpdateUserRequest

UserRef = int | str


@runtime_checkable
class PanelApi(Protocol):
    async def find_by_telegram_id(self, telegram_id: int) -> list[PanelUser]: ...

    async def get_user(self, ref: UserRef) -> PanelUser: ...

    async def create_user(self, req: CreateUserRequest) -> PanelUser: ...

    async def update_user(self, ref: UserRef, req: UpdateUserRequest) -> PanelUser: ...

    async def disable_user(self, ref: UserRef) -> PanelUser: ...

    async def reset_traffic(self, ref: UserRef) -> PanelUser: ...

    async def list_internal_squads(self) -> list[tuple[str, str]]: ...
