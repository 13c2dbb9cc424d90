"""The bot's session posts a call without files as one JSON body, with the same parameters Telegram got
from aiogram's form before; a call with a file stays a multipart upload."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ChatAction
from aiogram.types import (
    BufferedInputFile,
    CopyTextButton,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    WebAppInfo,
)

from remnastore.bot.session import BotSession
from remnastore.emulators.telegram import ApiCall, TelegramEmulator
from tests.fixtures.telegram import TEST_BOT_TOKEN
from tests.integration.test_telegram_emulator import tiny_png

USER_ID = 5201
#: every kind of button the shop sends: the keyboard is dumped apart from the other parameters
KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[
        [InlineKeyboardButton(text="Тариф «Стандарт» — 3 мес", callback_data="bm:standard:3m:stars")],
        [InlineKeyboardButton(text="Site", url="https://example.com/?a=1&b=2")],
        [
            InlineKeyboardButton(text="Cabinet", web_app=WebAppInfo(url="https://shop.example.com/app")),
            InlineKeyboardButton(text="Copy", copy_text=CopyTextButton(text="vless://key")),
        ],
        [InlineKeyboardButton(text="Share", switch_inline_query_current_chat="")],
    ]
)


@pytest_asyncio.fixture
async def bots(telegram_emulator: TelegramEmulator) -> AsyncIterator[tuple[Bot, Bot]]:
    """aiogram's own session (a form per call) and the bot's session, with the same defaults."""
    api = TelegramAPIServer.from_base(telegram_emulator.url)
    default = DefaultBotProperties(parse_mode="HTML", link_preview_is_disabled=True)
    form = Bot(TEST_BOT_TOKEN, session=AiohttpSession(api=api), default=default)
    json = Bot(TEST_BOT_TOKEN, session=BotSession(api=api), default=default)
    await telegram_emulator.user(USER_ID).send("/start")
    try:
        yield form, json
    finally:
        await form.session.close()
        await json.session.close()


def last_call(emulator: TelegramEmulator, method: str) -> ApiCall:
    call = emulator.calls_for(method)[-1]
    assert call.ok, call.error
    return call


async def test_a_call_without_files_is_one_json_body_with_the_same_parameters(
    telegram_emulator: TelegramEmulator, bots: tuple[Bot, Bot]
) -> None:
    seen: dict[str, list[tuple[str | None, dict[str, Any]]]] = {}

    def record(name: str, method: str) -> None:
        call = last_call(telegram_emulator, method)
        params = {k: v for k, v in call.params.items() if k != "message_id"}
        seen.setdefault(name, []).append((call.content_type, params))

    async def each(bot: Bot) -> None:
        sent = await bot.send_message(USER_ID, "<b>Choose</b> & pay", reply_markup=KEYBOARD)
        record("sendMessage", "sendMessage")
        await bot.edit_message_text(
            "<i>Edited</i>",
            chat_id=USER_ID,
            message_id=sent.message_id,
            reply_markup=KEYBOARD,
            link_preview_options=LinkPreviewOptions(is_disabled=False, url="https://example.com"),
        )
        record("editMessageText", "editMessageText")
        await bot.send_chat_action(USER_ID, ChatAction.TYPING)
        record("sendChatAction", "sendChatAction")
        await bot.send_message(USER_ID, "plain", parse_mode=None, disable_notification=False)
        record("plain", "sendMessage")
        # the customer sees the edited text
        shown = telegram_emulator.user(USER_ID).history[-2]
        assert shown.text == "Edited"

    form, json = bots
    await each(form)
    await each(json)
    for method, ((form_type, form_params), (json_type, json_params)) in seen.items():
        assert form_type in ("application/x-www-form-urlencoded", "multipart/form-data"), method
        assert json_type == "application/json", method
        assert json_params == form_params, method
    sent = seen["sendMessage"][1][1]
    assert sent["parse_mode"] == "HTML"  # the bot's default
    assert sent["reply_markup"]["inline_keyboard"][0][0]["text"] == "Тариф «Стандарт» — 3 мес"
    assert sent["reply_markup"]["inline_keyboard"][2] == [
        {"text": "Cabinet", "web_app": {"url": "https://shop.example.com/app"}},
        {"text": "Copy", "copy_text": {"text": "vless://key"}},
    ]
    assert sent["reply_markup"]["inline_keyboard"][3] == [
        {"text": "Share", "switch_inline_query_current_chat": ""}
    ]
    assert "parse_mode" not in seen["plain"][1][1]


async def test_a_call_with_a_file_stays_a_multipart_upload(
    telegram_emulator: TelegramEmulator, bots: tuple[Bot, Bot]
) -> None:
    png = tiny_png(64, 48)
    uploads: list[tuple[str | None, dict[str, Any]]] = []
    for bot in bots:
        await bot.send_photo(
            USER_ID, BufferedInputFile(png, "qr.png"), caption="Your <i>QR</i>", reply_markup=KEYBOARD
        )
        call = last_call(telegram_emulator, "sendPhoto")
        uploads.append((call.content_type, call.params))
    (form_type, form_params), (json_type, json_params) = uploads
    assert form_type == json_type == "multipart/form-data"
    assert json_params.pop("photo").data == form_params.pop("photo").data == png
    assert json_params == form_params
    assert json_params["parse_mode"] == "HTML"
    message = telegram_emulator.user(USER_ID).last_message
    assert message is not None and message.has_photo and message.text == "Your QR"
