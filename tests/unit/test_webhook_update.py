"""The update a webhook request carries, parsed: a button press's message comes without its keyboard
and entities built into models (nobody reads them), everything else as aiogram parses it."""

from __future__ import annotations

import json
from typing import Any

from aiogram import Bot
from aiogram.types import CallbackQuery, InaccessibleMessage, Message, MessageEntity, TelegramObject, Update
from pydantic import PrivateAttr

from remnastore.bot.webhook import WebhookUpdate, _bound_from_context

KEYBOARD = {
    "inline_keyboard": [
        [{"text": "🔑 My subscription", "callback_data": "n:sub"}],
        [{"text": "Site", "url": "https://example.com"}, {"text": "Copy", "copy_text": {"text": "k"}}],
    ]
}
ENTITIES = [{"type": "bold", "offset": 0, "length": 9}]


def press(message: dict[str, Any]) -> bytes:
    user = {"id": 5301, "is_bot": False, "first_name": "Nina", "language_code": "en"}
    return json.dumps(
        {
            "update_id": 77,
            "callback_query": {
                "id": "4382",
                "from": user,
                "message": message,
                "chat_instance": "-5301",
                "data": "n:sub",
            },
        }
    ).encode()


def shown(**extra: Any) -> dict[str, Any]:
    return {
        "message_id": 12,
        "from": {"id": 7000000001, "is_bot": True, "first_name": "Shop", "username": "shop_bot"},
        "chat": {"id": 5301, "type": "private", "first_name": "Nina"},
        "date": 1764900000,
        "text": "Main menu: choose what to do",
        **extra,
    }


def test_a_press_keeps_what_handlers_read_and_leaves_the_keyboard_as_sent() -> None:
    update = WebhookUpdate.model_validate_json(press(shown(entities=ENTITIES, reply_markup=KEYBOARD)))
    assert isinstance(update, Update)
    query = update.callback_query
    assert isinstance(query, CallbackQuery)
    assert (query.id, query.data, query.from_user.id) == ("4382", "n:sub", 5301)
    message = query.message
    assert isinstance(message, Message)
    assert (message.message_id, message.chat.id, message.text) == (12, 5301, "Main menu: choose what to do")
    assert message.from_user is not None and message.from_user.username == "shop_bot"
    # as Telegram sent them, not a model per button and per entity
    assert message.reply_markup == KEYBOARD
    assert message.entities == ENTITIES


def test_a_press_on_a_message_too_old_to_edit_is_an_inaccessible_message() -> None:
    update = WebhookUpdate.model_validate_json(
        press({"chat": {"id": 5301, "type": "private"}, "message_id": 3, "date": 0})
    )
    assert update.callback_query is not None
    assert isinstance(update.callback_query.message, InaccessibleMessage)


def test_other_updates_are_parsed_as_aiogram_parses_them() -> None:
    body = {
        "update_id": 78,
        "message": {
            **shown(text="/start ref_abc", entities=[{"type": "bot_command", "offset": 0, "length": 6}]),
            "from": {"id": 5301, "is_bot": False, "first_name": "Nina"},
        },
    }
    update = WebhookUpdate.model_validate_json(json.dumps(body))
    assert update.message is not None
    assert update.message.entities is not None
    assert isinstance(update.message.entities[0], MessageEntity)
    assert update.model_dump() == Update.model_validate(body).model_dump()


async def test_every_object_of_a_press_is_bound_to_the_bot_and_holds_what_aiogram_parses() -> None:
    bot = Bot("42:TEST")
    try:
        body = press(shown(entities=ENTITIES, reply_markup=KEYBOARD))
        update = WebhookUpdate.model_validate_json(body, context={"bot": bot})
        query = update.callback_query
        assert query is not None and isinstance(query.message, Message)
        message = query.message
        assert message.from_user is not None
        # message.edit_text(), query.answer() and the like go out through the bound bot
        for part in (update, query, query.from_user, message, message.chat, message.from_user):
            assert part.bot is bot, type(part).__name__
        assert message.edit_text("x").bot is bot
        # unbound without a context, as aiogram's own parse
        assert WebhookUpdate.model_validate_json(body).callback_query.bot is None  # type: ignore[union-attr]
        expected = Update.model_validate_json(body).model_dump(
            exclude={"callback_query": {"message": {"reply_markup", "entities"}}}
        )
        assert (
            update.model_dump(exclude={"callback_query": {"message": {"reply_markup", "entities"}}})
            == expected
        )
    finally:
        await bot.session.close()


def test_a_model_with_more_private_state_keeps_aiograms_set_up() -> None:
    class Extended(TelegramObject):
        text: str
        _seen: int = PrivateAttr(default=7)

    own = Extended.model_post_init
    assert _bound_from_context(Extended) is Extended
    assert Extended.model_post_init is own
    assert Extended.model_validate({"text": "x"})._seen == 7
