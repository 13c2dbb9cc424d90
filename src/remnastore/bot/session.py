"""The HTTP session the bot talks to the Bot API with."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

if TYPE_CHECKING:
    from aiogram import Bot


class BotSession(AiohttpSession):
    """aiogram's aiohttp session (one connection pool, reused for every call), keeping the parametrised
    ``Response[...]`` models it validates replies with alive.

    aiogram builds ``Response[<method's result type>]`` for every call; pydantic caches parametrised
    generic models only weakly, so without a strong reference each call creates (and compiles) a new
    model class: about a tenth of the CPU of a button press.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._response_models: dict[Any, type[Any]] = {}

    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in self._response_models:
            self._response_models[returning] = Response[returning]  # type: ignore[valid-type]
        return super().check_response(bot, method, status_code, content)
