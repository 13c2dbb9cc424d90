"""The shop's log chat (LOG_CHAT_ID, optionally a forum topic LOG_THREAD_ID): payments, new customers,
trials, promo codes and alerts, posted in the background so that a slow or failing Telegram never holds
up (or breaks) the work that reported the event."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiogram import Bot

from remnastore.locales import Locales

log = logging.getLogger(__name__)
Spawn = Callable[[Coroutine[Any, Any, object]], object]
SEND_TIMEOUT = 10.0


class LogChat:
    """Implements :class:`remnastore.services.notifications.ShopEvents`; also posts alerts and payments."""

    def __init__(
        self,
        bot: Bot,
        locales: Locales,
        *,
        chat_id: int | None,
        thread_id: int | None,
        spawn: Spawn,
        timeout: float = SEND_TIMEOUT,
    ) -> None:
        self._bot = bot
        self._locales = locales
        self.chat_id = chat_id
        self._thread = thread_id
        self._spawn = spawn
        self._timeout = timeout

    @property
    def enabled(self) -> bool:
        return self.chat_id is not None

    def post(self, text_key: str, **args: str | int) -> None:
        """Post one line in the shop's default language; returns at once."""
        if self.chat_id is None:
            return
        text = self._locales.get(None)(text_key, **args)
        self._spawn(self._deliver(self.chat_id, text))

    async def _deliver(self, chat_id: int, text: str) -> None:
        extra = {"message_thread_id": self._thread} if self._thread else {}
        try:
            await asyncio.wait_for(self._bot.send_message(chat_id, text, **extra), self._timeout)  # type: ignore[arg-type]
        except Exception as exc:  # never let the log chat break anything
            log.warning("could not post to the log chat: %s", type(exc).__name__)

    def new_customer(self, *, telegram_id: int, name: str, username: str | None) -> None:
        self.post(
            "log-new-customer",
            customer=str(telegram_id),
            name=name,
            username=f"@{username}" if username else "—",
        )

    def trial_started(self, *, telegram_id: int, days: int) -> None:
        self.post("log-trial", customer=str(telegram_id), days=days)

    def promo_used(self, *, telegram_id: int, code: str, effect: str) -> None:
        self.post("log-promo", customer=str(telegram_id), code=code, effect=effect)
