"""A call whose result nobody reads (``result_unread``): it still goes out and its failures are still
raised; only its successful result is not built into aiogram's models. Telegram's own compact answer, the
emulator's spaced one and an answer that is not Telegram's at all are each told apart."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiogram import Bot
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import AiogramError, TelegramBadRequest
from aiogram.types import Message
from aiohttp import web

from remnastore.bot.session import BotSession, result_unread
from remnastore.emulators.telegram import TelegramEmulator
from tests.fixtures.telegram import TEST_BOT_TOKEN
from tests.integration.test_telegram_emulator import aiohttp_server

USER_ID = 5202


@pytest_asyncio.fixture
async def bot(telegram_emulator: TelegramEmulator) -> AsyncIterator[Bot]:
    session = BotSession(api=TelegramAPIServer.from_base(telegram_emulator.url))
    await telegram_emulator.user(USER_ID).send("/start")
    try:
        yield Bot(TEST_BOT_TOKEN, session=session)
    finally:
        await session.close()


async def test_an_unread_call_goes_out_and_returns_nothing(
    bot: Bot, telegram_emulator: TelegramEmulator
) -> None:
    user = telegram_emulator.user(USER_ID)
    sent = await bot.send_message(USER_ID, "first")
    assert isinstance(sent, Message), "read as usual outside"
    with result_unread():
        assert await bot.edit_message_text("edited", chat_id=USER_ID, message_id=sent.message_id) is None
        assert await bot.send_message(USER_ID, "second") is None
    assert [m.text for m in user.messages][-2:] == ["edited", "second"]


async def test_an_unread_call_that_fails_still_raises(bot: Bot) -> None:
    with result_unread(), pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("nothing there", chat_id=USER_ID, message_id=999_999)


@pytest.mark.parametrize(
    ("body", "success"),
    [
        ('{"ok":true,"result":{"message_id":1}}', True),  # Telegram's own form
        ('{"ok": true, "result": true}', True),  # aiohttp's json_response
        ('  {"result": true, "ok": true}', True),  # other order: parsed in full
        ("<html><body>Welcome to nginx!</body></html>", False),  # a proxy's page, not Telegram
        ('{"ok": false, "error_code": 400, "description": "Bad Request: odd"}', False),
    ],
)
async def test_only_telegrams_success_counts(body: str, success: bool) -> None:
    async def answer(request: web.Request) -> web.Response:
        return web.Response(text=body, content_type="application/json")

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", answer)
    async with aiohttp_server(app) as url:
        session = BotSession(api=TelegramAPIServer.from_base(url))
        try:
            call = Bot(TEST_BOT_TOKEN, session=session).send_message(USER_ID, "hello")
            with result_unread():
                if success:
                    assert await call is None
                else:
                    with pytest.raises(AiogramError):  # as aiogram raises it for a read call
                        await call
        finally:
            await session.close()
