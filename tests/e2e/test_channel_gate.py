"""The required channel (C2): customers outside the channel see the gate, members use the shop."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest
from sqlalchemy import select

from remnastore.db.models import Customer
from remnastore.emulators.telegram import BotMessage, FakeUser, TelegramEmulator
from remnastore.emulators.telegram_bot_methods import member_json
from remnastore.services.channel_gate import ChannelGate
from tests.fixtures.shop import ADMIN_ID, Shop

CHANNEL = -1001234567890
JOIN_URL = "https://t.me/remnastore_news"
GATE = "Join our channel first"
GATED = {"REQUIRED_CHANNEL_ID": str(CHANNEL), "REQUIRED_CHANNEL_URL": JOIN_URL}


@pytest.fixture
def shop_env() -> dict[str, str]:
    return dict(GATED)


@pytest.fixture(autouse=True)
def channel_exists(telegram_emulator: TelegramEmulator) -> None:
    telegram_emulator.add_chat(CHANNEL, chat_type="channel", title="News")


async def wait_forgotten(shop: Shop, user_id: int) -> None:
    """Wait until the shop has handled the chat_member update and dropped the cached membership."""
    gate: ChannelGate = shop.app.channel_gate  # type: ignore[attr-defined]
    deadline = time.monotonic() + 5
    while await gate.cache.is_member(user_id):
        assert time.monotonic() < deadline, "the membership of a customer who left is still cached"
        await asyncio.sleep(0.02)


def buttons(message: BotMessage) -> list[Any]:
    return [button for row in message.buttons for button in row]


def assert_gate(message: BotMessage) -> None:
    assert GATE in message.text, message.text
    found = {button.text: button for button in buttons(message)}
    assert found["📢 Join the channel"].url == JOIN_URL
    assert found["✅ I have joined"].callback_data is not None


def member_checks(shop: Shop) -> int:
    return len(shop.telegram.calls_for("getChatMember"))


async def start(shop: Shop, user_id: int, **kwargs: Any) -> FakeUser:
    user = shop.user(user_id, language_code="en", **kwargs)
    await user.wait_reply(await user.send("/start"))
    return user


def chat_member_update(user_id: int, old: str, new: str) -> dict[str, Any]:
    person = {"id": user_id, "is_bot": False, "first_name": "Test"}
    return {
        "chat_member": {
            "chat": {"id": CHANNEL, "type": "channel", "title": "News"},
            "from": person,
            "date": int(time.time()),
            "old_chat_member": member_json(old, person),
            "new_chat_member": member_json(new, person),
        }
    }


async def test_a_non_member_is_registered_and_sees_only_the_gate(shop: Shop) -> None:
    alice = await start(shop, 7101, first_name="Alice")
    welcome, gate = alice.messages[-2:]
    assert "Welcome" in welcome.text  # /start itself ran: the customer is registered
    assert_gate(gate)
    async with shop.db.session() as session:
        assert await session.scalar(select(Customer).where(Customer.telegram_id == 7101)) is not None

    shown = len(alice.history)
    reply = await alice.wait_reply(await alice.send("/subscription"))
    assert_gate(reply)
    assert len(alice.history) == shown + 1  # the gate, nothing else
    assert not any("subscription" in m.text.lower() for m in alice.messages)

    # A button of the menu shown by /start: its message turns into the gate, the screen does not open.
    on_screen = len(alice.messages)
    await alice.wait_reply(await alice.press("My subscription", message_id=welcome.message_id))
    [edited] = [m for m in alice.messages if m.message_id == welcome.message_id]
    assert_gate(edited)
    assert len(alice.messages) == on_screen  # the menu was edited into the gate; nothing was sent
    assert shop.panel.user_by_telegram_id(7101) is None


async def test_joining_and_pressing_i_have_joined_opens_the_shop(shop: Shop) -> None:
    bob = await start(shop, 7102)
    answer = await bob.wait_alert(await bob.press("I have joined"))
    assert answer["show_alert"] and "not in our channel yet" in answer["text"]
    assert_gate(bob.messages[-1])

    shop.telegram.set_chat_member(CHANNEL, 7102, "member")
    reply = await bob.wait_reply(await bob.press("I have joined"))
    assert "Thank you for joining" in reply.text
    [menu_button] = buttons(reply)
    assert menu_button.callback_data == "n:main"

    reply = await bob.wait_reply(await bob.press("Main menu"))
    assert "What would you like to do?" in reply.text
    checks = member_checks(shop)
    reply = await bob.wait_reply(await bob.send("/subscription"))
    assert "no subscription yet" in reply.text
    assert member_checks(shop) == checks  # the membership confirmed by the button is cached


@pytest.mark.parametrize("status", ["administrator", "creator", "restricted"])
async def test_admins_owners_and_restricted_members_count_as_members(shop: Shop, status: str) -> None:
    shop.telegram.set_chat_member(CHANNEL, 7103, status)
    carol = await start(shop, 7103)
    assert "What would you like to do?" in carol.messages[-1].text
    assert not any(GATE in m.text for m in carol.messages)


async def test_leaving_the_channel_closes_the_shop_again(shop: Shop) -> None:
    shop.telegram.set_chat_member(CHANNEL, 7104, "member")
    dave = await start(shop, 7104)
    assert not any(GATE in m.text for m in dave.messages)

    shop.telegram.set_chat_member(CHANNEL, 7104, "left")
    checks = member_checks(shop)
    reply = await dave.wait_reply(await dave.send("/subscription"))
    assert "no subscription yet" in reply.text  # still trusted: the membership is cached
    assert member_checks(shop) == checks

    shop.telegram.enqueue(chat_member_update(7104, "member", "left"))
    await wait_forgotten(shop, 7104)
    reply = await dave.wait_reply(await dave.send("/subscription"))
    assert_gate(reply)
    assert member_checks(shop) == checks + 1


async def test_a_kick_also_forgets_the_membership(shop: Shop) -> None:
    shop.telegram.set_chat_member(CHANNEL, 7105, "member")
    erin = await start(shop, 7105)
    shop.telegram.set_chat_member(CHANNEL, 7105, "kicked")
    shop.telegram.enqueue(chat_member_update(7105, "member", "kicked"))
    await wait_forgotten(shop, 7105)
    reply = await erin.wait_reply(await erin.send("/subscription"))
    assert_gate(reply)


@pytest.mark.parametrize(
    "shop_env",
    [
        {
            "REQUIRED_CHANNEL_ID": str(CHANNEL),
            "REQUIRED_CHANNEL_URL": JOIN_URL,
            "CHANNEL_CHECK_TTL_SECONDS": "1",
        }
    ],
)
async def test_membership_is_checked_again_after_the_ttl(shop: Shop) -> None:
    shop.telegram.set_chat_member(CHANNEL, 7106, "member")
    frank = await start(shop, 7106)
    shop.telegram.set_chat_member(CHANNEL, 7106, "left")  # left without the bot being told
    reply = await frank.wait_reply(await frank.send("/subscription"))
    assert "no subscription yet" in reply.text

    await asyncio.sleep(1.2)
    reply = await frank.wait_reply(await frank.send("/subscription"))
    assert_gate(reply)


async def test_admins_are_never_gated(shop: Shop) -> None:
    admin = await start(shop, ADMIN_ID)
    assert "What would you like to do?" in admin.messages[-1].text
    reply = await admin.wait_reply(await admin.send("/subscription"))
    assert "no subscription yet" in reply.text
    assert member_checks(shop) == 0


@pytest.mark.parametrize("shop_env", [{}])
async def test_no_gate_when_no_channel_is_configured(shop: Shop) -> None:
    grace = await start(shop, 7107)
    assert "What would you like to do?" in grace.messages[-1].text
    reply = await grace.wait_reply(await grace.send("/subscription"))
    assert "no subscription yet" in reply.text
    assert member_checks(shop) == 0
    assert "chat_member" not in shop.app.dispatcher.resolve_used_update_types()


async def test_when_the_bot_cannot_see_the_channel_customers_are_let_through(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    shop.telegram.fail_next(
        "getChatMember", error_code=400, description="Bad Request: member list is inaccessible", count=5
    )
    with caplog.at_level(logging.ERROR, logger="remnastore.bot.channel_membership"):
        heidi = await start(shop, 7108)
        assert "What would you like to do?" in heidi.messages[-1].text
        reply = await heidi.wait_reply(await heidi.send("/subscription"))
        assert "no subscription yet" in reply.text
    assert member_checks(shop) == 2
    errors = [r for r in caplog.records if r.name == "remnastore.bot.channel_membership"]
    assert len(errors) == 1 and errors[0].levelno == logging.ERROR
    assert "admin" in errors[0].getMessage()


async def test_an_invoice_is_paid_even_after_leaving_the_channel(shop: Shop) -> None:
    shop.telegram.set_chat_member(CHANNEL, 7109, "member")
    ivan = await start(shop, 7109)
    await ivan.wait_reply(await ivan.press("Buy subscription"))
    await ivan.wait_reply(await ivan.press("Standard"))
    await ivan.wait_reply(await ivan.press("1 month"))
    reply = await ivan.wait_reply(await ivan.press("Telegram Stars"))
    pay = [b.url for b in buttons(reply) if b.url and b.url.startswith("https://t.me/$")]
    assert pay

    shop.telegram.set_chat_member(CHANNEL, 7109, "left")
    shop.telegram.enqueue(chat_member_update(7109, "member", "left"))
    await wait_forgotten(shop, 7109)
    result = await ivan.pay_invoice(link=str(pay[0]))
    assert result.approved
    await shop.telegram.wait_until(
        lambda: any("Payment received" in m.text for m in ivan.messages), timeout=10
    )
