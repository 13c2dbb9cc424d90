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
        assert not answer.via_webhook_reply  # long polling has no webhook reply: the answer is a call


async def test_a_press_whose_answer_is_refused_still_shows_the_screen(shop: Shop) -> None:
    """A press that waited too long in a burst: Telegram refuses the late answer, the screen still comes."""
    eve = shop.user(7302, first_name="Eve", language_code="en")
    await eve.wait_reply(await eve.send("/start"))
    shop.telegram.fail_next(
        "answerCallbackQuery",
        error_code=400,
        description="Bad Request: query is too old and response timeout expired or query ID is invalid",
    )
    update = await eve.press_data(Nav(screen=Screen.BUY).pack())
    await shop.telegram.wait_until(
        lambda: eve.last_message is not None and "Choose a tariff" in eve.last_message.text, timeout=10
    )
    assert not any("Something went wrong" in m.text for m in eve.history)
    assert update in shop.telegram.hub.delivered_at
