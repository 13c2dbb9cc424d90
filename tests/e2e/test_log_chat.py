"""The shop's log chat (LOG_CHAT_ID, in the LOG_THREAD_ID topic): new customers, trials, payments, promo
codes; a log chat that cannot be reached never disturbs customers."""

from __future__ import annotations

import pytest

from remnastore.emulators.telegram import TelegramEmulator
from tests.e2e.test_purchase_stars import open_invoice, orders
from tests.fixtures.shop import Shop

LOG_CHAT = -1001234567
TOPIC = 77


@pytest.fixture
def shop_env() -> dict[str, str]:
    return {"LOG_CHAT_ID": str(LOG_CHAT), "LOG_THREAD_ID": str(TOPIC)}


def log_posts(telegram: TelegramEmulator) -> list[tuple[str, int | None]]:
    return [
        (str(call.params.get("text", "")), call.params.get("message_thread_id"))
        for call in telegram.calls_for("sendMessage")
        if call.chat_id == LOG_CHAT and call.ok
    ]


async def test_log_chat_gets_new_customers_trials_payments_and_promos(shop: Shop) -> None:
    shop.telegram.add_chat(LOG_CHAT, title="Shop log")
    customer = shop.user(8901, first_name="Anna", username="anna_k", language_code="en")
    await customer.wait_reply(await customer.send("/start"))
    await shop.telegram.wait_until(lambda: any("New customer" in t for t, _ in log_posts(shop.telegram)), 5)
    [(text, topic)] = log_posts(shop.telegram)
    assert "Anna" in text and "@anna_k" in text and "8901" in text and topic == TOPIC

    await customer.wait_reply(await customer.press("Free trial"))
    await shop.telegram.wait_until(lambda: any("Trial" in t for t, _ in log_posts(shop.telegram)), 5)

    await customer.pay_invoice(link=await open_invoice(shop, 8901))
    await shop.telegram.wait_until(lambda: any("Payment" in t for t, _ in log_posts(shop.telegram)), 10)
    [order] = await orders(shop)
    payment = next(t for t, _ in log_posts(shop.telegram) if "Payment" in t)
    assert "150 ⭐" in payment and order.id in payment

    shop.app.log_chat.promo_used(telegram_id=8901, code="SPRING", effect="-20%")
    await shop.telegram.wait_until(lambda: any("SPRING" in t for t, _ in log_posts(shop.telegram)), 5)
    # an unexpected failure while handling an update is reported too
    await customer.wait_reply(await customer.send("/start"))
    shop.telegram.fail_next("editMessageText", error_code=500)
    await customer.press("My subscription")
    await shop.telegram.wait_until(lambda: any("Error" in t for t, _ in log_posts(shop.telegram)), 5)
    assert {topic for _, topic in log_posts(shop.telegram)} == {TOPIC}
    # the log chat is the shop's, never the customer's
    assert not any("New customer" in m.text for m in customer.messages)


async def test_an_unreachable_log_chat_never_disturbs_customers(shop: Shop) -> None:
    # LOG_CHAT is not a chat the bot can post to: every post fails
    customer = shop.user(8902, first_name="Boris", language_code="en")
    menu = await customer.wait_reply(await customer.send("/start"))
    assert "Buy subscription" in " ".join(menu.button_texts)
    await customer.pay_invoice(link=await open_invoice(shop, 8902))
    await shop.telegram.wait_until(
        lambda: any("Payment received" in m.text for m in customer.messages), timeout=10
    )
    [order] = await orders(shop)
    assert order.status == "fulfilled"
    failed = [c for c in shop.telegram.calls_for("sendMessage") if c.chat_id == LOG_CHAT]
    assert failed and not any(c.ok for c in failed)
