"""The router-wide filters read the attributes the magic filters they replace resolved: the same verdict
for every kind of message and button press."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiogram import F
from aiogram.types import CallbackQuery, Chat, InaccessibleMessage, Message, User

from remnastore.bot.filters import FromUsers, InPrivateChat, Magic

ADMINS = frozenset({1, 2})


def message(chat_type: str, user_id: int | None) -> Message:
    return Message(
        message_id=1,
        date=datetime.now(UTC),
        chat=Chat(id=-5 if chat_type != "private" else (user_id or 9), type=chat_type),
        from_user=User(id=user_id, is_bot=False, first_name="Ann") if user_id is not None else None,
        text="hi",
    )


def press(under: Message | InaccessibleMessage | None, user_id: int) -> CallbackQuery:
    return CallbackQuery(
        id="1", from_user=User(id=user_id, is_bot=False, first_name="Ann"), chat_instance="c", message=under
    )


MESSAGES = [
    message(kind, user) for kind in ("private", "group", "supergroup", "channel") for user in (1, 7, None)
]
PRESSES = [
    press(under, user)
    for user in (1, 7)
    for under in (
        message("private", user),
        message("group", user),
        InaccessibleMessage(chat=Chat(id=user, type="private"), message_id=1),
        InaccessibleMessage(chat=Chat(id=-5, type="group"), message_id=1),
        None,
    )
]


@pytest.mark.parametrize("event", MESSAGES)
async def test_a_message_is_judged_as_the_magic_filters_judged_it(event: Message) -> None:
    assert await InPrivateChat()(event) == await Magic(F.chat.type == "private")(event)
    assert await FromUsers(ADMINS)(event) == await Magic(F.from_user.id.in_(ADMINS))(event)


@pytest.mark.parametrize("event", PRESSES)
async def test_a_button_press_is_judged_as_the_magic_filters_judged_it(event: CallbackQuery) -> None:
    assert await InPrivateChat()(event) == await Magic(F.message.chat.type == "private")(event)
    assert await FromUsers(ADMINS)(event) == await Magic(F.from_user.id.in_(ADMINS))(event)


async def test_both_verdicts_occur() -> None:
    """The comparisons above are not all of one answer."""
    events: list[Message | CallbackQuery] = [*MESSAGES, *PRESSES]
    assert {await InPrivateChat()(e) for e in events} == {True, False}
    assert {await FromUsers(ADMINS)(e) for e in events} == {True, False}
