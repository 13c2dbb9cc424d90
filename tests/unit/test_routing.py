"""The shop's Router skips aiogram's empty outer-middleware chains and routes exactly as aiogram does:
handlers deep in the tree get the event and the data, ``event_router`` names the handler's router, a
router's own outer middleware and filters still apply."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher, F
from aiogram import Router as AiogramRouter
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import Chat, Message, TelegramObject, Update, User

from remnastore.bot.filters import Magic
from remnastore.bot.routing import Router

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def test_aiogram_still_has_the_step_the_router_calls() -> None:
    parameters = list(inspect.signature(AiogramRouter._propagate_event).parameters)
    assert parameters == ["self", "observer", "update_type", "event", "kwargs"]


def update(text: str, user_id: int = 7) -> Update:
    user = User(id=user_id, is_bot=False, first_name="Ann")
    message = Message(
        message_id=1, date=datetime.now(UTC), chat=Chat(id=user_id, type="private"), from_user=user, text=text
    )
    return Update(update_id=1, message=message)


def tree() -> tuple[Dispatcher, list[str]]:
    seen: list[str] = []
    dispatcher = Dispatcher()
    outer, middle, leaf, guarded = Router(name="outer"), Router(name="middle"), Router(name="leaf"), Router()
    guarded.message.filter(Magic(F.from_user.id == 1))

    @guarded.message(F.text == "secret")
    async def secret(message: Message) -> str:
        return "secret"

    @leaf.message(F.text == "hello")
    async def hello(message: Message, event_router: AiogramRouter, shop: str) -> str:
        return f"{event_router.name}:{shop}"

    async def counting(handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        seen.append("middle's outer middleware")
        return await handler(event, data)

    middle.message.outer_middleware(counting)
    middle.include_router(leaf)
    outer.include_routers(guarded, middle)
    dispatcher.include_router(outer)
    dispatcher["shop"] = "remnastore"
    return dispatcher, seen


async def test_an_event_reaches_a_handler_deep_in_the_tree_with_its_data() -> None:
    dispatcher, seen = tree()
    async with Bot("42:TEST") as bot:
        assert await dispatcher.feed_update(bot, update("hello")) == "leaf:remnastore"
    assert seen == ["middle's outer middleware"]


async def test_a_routers_filter_still_keeps_others_out() -> None:
    dispatcher, _ = tree()
    async with Bot("42:TEST") as bot:
        assert await dispatcher.feed_update(bot, update("secret", user_id=1)) == "secret"
        assert await dispatcher.feed_update(bot, update("secret", user_id=2)) is UNHANDLED
