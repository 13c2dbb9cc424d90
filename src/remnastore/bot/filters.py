"""Filters evaluated in the event loop.

aiogram runs every synchronous filter, bare magic filters (``F.chat.type == "private"``) included, in a
worker thread (``asyncio.to_thread``): a thread hop for each such filter of each update, a large part of
the CPU an ordinary button press costs. Wrap magic filters in :class:`Magic` instead; the router-wide
filters every update passes (:class:`InPrivateChat`, :class:`FromUsers`) read the attributes directly,
which costs a fraction of resolving a magic filter.
"""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message, TelegramObject
from magic_filter import MagicFilter

from remnastore.bot.callbacks import Nav, Screen, nav_data
from remnastore.bot.routing import PrefixFilter


class Magic(Filter):
    """``Magic(F.chat.type == "private")``: the magic filter, resolved without leaving the event loop."""

    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: TelegramObject, **_kwargs: Any) -> bool:
        return bool(self.magic.resolve(event))


class InPrivateChat(Filter):
    """A message in a private chat, or a button under one: ``F.chat.type == "private"`` for messages,
    ``F.message.chat.type == "private"`` for callback queries (a button without a message: False)."""

    async def __call__(self, event: TelegramObject, **_kwargs: Any) -> bool:
        if isinstance(event, CallbackQuery):
            message = event.message
            return message is not None and message.chat.type == "private"
        return isinstance(event, Message) and event.chat.type == "private"


class FromUsers(Filter):
    """A message or button press sent by one of ``user_ids``: ``F.from_user.id.in_(user_ids)``."""

    def __init__(self, user_ids: frozenset[int]) -> None:
        self.user_ids = user_ids

    async def __call__(self, event: TelegramObject, **_kwargs: Any) -> bool:
        if isinstance(event, CallbackQuery):
            return event.from_user.id in self.user_ids
        return (
            isinstance(event, Message) and event.from_user is not None and event.from_user.id in self.user_ids
        )


class OpensScreen(PrefixFilter):
    """``OpensScreen(Screen.BUY)``: a button that opens that screen, as ``Nav.filter(F.screen == ...)``
    matches it (the same data and the same ``callback_data`` for the handler), by comparing the data
    with the screen's packed data instead of unpacking it, and declared to the routers' index by that
    data, so a press of another screen's button skips the router."""

    def __init__(self, screen: Screen) -> None:
        self.screen = screen
        self._data = nav_data(screen)
        self._found = {"callback_data": Nav(screen=screen)}

    def callback_prefixes(self) -> frozenset[str]:
        return frozenset({self._data})

    async def __call__(self, query: CallbackQuery, **_kwargs: Any) -> bool | dict[str, Any]:
        return self._found if query.data == self._data else False

    def __str__(self) -> str:
        return f"OpensScreen({self.screen.value})"
