"""The scheduled backup job: a new archive, old ones rotated away, the archive delivered if configured."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from remnastore.config import Settings
from remnastore.ops.backup import backup_and_rotate
from remnastore.ops.backup_cli import backup_sources

log = logging.getLogger(__name__)


class ScheduledBackup:
    def __init__(self, settings: Settings, deliver: Callable[[Path], Awaitable[None]] | None = None) -> None:
        self._settings = settings
        self._deliver = deliver

    async def run(self) -> None:
        await backup_and_rotate(
            backup_sources(self._settings), self._settings.backup, progress=log.info, deliver=self._deliver
        )
