"""Holds back customers who flood the bot, before their updates reach the database.

Register it as an outer update middleware *before* the customer middleware. Admins are never throttled,
and neither are payment updates (pre-checkout queries and payment messages must always be processed)
nor membership changes. If the limiter itself fails or is slow (Redis unreachable) updates pass after at
most ``limiter_timeout`` seconds: a broken limiter must not take the shop down.

The warning is written in the language the customer chose in the shop (``language_of``, asked only when
there is something to say, so a flood costs no database work); Telegram's ``language_code`` is the
fallback for a customer the shop does not know yet.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import TelegramObject, Update, User

from remnastore.infra.metrics import Metrics
from remnastore.infra.ratelimit import RateLimiter, Verdict, VerdictKind
from remnastore.locales import Locales, Translator, format_datetime, resolve_language

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
LanguageLookup = Callable[[int], Awaitable[str | None]]


def is_exempt(update: Update) -> bool:
    """Updates that are never throttled: payments and chat membership changes."""
    if update.pre_checkout_query is not None or update.shipping_query is not None:
        return True
    if update.my_chat_member is not None or update.chat_member is not None:
        return True
    message = update.message
    return message is not None and (
        message.successful_payment is not None or message.refunded_payment is not None
    )


class ThrottleMiddleware(BaseMiddleware):
    """Applies the rate limiter's verdict to every update from a customer.

    WARN: one polite warning, the update is dropped. BANNED: the customer is told until when, and (with
    ``notify_ban_end``) told again when the ban ends, by a task of this instance; :meth:`close` cancels
    those tasks. DROP and BANNED_SILENT: dropped without a word.
    """

    def __init__(
        self,
        limiter: RateLimiter,
        admin_ids: frozenset[int],
        locales: Locales,
        *,
        notify_ban_end: bool = True,
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.time,
        limiter_timeout: float = 1.0,
        language_of: LanguageLookup | None = None,
    ) -> None:
        self._limiter = limiter
        self._admins = admin_ids
        self._locales = locales
        self._notify_ban_end = notify_ban_end
        self._metrics = metrics
        self._clock = clock
        self._limiter_timeout = limiter_timeout
        self._language_of = language_of
        self._ban_end_tasks: dict[int, asyncio.Task[None]] = {}
        self._closed = False

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        customer_key = self.counted(event, data)
        if customer_key is None:
            return await handler(event, data)
        try:
            verdict = await asyncio.wait_for(self._limiter.hit(customer_key), self._limiter_timeout)
        except Exception as exc:  # fail open: the limiter protects the shop, it must not stop it
            log.warning("rate limiter unavailable, update let through: %s", type(exc).__name__)
            return await handler(event, data)
        if verdict.allowed:
            return await handler(event, data)
        await self.refuse(verdict, event, data)
        return None

    @property
    def limiter(self) -> RateLimiter:
        return self._limiter

    def counted(self, event: TelegramObject, data: dict[str, Any]) -> int | None:
        """Whose rate limit this update counts against (their Telegram id); None when it is exempt."""
        user: User | None = data.get("event_from_user")
        if user is None or user.is_bot or user.id in self._admins:
            return None
        if isinstance(event, Update) and is_exempt(event):
            return None
        return user.id

    async def refuse(self, verdict: Verdict, event: TelegramObject, data: dict[str, Any]) -> None:
        """What a customer over the limit is told (and nothing else happens with their update)."""
        if self._metrics is not None:
            self._metrics.throttle(verdict.kind.value)
        user: User | None = data.get("event_from_user")
        if user is None or not isinstance(event, Update):
            return
        if verdict.kind in (VerdictKind.WARN, VerdictKind.BANNED):
            bot: Bot | None = data.get("bot")
            t = await self._translator(user)
            if verdict.kind is VerdictKind.WARN:
                await _reply(event, bot, t("throttle-warning"))
            else:
                log.info("customer flooded the bot and is paused", extra={"telegram_id": user.id})
                await _reply(event, bot, self._banned_text(t, verdict))
                if self._notify_ban_end and bot is not None and verdict.ban_until is not None:
                    self._schedule_ban_end(bot, user, verdict.ban_until)

    async def _translator(self, user: User) -> Translator:
        """The customer's chosen language; Telegram's one for a stranger or when the lookup fails."""
        language: str | None = None
        if self._language_of is not None:
            try:
                language = await asyncio.wait_for(self._language_of(user.id), self._limiter_timeout)
            except Exception as exc:  # the warning still goes out, in Telegram's language
                log.warning("customer language lookup failed: %s", type(exc).__name__)
        if language is None:
            language = resolve_language(user.language_code, self._locales.default_language)
        return self._locales.get(language)

    def _banned_text(self, t: Translator, verdict: Verdict) -> str:
        until = verdict.ban_until or self._clock()
        minutes = max(1, math.ceil((until - self._clock()) / 60))
        moment = format_datetime(datetime.fromtimestamp(until, UTC), t.language)
        return t("throttle-banned", until=moment, minutes=minutes)

    def _schedule_ban_end(self, bot: Bot, user: User, ban_until: float) -> None:
        if self._closed:
            return
        previous = self._ban_end_tasks.pop(user.id, None)
        if previous is not None:
            previous.cancel()
        task = asyncio.create_task(self._tell_ban_ended(bot, user, ban_until), name=f"ban-end-{user.id}")
        self._ban_end_tasks[user.id] = task
        task.add_done_callback(lambda done: self._forget(user.id, done))

    def _forget(self, user_id: int, task: asyncio.Task[None]) -> None:
        if self._ban_end_tasks.get(user_id) is task:
            del self._ban_end_tasks[user_id]

    async def _tell_ban_ended(self, bot: Bot, user: User, ban_until: float) -> None:
        await asyncio.sleep(max(0.0, ban_until - self._clock()))
        try:
            if await self._limiter.is_banned(user.id):
                return  # banned again meanwhile (another instance tells about that one)
            t = await self._translator(user)
            await bot.send_message(user.id, t("throttle-ban-ended"))
        except TelegramAPIError as exc:
            log.info("could not tell a customer their pause ended: %s", exc)
        except Exception:
            log.exception("telling a customer their pause ended failed")

    @property
    def pending_notifications(self) -> int:
        return len(self._ban_end_tasks)

    async def close(self) -> None:
        """Cancel the pending "pause is over" notifications (call on shutdown)."""
        self._closed = True
        tasks = list(self._ban_end_tasks.values())
        self._ban_end_tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task


async def _reply(update: Update, bot: Bot | None, text: str) -> None:
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text[:200], show_alert=True)
            return
        message = update.message or update.edited_message
        if message is not None and message.chat.type == "private" and bot is not None:
            await bot.send_message(message.chat.id, text)
    except TelegramAPIError as exc:
        log.info("could not tell a customer they are throttled: %s", exc)
