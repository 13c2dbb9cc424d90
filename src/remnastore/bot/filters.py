"""Filters evaluated in the event loop.

aiogram runs every synchronous filter, bare magic filters (``F.chat.type == "private"``) included, in a
worker thread (``asyncio.to_thread``): a thread hop for each such filter of each update, a large part of
the CPU an ordinary button press costs. Wrap router-wide and frequently checked magic filters in
:class:`Magic` instead.
"""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import TelegramObject
from magic_filter import MagicFilter


class Magic(Filter):
    """``Magic(F.chat.type == "private")``: the magic filter, resolved without leaving the event loop."""

    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: TelegramObject, **_kwargs: Any) -> bool:
        return bool(self.magic.resolve(event))
