"""In webhook mode a button press's answer travels in the webhook's reply: the press costs the shop one
Bot API request (the edit) instead of two, and the customer still sees the notice or alert."""

from __future__ import annotations

import pytest

from remnastore.bot.callbacks import Nav, Screen
from tests.fixtures.shop import Shop, free_port

PORT = free_port()


@pytest.fixture
def shop_env() -> dict[str, str]:
    return {"WEBHOOK_BASE_URL": f"http://127.0.0.1:{PORT}", "WEB_PORT": str(PORT)}


async def test_a_press_makes_one_bot_api_request_and_is_answered_in_the_reply(shop: Shop) -> None:
    bob = shop.user(7401, first_name="Bob", language_code="en")
    await bob.wait_reply(await bob.send("/start"))
    for screen, expected in ((Screen.BUY, "Choose a tariff"), (Screen.SUBSCRIPTION, "no subscription yet")):
        since = len(shop.telegram.calls)
        update = await bob.press_data(Nav(screen=screen).pack())
        assert expected in (await bob.wait_reply(update)).text
        query_id = shop.telegram.hub.history[update]["callback_query"]["id"]
        calls = [c for c in shop.telegram.calls[since:] if c.chat_id == bob.id]
        (answer,) = [c for c in calls if c.method == "answerCallbackQuery"]
        assert answer.ok and answer.via_webhook_reply
        assert answer.params["callback_query_id"] == query_id
        requests = [c.method for c in calls if not c.via_webhook_reply]
        assert requests == ["editMessageText"]


async def test_an_alert_reaches_the_customer_from_the_reply(shop: Shop) -> None:
    frank = shop.user(7402, first_name="Frank", language_code="en")
    await frank.wait_reply(await frank.send("/start"))
    update = await frank.press_data("n:doesnotexist")
    answer = await frank.wait_alert(update)
    assert "outdated" in answer["text"]
    (call,) = [c for c in shop.telegram.calls_for("answerCallbackQuery") if c.chat_id == frank.id]
    assert call.ok and call.via_webhook_reply
    assert call.params["text"] == answer["text"]
