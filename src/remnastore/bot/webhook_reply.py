"""A button press answered in the webhook's own reply instead of by a Bot API request.

Telegram lets a webhook answer its POST with one Bot API method (``{"method": ..., <parameters>}``);
Telegram runs it and returns its result to nobody. A press's ``answerCallbackQuery`` is such a call:
its result is ``True`` and nobody reads it. The webhook handler opens a :class:`ReplySlot` for the
press's query (a context variable, set before the handling task is created, so the task inherits it);
the bot's session (:class:`remnastore.bot.session.BotSession`) puts the handler's FIRST answer for that
query into the slot instead of sending it; the handler waits for that answer or the end of the handling,
at most :data:`REPLY_WAIT_SECONDS`, then replies with the answer, or with ``{}``. The slot is closed
when the reply is built: an answer that comes later (a handler slower than the bound) or a second
answer goes out as an ordinary call, so none is lost and none is sent twice.

Only ``answerCallbackQuery`` goes into a reply: messages stay paced and retried on 429
(:mod:`remnastore.bot.send_budget`), which a webhook reply cannot be.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from aiogram.methods import AnswerCallbackQuery, TelegramMethod

from remnastore.bot.api_json import json_params

if TYPE_CHECKING:
    from aiogram import Bot

#: how long the webhook's reply waits for the press's answer (or the end of the handling) at most;
#: a press is usually answered within milliseconds, and Telegram waits for the reply far longer
REPLY_WAIT_SECONDS = 1.0


class ReplySlot:
    """Room for one ``answerCallbackQuery`` of one callback query, in the webhook's reply."""

    def __init__(self, bot: Bot, query_id: str) -> None:
        self.bot = bot
        self.query_id = query_id
        self.answer: dict[str, Any] | None = None
        self.taken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._open = True

    def offer(self, method: TelegramMethod[Any]) -> bool:
        """Take ``method`` if it is the first answer to this slot's query and the slot is open."""
        if not self._open or not isinstance(method, AnswerCallbackQuery):
            return False
        if method.callback_query_id != self.query_id:
            return False
        return self._take(reply_payload(self.bot, method))

    def offer_notice(self, query_id: str, notice: str | None) -> bool:
        """Take the plain answer to ``query_id`` (``notice`` as a toast, or nothing) if it is the first
        answer to this slot's query and the slot is open: the payload ``offer`` would build for
        ``AnswerCallbackQuery(callback_query_id=query_id, text=notice)``, without building the method."""
        if not self._open or query_id != self.query_id:
            return False
        payload: dict[str, Any] = {"method": "answerCallbackQuery", "callback_query_id": query_id}
        if notice is not None:
            payload["text"] = notice
        return self._take(payload)

    def _take(self, payload: dict[str, Any]) -> bool:
        self._open = False
        self.answer = payload
        self.taken.set_result(None)
        return True

    def close(self) -> dict[str, Any] | None:
        """No answer is taken from now on; the one taken (if any) is the reply's payload."""
        self._open = False
        return self.answer

    async def wait(self, work: asyncio.Future[Any], timeout: float) -> None:  # noqa: ASYNC109
        """Until an answer is taken, ``work`` ends, or ``timeout`` seconds have passed."""
        if not self.taken.done() and not work.done():
            await asyncio.wait((self.taken, work), timeout=timeout, return_when=asyncio.FIRST_COMPLETED)


_slot: ContextVar[ReplySlot | None] = ContextVar("remnastore_webhook_reply_slot", default=None)


@contextmanager
def reply_slot(bot: Bot, query_id: str) -> Iterator[ReplySlot]:
    """A slot for ``query_id``'s answer, seen by tasks created inside (they copy the context)."""
    slot = ReplySlot(bot, query_id)
    token = _slot.set(slot)
    try:
        yield slot
    finally:
        _slot.reset(token)


def into_reply(method: TelegramMethod[Any]) -> bool:
    """Whether ``method`` was taken into the current webhook reply (then it must not be sent)."""
    slot = _slot.get()
    return slot is not None and slot.offer(method)


def notice_into_reply(query_id: str, notice: str | None) -> bool:
    """Whether the plain answer to ``query_id`` (``notice`` or nothing) was taken into the current
    webhook reply; :func:`into_reply` for the answer ``CallbackQuery.answer(notice)`` would send, the
    cheap way for the one answer nearly every press gets."""
    slot = _slot.get()
    return slot is not None and slot.offer_notice(query_id, notice)


def reply_payload(bot: Bot, method: TelegramMethod[Any]) -> dict[str, Any]:
    """``method`` as a webhook reply: its name under ``method`` and its parameters as the Bot API takes
    them, prepared like aiogram's session prepares a call (bot defaults filled in, enums as values)."""
    files: dict[str, Any] = {}
    payload = {"method": method.__api_method__, **json_params(bot.session, bot, method, files)}
    if files:
        raise ValueError(f"{method.__api_method__} uploads files: it cannot go in a webhook reply")
    return payload
