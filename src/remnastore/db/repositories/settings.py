"""Settings overrides: what admins changed in the bot, on top of the configuration's defaults."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from remnastore.db.models import SettingsOverride


class SettingsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def version(self) -> int:
        """The largest version: it changes whenever any override changes (0 = none yet)."""
        latest = await self.session.scalar(select(func.max(SettingsOverride.version)))
        return int(latest or 0)

    async def all(self) -> dict[str, Any]:
        """Every override in force (rows reset to the default are left out)."""
        rows = (await self.session.scalars(select(SettingsOverride))).all()
        return {row.key: row.value for row in rows if row.value is not None}

    async def get(self, key: str) -> Any:
        row = await self.session.get(SettingsOverride, key)
        return row.value if row is not None else None

    async def put(self, key: str, value: Any, *, actor_telegram_id: int | None) -> int:
        """Set (``value`` None: reset) one override with the next version; returns that version.

        Two concurrent writers may pick the same version: the unique constraint makes one of them fail
        at commit, and the caller retries.
        """
        version = await self.version() + 1
        row = await self.session.get(SettingsOverride, key)
        if row is None:
            row = SettingsOverride(key=key, value=value, version=version, updated_by=actor_telegram_id)
            self.session.add(row)
        else:
            row.value = value
            row.version = version
            row.updated_by = actor_telegram_id
        await self.session.flush()
        return version
