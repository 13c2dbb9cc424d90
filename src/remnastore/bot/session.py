"""The HTTP session the bot talks to the Bot API with: Telegram's limits kept, 429s retried."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, cast

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiohttp import FormData

from remnastore.bot.api_json import JsonBody, json_params
from remnastore.bot.send_budget import SendBudget, in_background, is_paced
from remnastore.bot.webhook_reply import into_reply

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)

#: a call answered 429 is tried at most this many times in all ...
MAX_TRIES = 3
#: ... and not after this many seconds since the first try
RETRY_WITHIN_SECONDS = 10.0

_result_unread: ContextVar[bool] = ContextVar("remnastore_result_unread", default=False)


#: how a successful call's answer begins, as Telegram writes it and as aiohttp's ``json_response`` does
_SUCCESS_STARTS = ('{"ok":true,', '{"ok": true,')
#: what a successful call whose result nobody reads returns (its result: None)
_UNREAD: Response[Any] = Response.model_construct(ok=True, result=None)


@contextmanager
def result_unread() -> Iterator[None]:
    """Calls made inside return None instead of their result when they succeed: nobody reads it, so it
    is not validated into aiogram's types (an edited ``Message`` costs more to build than to send).
    Failures are raised as usual."""
    token = _result_unread.set(True)
    try:
        yield
    finally:
        _result_unread.reset(token)


def _chat_of(method: TelegramMethod[Any]) -> int | None:
    # aiogram's message methods declare ``chat_id`` (int, or "@channel" for public channels)
    chat_id = getattr(method, "chat_id", None)
    return chat_id if isinstance(chat_id, int) else None


class BotSession(AiohttpSession):
    """aiogram's aiohttp session (one connection pool, reused for every call) that

    * takes a slot from the :class:`SendBudget` before every message it sends or edits, so a burst
      slows down under Telegram's limits instead of being refused;
    * tries a call Telegram answered 429 again after its ``retry_after`` (at most :data:`MAX_TRIES`
      times within :data:`RETRY_WITHIN_SECONDS`), so a reply is not lost to a flood wait; a broadcast
      (``background_sends``) handles its 429s itself and is not retried here;
    * posts a call without files as one JSON body (:mod:`remnastore.bot.api_json`) instead of a form of
      JSON-dumped, URL-encoded values; a call with files stays multipart;
    * puts a button press's first answer into the webhook's reply instead of sending it, when the
      update came by webhook (:mod:`remnastore.bot.webhook_reply`);
    * keeps the parametrised ``Response[...]`` models it validates replies with alive: aiogram builds
      ``Response[<method's result type>]`` for every call and pydantic caches parametrised generic models
      only weakly, so without a strong reference each call creates (and compiles) a new model class.
    """

    def __init__(self, budget: SendBudget | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.budget = budget
        self._response_models: dict[Any, type[Any]] = {}

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's signature
    ) -> TelegramType:
        if into_reply(method):
            # a press's first answer goes in the webhook's reply (bot/webhook_reply.py): its result is
            # True, and Telegram reports a webhook reply's errors to nobody
            return cast("TelegramType", True)
        background = in_background()
        paced = self.budget is not None and is_paced(method.__api_method__)
        chat_id = _chat_of(method) if paced else None
        loop = asyncio.get_running_loop()
        first = loop.time()
        tries = 0
        while True:
            tries += 1
            if paced and self.budget is not None:
                await self.budget.acquire(chat_id, background=background)
            try:
                return await super().make_request(bot, method, timeout)
            except TelegramRetryAfter as exc:
                if background:
                    raise
                waited = loop.time() - first
                if tries >= MAX_TRIES or waited + exc.retry_after > RETRY_WITHIN_SECONDS:
                    log.warning(
                        "Telegram still answers %s with 429 after %d tries in %.1f s "
                        "(retry after %s s): giving up",
                        method.__api_method__,
                        tries,
                        waited,
                        exc.retry_after,
                        extra={"chat_id": chat_id},
                    )
                    raise
                log.info(
                    "Telegram answered %s with 429: trying again in %s s",
                    method.__api_method__,
                    exc.retry_after,
                    extra={"chat_id": chat_id},
                )
                if chat_id is not None and self.budget is not None:
                    self.budget.pause_chat(chat_id, exc.retry_after)
                await asyncio.sleep(exc.retry_after)

    def build_form_data(self, bot: Bot, method: TelegramMethod[TelegramType]) -> FormData:
        files: dict[str, Any] = {}
        params = json_params(self, bot, method, files)
        if files:
            return super().build_form_data(bot, method)
        return JsonBody(self.json_dumps(params).encode())

    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        if _result_unread.get() and 200 <= status_code < 300:
            # Telegram's success starts so (with or without the space); anything else is parsed in full
            if content.startswith(_SUCCESS_STARTS):
                return cast("Response[TelegramType]", _UNREAD)
            try:
                data = self.json_loads(content)
            except ValueError:  # not JSON: aiogram's check below raises its ClientDecodeError
                data = None
            if isinstance(data, dict) and data.get("ok") is True:
                return cast("Response[TelegramType]", _UNREAD)
        returning = method.__returning__
        if returning not in self._response_models:
            self._response_models[returning] = Response[returning]  # type: ignore[valid-type]
        return super().check_response(bot, method, status_code, content)
