"""Backups from the admin menu: the archives on disk, a new one on request, one archive's file."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from remnastore.config.backup import BackupSettings
from remnastore.domain.errors import DomainError
from remnastore.ops.archive import archive_time
from remnastore.ops.backup import BackupSources, backup_and_rotate

#: Telegram bots may send documents up to this size
SEND_LIMIT = 50 * 1024 * 1024


@dataclass(frozen=True)
class Archive:
    name: str
    created_at: datetime
    size: int
    path: Path


class BackupShelf:
    def __init__(self, settings: BackupSettings, sources: Callable[[], BackupSources]) -> None:
        self._settings = settings
        self._sources = sources
        self._lock = asyncio.Lock()

    def _list(self) -> list[Archive]:
        directory = self._settings.directory
        if not directory.is_dir():
            return []
        found = []
        for path in directory.iterdir():
            moment = archive_time(path.name)
            if moment is not None and path.is_file():
                found.append(Archive(path.name, moment, path.stat().st_size, path))
        return sorted(found, key=lambda a: (a.created_at, a.name), reverse=True)

    async def archives(self) -> list[Archive]:
        """The archives in BACKUP_DIR, newest first."""
        return await asyncio.to_thread(self._list)

    async def create(self) -> Archive:
        """A new archive now (old ones rotated as by the scheduled backup)."""
        if self._lock.locked():
            raise DomainError("backup-busy")
        async with self._lock:
            try:
                result, _ = await backup_and_rotate(self._sources(), self._settings)
            except Exception as exc:
                raise DomainError("backup-failed", reason=type(exc).__name__) from exc
        created = archive_time(result.path.name)
        assert created is not None  # create_backup names every archive with its time
        return Archive(result.path.name, created, result.size, result.path)

    async def archive(self, name: str) -> Archive:
        """One archive by its file name (only names of archives in BACKUP_DIR are accepted)."""
        found = next((a for a in await self.archives() if a.name == name), None)
        if found is None:
            raise DomainError("backup-not-found")
        if found.size > SEND_LIMIT:
            raise DomainError("backup-too-large")
        return found
