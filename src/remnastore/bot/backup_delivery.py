"""Scheduled backups sent to the admins as documents (when BACKUP_SEND_TO_ADMINS is on)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import FSInputFile

log = logging.getLogger(__name__)

#: the largest document a bot may send through the Bot API
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024


class TelegramBackupDelivery:
    def __init__(self, bot: Bot, admin_ids: Sequence[int], *, enabled: bool) -> None:
        self._bot = bot
        self._admin_ids = tuple(admin_ids)
        self._enabled = enabled

    async def __call__(self, path: Path) -> None:
        if not self._enabled:
            return
        if (await asyncio.to_thread(path.stat)).st_size > MAX_DOCUMENT_BYTES:
            log.warning("the backup is too large to send through Telegram (50 MB)")
            return
        for admin in self._admin_ids:
            try:
                await self._bot.send_document(admin, FSInputFile(path))
            except TelegramAPIError as exc:
                log.warning("could not send a backup to an admin: %s", exc.message)
