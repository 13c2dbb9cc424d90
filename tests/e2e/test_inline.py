"""Inline mode (C15): a customer shares their personal referral invitation from any chat."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from remnastore.db.models import Customer
from tests.fixtures.shop import Shop


async def referral_code(shop: Shop, telegram_id: int) -> str:
    async with shop.db.session() as session:
        customer = await session.scalar(select(Customer).where(Customer.telegram_id == telegram_id))
        assert customer is not None
        return customer.referral_code


async def ask_inline(shop: Shop, telegram_id: int, language: str, query: str = "") -> dict[str, Any]:
    user = shop.user(telegram_id, language_code=language)
    start = len(shop.telegram.calls)
    await user.inline_query(query)
    call = await shop.telegram.wait_for_call("answerInlineQuery", start=start)
    assert call.ok, call.error
    return call.params


@pytest.mark.parametrize(
    ("language", "title", "words", "button"),
    [
        ("en", "🎁 Invite a friend", "Join through my invitation", "🚀 Open the bot"),
        ("ru", "🎁 Пригласить друга", "Присоединяйся по моему приглашению", "🚀 Открыть бота"),
    ],
)
async def test_inline_query_offers_the_personal_invitation(
    shop: Shop, language: str, title: str, words: str, button: str
) -> None:
    # The user never opened the bot: the inline query alone registers them.
    params = await ask_inline(shop, 7201, language, "anything")
    code = await referral_code(shop, 7201)
    link = f"https://t.me/{shop.telegram.state.bot_username}?start=ref_{code}"

    assert params["is_personal"] is True
    assert params["cache_time"] == 300
    [article] = params["results"]
    assert article["type"] == "article"
    assert article["title"] == title
    content = article["input_message_content"]
    assert words in content["message_text"] and link in content["message_text"]
    assert article["reply_markup"]["inline_keyboard"] == [[{"text": button, "url": link}]]


async def test_each_customer_gets_their_own_link_and_it_refers_the_friend(shop: Shop) -> None:
    first = await ask_inline(shop, 7202, "en")
    second = await ask_inline(shop, 7203, "en")
    first_link = first["results"][0]["reply_markup"]["inline_keyboard"][0][0]["url"]
    second_link = second["results"][0]["reply_markup"]["inline_keyboard"][0][0]["url"]
    assert first_link != second_link
    assert first_link.endswith(f"ref_{await referral_code(shop, 7202)}")

    friend = shop.user(7204, language_code="en")
    await friend.wait_reply(await friend.start(first_link.split("?start=", 1)[1]))
    async with shop.db.session() as session:
        referrer = await session.scalar(select(Customer).where(Customer.telegram_id == 7202))
        invited = await session.scalar(select(Customer).where(Customer.telegram_id == 7204))
        assert referrer is not None and invited is not None
        assert invited.referred_by_id == referrer.id
