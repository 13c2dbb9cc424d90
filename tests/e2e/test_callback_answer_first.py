"""A pressed button's spinner stops first: the callback query is answered before the screen is edited."""

from __future__ import annotations

from remnastore.bot.callbacks import Nav, Screen
from tests.fixtures.shop import Shop


async def test_the_callback_query_is_answered_before_the_message_is_edited(shop: Shop) -> None:
    bob = shop.user(7301, first_name="Bob", language_code="en")
    await bob.wait_reply(await bob.send("/start"))
    for screen, expected in ((Screen.BUY, "Choose a tariff"), (Screen.SUBSCRIPTION, "no subscription yet")):
        update = await bob.press_data(Nav(screen=screen).pack())
        reply = await bob.wait_reply(update)
        assert expected in reply.text
        query_id = shop.telegram.hub.history[update]["callback_query"]["id"]
        answer = await shop.telegram.wait_for_call(
            "answerCallbackQuery", lambda c, q=query_id: c.params.get("callback_query_id") == q
        )
        edits = [c for c in shop.telegram.calls_for("editMessageText") if c.chat_id == bob.id and c.ok]
        edit = edits[-1]
        assert answer.ok and answer.finished <= edit.at, "the edit went out before the spinner stopped"
