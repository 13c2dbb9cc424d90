"""A command ends whatever the person was typing an answer for.

Prompts ("type the customer's id", "enter your promo code", ...) keep a conversation state, and their
handlers read the next message as the answer. A command sent instead (``/orders``, ``/start``) is not an
answer: the state is dropped before the routers see the message, so the command does what it says.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, TelegramObject


def is_command(message: Message) -> bool:
    text = message.text or ""
    return text.startswith("/") and len(text) > 1 and not text[1].isspace()


class CommandEndsConversation(BaseMiddleware):
    """Outer message middleware (after aiogram's FSM middleware has put the state in ``data``)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        state = data.get("state")
        if (
            isinstance(event, Message)
            and isinstance(state, FSMContext)
            and data.get("raw_state") is not None
            and is_command(event)
        ):
            await state.clear()
            data["raw_state"] = None
        return await handler(event, data)
