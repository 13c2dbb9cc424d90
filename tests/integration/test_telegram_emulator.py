"""The Telegram Bot API emulator, driven by the real aiogram Bot and Dispatcher over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import html
import struct
import time
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.filters import Command
from aiogram.methods import SendMessage
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LabeledPrice,
    Message,
    PreCheckoutQuery,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from remnastore.emulators.telegram import TelegramEmulator
from remnastore.emulators.telegram_html import parse_html
from remnastore.emulators.telegram_params import ApiError, UploadedFile
from tests.fixtures.telegram import TEST_BOT_ID, TEST_BOT_TOKEN

USER_ID = 5001
SECRET = "s3cret-Token_1"


def tiny_png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height)))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def menu_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="Press me", callback_data="press:1")],
            [InlineKeyboardButton(text="Site", url="https://example.com")],
        ]
    )


def build_router() -> Router:
    router = Router()

    @router.message(Command("menu"))
    async def menu(message: Message) -> None:
        await message.answer("Main <b>menu</b>", reply_markup=menu_keyboard())

    @router.message(Command("photo"))
    async def photo(message: Message) -> None:
        await message.answer_photo(BufferedInputFile(tiny_png(640, 480), "qr.png"), caption="Your <i>QR</i>")

    @router.message(Command("buy"))
    async def buy(message: Message, bot: Bot) -> None:
        payload = (message.text or "").removeprefix("/buy").strip() or "order-1"
        await bot.send_invoice(
            chat_id=message.chat.id,
            title="1 month",
            description="VPN for one month",
            payload=payload,
            currency="XTR",
            prices=[LabeledPrice(label="1 month", amount=100)],
        )

    @router.message(Command("fast"))
    async def fast(message: Message) -> SendMessage:
        return message.answer("fast reply")

    @router.message(F.successful_payment)
    async def paid(message: Message) -> None:
        payment = message.successful_payment
        assert payment is not None
        await message.answer(
            f"Paid {payment.total_amount} {payment.currency} for {payment.invoice_payload}: "
            f"{payment.telegram_payment_charge_id}"
        )

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"<b>You said:</b> {html.escape(message.text or '')}")

    @router.callback_query(F.data == "press:1")
    async def pressed(query: CallbackQuery) -> None:
        assert isinstance(query.message, Message)
        await query.message.edit_text("Pressed <i>once</i>", reply_markup=None)
        await query.answer("done")

    @router.callback_query(F.data == "alert:1")
    async def alert_only(query: CallbackQuery) -> None:
        await query.answer("Only an alert", show_alert=True)

    @router.callback_query(F.data == "same:1")
    async def same_text(query: CallbackQuery) -> None:
        assert isinstance(query.message, Message)
        with contextlib.suppress(TelegramBadRequest):  # "message is not modified"
            await query.message.edit_text(query.message.html_text, reply_markup=query.message.reply_markup)
        await query.answer()

    @router.callback_query(F.data == "slow")
    async def slow(query: CallbackQuery) -> None:
        assert isinstance(query.message, Message)
        await query.answer()  # the spinner stops first ...
        await asyncio.sleep(0.3)  # ... while the screen is being prepared (a slow panel call)
        await query.message.edit_text("Slow screen")

    @router.pre_checkout_query()
    async def pre_checkout(query: PreCheckoutQuery) -> None:
        if query.invoice_payload == "bad":
            await query.answer(ok=False, error_message="This plan is gone")
        else:
            await query.answer(ok=True)

    return router


@asynccontextmanager
async def polling(emulator: TelegramEmulator, bot: Bot) -> AsyncIterator[Dispatcher]:
    dispatcher = Dispatcher()
    dispatcher.include_router(build_router())
    mark = len(emulator.calls)
    task = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=2)
    )
    await emulator.wait_for_call("getMe", start=mark)  # polling has started
    try:
        yield dispatcher
    finally:
        await dispatcher.stop_polling()
        await asyncio.wait_for(task, 5)


@asynccontextmanager
async def aiohttp_server(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def raw_call(emulator: TelegramEmulator, method: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{emulator.url}/bot{TEST_BOT_TOKEN}/{method}", **kwargs) as response,
    ):
        return response.status, await response.json()


# -- long polling --------------------------------------------------------------------------------


async def test_polling_round_trip_buttons_and_photo(
    telegram_emulator: TelegramEmulator, telegram_bot: Bot
) -> None:
    user = telegram_emulator.user(USER_ID, first_name="Ann", username="ann")
    async with polling(telegram_emulator, telegram_bot):
        await user.send("hello <world> & co")
        reply = await user.wait_reply()
        assert reply.text == "You said: hello <world> & co"
        assert reply.html == "<b>You said:</b> hello &lt;world&gt; &amp; co"
        assert reply.entities == [{"offset": 0, "length": 9, "type": "bold"}]
        assert reply.raw["from"] == {
            "id": TEST_BOT_ID,
            "is_bot": True,
            "first_name": "RemnaStore Test Bot",
            "username": "remnastore_test_bot",
        }

        await user.send("/menu")
        menu = await user.wait_reply()
        assert menu.text == "Main menu"
        assert menu.button_texts == ["Press me", "Site"]
        assert menu.buttons[1][0].url == "https://example.com"
        with pytest.raises(AssertionError, match=r"no button 'Nope'.*Press me"):
            await user.press("Nope")
        with pytest.raises(AssertionError, match="url button"):
            await user.press("Site")

        press = await user.press("Press")
        edited = await user.wait_reply()
        assert edited.message_id == menu.message_id
        assert edited.text == "Pressed once"
        assert edited.buttons == []
        assert user.callback_answer(press) == {"text": "done", "show_alert": False, "url": None}
        assert [item.event for item in user.history] == ["sent", "sent", "edited"]

        await user.send("/photo")
        shown = await user.wait_reply()
        assert shown.has_photo
        assert shown.text == "Your QR"
        assert shown.raw["photo"][-1]["width"] == 640
        assert shown.raw["photo"][-1]["height"] == 480
        upload = telegram_emulator.calls_for("sendPhoto")[0].params["photo"]
        assert isinstance(upload, UploadedFile)
        assert upload.filename == "qr.png"
        assert upload.data == tiny_png(640, 480)
        assert len(user.messages) == 3
    assert telegram_emulator.internal_errors == []


async def test_long_poll_returns_as_soon_as_an_update_arrives(
    telegram_emulator: TelegramEmulator, telegram_bot: Bot
) -> None:
    user = telegram_emulator.user(USER_ID)
    poll = asyncio.create_task(telegram_bot.get_updates(timeout=10))
    await asyncio.sleep(0.3)
    assert not poll.done()
    started = time.monotonic()
    update_id = await user.send("ping")
    updates = await asyncio.wait_for(poll, 3)
    assert time.monotonic() - started < 1.0
    assert [update.update_id for update in updates] == [update_id]
    assert updates[0].message is not None and updates[0].message.text == "ping"

    # Not confirmed yet: delivered again; a later offset confirms it.
    again = await telegram_bot.get_updates(timeout=0)
    assert [update.update_id for update in again] == [update_id]
    assert await telegram_bot.get_updates(offset=update_id + 1, timeout=0) == []
    assert telegram_emulator.pending_updates == []

    command_id = await user.send("/start promo")
    (command,) = await telegram_bot.get_updates(offset=update_id + 1, timeout=0)
    assert command.update_id == command_id
    assert command.message is not None
    assert command.message.entities is not None
    assert command.message.entities[0].type == "bot_command"
    assert command.message.entities[0].length == len("/start")


async def test_allowed_updates_and_competing_long_polls(
    telegram_emulator: TelegramEmulator, telegram_bot: Bot
) -> None:
    user = telegram_emulator.user(USER_ID)
    await user.send("text")
    await user.send("/menu")
    only_callbacks = await telegram_bot.get_updates(timeout=0, allowed_updates=["callback_query"])
    assert only_callbacks == []

    first = asyncio.create_task(telegram_bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    second = asyncio.create_task(telegram_bot.get_updates(timeout=1))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await asyncio.wait_for(first, 3)
    assert await asyncio.wait_for(second, 3) == []


# -- fidelity of the methods ---------------------------------------------------------------------


async def test_html_validation_like_telegram(telegram_emulator: TelegramEmulator, telegram_bot: Bot) -> None:
    telegram_emulator.user(USER_ID)
    cases = {
        "a < b": 'Unsupported start tag "" at byte offset 2',
        "<b>bold": 'Can\'t find end tag corresponding to start tag "b"',
        "line<br>break": 'Unsupported start tag "br" at byte offset 4',
        "<b>x</i>": 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"',
        '<span class="x">s</span>': 'Tag "span" must have class "tg-spoiler" at byte offset 0',
        "price <": "Unclosed start tag at byte offset 6",
    }
    for text, reason in cases.items():
        with pytest.raises(TelegramBadRequest) as caught:
            await telegram_bot.send_message(USER_ID, text)
        assert caught.value.message == f"Bad Request: can't parse entities: {reason}"

    sent = await telegram_bot.send_message(
        USER_ID, '🙂 <b>bold</b> &amp; <a href="https://x.io/?a=1&amp;b=2">link</a> R&D'
    )
    assert sent.text == "🙂 bold & link R&D"
    assert sent.entities is not None
    assert [(e.type, e.offset, e.length, e.url) for e in sent.entities] == [
        ("bold", 3, 4, None),
        ("text_link", 10, 4, "https://x.io/?a=1&b=2"),
    ]

    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await telegram_bot.send_message(USER_ID, "<b></b>")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await telegram_bot.send_message(USER_ID, "x" * 4097)
    assert (await telegram_bot.send_message(USER_ID, "<b>" + "x" * 4096 + "</b>")).text == "x" * 4096
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await telegram_bot.send_photo(USER_ID, BufferedInputFile(tiny_png(2, 2), "a.png"), caption="c" * 1025)
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await telegram_bot.send_photo(USER_ID, BufferedInputFile(b"not an image", "a.png"))
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await telegram_bot.send_message(404404, "nobody")


def test_html_parser_details() -> None:
    text, entities = parse_html(
        '<pre><code class="language-python">x = 1</code></pre>'
        "<blockquote expandable>q</blockquote><tg-spoiler>s</tg-spoiler>&#128512;&#x41;"
    )
    assert text == "x = 1qs😀A"
    assert entities == [
        {"offset": 0, "length": 5, "type": "pre", "language": "python"},
        {"offset": 5, "length": 1, "type": "expandable_blockquote"},
        {"offset": 6, "length": 1, "type": "spoiler"},
    ]
    with pytest.raises(ApiError) as caught:
        parse_html("ok</b>")
    assert (
        caught.value.description == "Bad Request: can't parse entities: Unexpected end tag at byte offset 2"
    )


async def test_inline_keyboard_limits(telegram_emulator: TelegramEmulator, telegram_bot: Bot) -> None:
    telegram_emulator.user(USER_ID)

    def keyboard(**button: Any) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="b", **button)]])

    await telegram_bot.send_message(USER_ID, "ok", reply_markup=keyboard(callback_data="x" * 64))
    for data in ("x" * 65, "я" * 33):
        with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
            await telegram_bot.send_message(USER_ID, "too long", reply_markup=keyboard(callback_data=data))
    with pytest.raises(TelegramBadRequest, match="BUTTON_URL_INVALID"):
        await telegram_bot.send_message(USER_ID, "bad url", reply_markup=keyboard(url="ftp://example.com"))
    with pytest.raises(TelegramBadRequest, match="Text buttons are unallowed"):
        await telegram_bot.send_message(USER_ID, "no action", reply_markup=keyboard())
    with pytest.raises(TelegramBadRequest, match="exactly one of the optional fields"):
        await telegram_bot.send_message(
            USER_ID, "two actions", reply_markup=keyboard(url="https://a.io", callback_data="a")
        )


async def test_edit_rules(telegram_emulator: TelegramEmulator, telegram_bot: Bot) -> None:
    user = telegram_emulator.user(USER_ID)
    sent = await telegram_bot.send_message(USER_ID, "<b>Menu</b>", reply_markup=menu_keyboard())
    with pytest.raises(TelegramBadRequest) as caught:
        await telegram_bot.edit_message_text(
            "<b>Menu</b>", chat_id=USER_ID, message_id=sent.message_id, reply_markup=menu_keyboard()
        )
    assert caught.value.message == (
        "Bad Request: message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"
    )
    # Same text, markup omitted: the keyboard goes away, so this is a change.
    edited = await telegram_bot.edit_message_text("<b>Menu</b>", chat_id=USER_ID, message_id=sent.message_id)
    assert isinstance(edited, Message)
    assert edited.reply_markup is None
    assert user.last_message is not None and user.last_message.buttons == []

    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await telegram_bot.edit_message_text("x", chat_id=USER_ID, message_id=9999)
    photo = await telegram_bot.send_photo(USER_ID, BufferedInputFile(tiny_png(4, 4), "p.png"))
    with pytest.raises(TelegramBadRequest, match="there is no text in the message to edit"):
        await telegram_bot.edit_message_text("x", chat_id=USER_ID, message_id=photo.message_id)
    assert photo.photo is not None
    await telegram_bot.edit_message_caption(chat_id=USER_ID, message_id=photo.message_id, caption="new")
    again = await telegram_bot.send_photo(USER_ID, photo.photo[-1].file_id)
    assert again.photo is not None and again.photo[-1].file_unique_id == photo.photo[-1].file_unique_id

    assert await telegram_bot.delete_message(USER_ID, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await telegram_bot.delete_message(USER_ID, sent.message_id)
    assert [message.message_id for message in user.messages] == [photo.message_id, again.message_id]


async def test_wait_reply_needs_a_new_or_edited_message_and_wait_alert_reads_an_alert(
    telegram_emulator: TelegramEmulator, telegram_bot: Bot
) -> None:
    user = telegram_emulator.user(USER_ID, first_name="Ann")
    async with polling(telegram_emulator, telegram_bot):
        await user.send("/menu")
        menu = await user.wait_reply()
        alert = await user.press_data("alert:1")
        with pytest.raises(AssertionError, match=r"without a new or edited message.*Only an alert"):
            await user.wait_reply(alert)
        assert await user.wait_alert(alert) == {"text": "Only an alert", "show_alert": True, "url": None}
        # an edit to the very same text is refused by Telegram: nothing changed on screen
        same = await user.press_data("same:1", message_id=menu.message_id)
        with pytest.raises(AssertionError, match=r"without a new or edited message.*message is not modified"):
            await user.wait_reply(same)
        with pytest.raises(AssertionError, match="without a text"):
            await user.wait_alert(same)
        assert user.last_message == menu
        typed = await user.send("plain text")
        with pytest.raises(AssertionError, match=f"update {typed} is not a button press"):
            await user.wait_alert(typed)
        assert (await user.wait_reply(typed)).text == "You said: plain text"


async def test_callback_answers(telegram_emulator: TelegramEmulator, telegram_bot: Bot) -> None:
    user = telegram_emulator.user(USER_ID)
    await telegram_bot.send_message(USER_ID, "menu", reply_markup=menu_keyboard())
    await user.press_data("garbage:data")
    (update,) = await telegram_bot.get_updates(timeout=0)
    assert update.callback_query is not None
    assert update.callback_query.data == "garbage:data"
    assert update.callback_query.message is not None
    query_id = update.callback_query.id
    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await telegram_bot.answer_callback_query(query_id, text="x" * 201)
    assert await telegram_bot.answer_callback_query(query_id, text="Unknown button", show_alert=True)
    assert user.callback_answer() == {"text": "Unknown button", "show_alert": True, "url": None}
    too_old = "query is too old and response timeout expired or query ID is invalid"
    with pytest.raises(TelegramBadRequest, match=too_old):
        await telegram_bot.answer_callback_query(query_id)
    with pytest.raises(TelegramBadRequest, match=too_old):
        await telegram_bot.answer_callback_query("12345")


async def test_blocked_user_and_injected_failures(
    telegram_emulator: TelegramEmulator, telegram_bot: Bot
) -> None:
    user = telegram_emulator.user(USER_ID)
    telegram_emulator.block(USER_ID)
    with pytest.raises(TelegramForbiddenError, match="Forbidden: bot was blocked by the user"):
        await telegram_bot.send_message(USER_ID, "hi")
    member = await telegram_bot.get_chat_member(USER_ID, USER_ID)
    assert member.status == "kicked"
    (blocked_update,) = await telegram_bot.get_updates(timeout=0)
    assert blocked_update.my_chat_member is not None
    assert blocked_update.my_chat_member.new_chat_member.status == "kicked"
    await user.send("/start")  # writing to the bot again unblocks it
    assert (await telegram_bot.send_message(USER_ID, "welcome back")).text == "welcome back"

    telegram_emulator.fail_next("sendMessage", retry_after=3)
    with pytest.raises(TelegramRetryAfter) as caught:
        await telegram_bot.send_message(USER_ID, "hi")
    assert caught.value.retry_after == 3
    assert "Original description: Too Many Requests: retry after 3" in caught.value.message
    assert (await telegram_bot.send_message(USER_ID, "hi")).text == "hi"

    telegram_emulator.fail_next("getMe", error_code=500, description="Internal Server Error", count=2)
    for _ in range(2):
        with pytest.raises(Exception, match="Internal Server Error"):
            await telegram_bot.get_me()
    assert (await telegram_bot.get_me()).id == TEST_BOT_ID

    telegram_emulator.set_rate_limit(2)
    await telegram_bot.send_message(USER_ID, "1")
    await telegram_bot.send_message(USER_ID, "2")
    with pytest.raises(TelegramRetryAfter) as limited:
        await telegram_bot.send_message(USER_ID, "3")
    assert limited.value.retry_after >= 1
    failed = telegram_emulator.calls_for("sendMessage")[-1]
    assert not failed.ok and failed.error_code == 429 and failed.params["text"] == "3"


async def test_bot_level_methods(telegram_emulator: TelegramEmulator, telegram_bot: Bot) -> None:
    telegram_emulator.user(USER_ID, username="ann")
    telegram_emulator.add_chat(-100777, chat_type="channel", title="News", username="news")
    me = await telegram_bot.get_me()
    assert (me.id, me.username, me.is_bot) == (TEST_BOT_ID, "remnastore_test_bot", True)

    assert (await telegram_bot.get_chat_member(-100777, USER_ID)).status == "left"
    telegram_emulator.set_chat_member(-100777, USER_ID, "administrator")
    assert (await telegram_bot.get_chat_member("@news", USER_ID)).status == "administrator"
    telegram_emulator.set_chat_member(-100777, USER_ID, "restricted")
    assert (await telegram_bot.get_chat_member(-100777, USER_ID)).status == "restricted"
    assert (await telegram_bot.get_chat_member(USER_ID, USER_ID)).status == "member"
    chat = await telegram_bot.get_chat(USER_ID)
    assert (chat.id, chat.type, chat.username) == (USER_ID, "private", "ann")
    assert (await telegram_bot.send_message(-100777, "to channel")).chat.title == "News"

    commands = [
        BotCommand(command="start", description="Start"),
        BotCommand(command="buy", description="Buy"),
    ]
    assert await telegram_bot.set_my_commands(commands)
    assert [(c.command, c.description) for c in await telegram_bot.get_my_commands()] == [
        ("start", "Start"),
        ("buy", "Buy"),
    ]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await telegram_bot.set_my_commands([BotCommand(command="Start Now", description="x")])
    assert await telegram_bot.set_my_description("Shop")
    assert await telegram_bot.send_chat_action(USER_ID, "typing")

    status, body = await raw_call(telegram_emulator, "noSuchMethod")
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
    status, body = await raw_call(telegram_emulator, "SENDMESSAGE", json={"chat_id": USER_ID, "text": "json"})
    assert status == 200 and body["result"]["text"] == "json"
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{telegram_emulator.url}/botbad/getMe") as resp,
    ):
        assert resp.status == 401
        assert await resp.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_reply_keyboard_copy_forward_and_files(
    telegram_emulator: TelegramEmulator, telegram_bot: Bot
) -> None:
    user = telegram_emulator.user(USER_ID)
    telegram_emulator.add_chat(-100500, title="Admin log")
    keyboard = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="🛒 Buy"), KeyboardButton(text="Help")]])
    shown = await telegram_bot.send_message(USER_ID, "Choose", reply_markup=keyboard)
    assert shown.reply_markup is None  # Telegram echoes inline keyboards only
    assert user.reply_keyboard == [["🛒 Buy", "Help"]]
    with pytest.raises(AssertionError, match="no reply keyboard button"):
        await user.tap("Sell")
    tapped = await user.tap("Buy")
    (update,) = await telegram_bot.get_updates(timeout=0)
    assert update.update_id == tapped
    assert update.message is not None and update.message.text == "🛒 Buy"
    await telegram_bot.send_message(USER_ID, "Done", reply_markup=ReplyKeyboardRemove())
    assert user.reply_keyboard is None

    copied = await telegram_bot.copy_message(-100500, USER_ID, update.message.message_id)
    forwarded = await telegram_bot.forward_message(-100500, USER_ID, update.message.message_id)
    assert forwarded.forward_origin is not None and forwarded.forward_origin.type == "user"
    assert [item.text for item in telegram_emulator.chat_messages(-100500)] == ["🛒 Buy", "🛒 Buy"]
    assert telegram_emulator.chat_messages(-100500)[0].message_id == copied.message_id
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await telegram_bot.copy_message(-100500, USER_ID, 999)

    document = await telegram_bot.send_document(USER_ID, BufferedInputFile(b"config-data", "vpn.conf"))
    assert document.document is not None and document.document.file_name == "vpn.conf"
    file = await telegram_bot.get_file(document.document.file_id)
    assert file.file_path is not None
    downloaded = await telegram_bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == b"config-data"
    with pytest.raises(TelegramBadRequest, match="can't use file of type Document as Photo"):
        await telegram_bot.send_photo(USER_ID, document.document.file_id)
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await telegram_bot.send_photo(USER_ID, "no-such-file-id")
    assert user.last_message is not None and user.last_message.has_document


# -- payments ------------------------------------------------------------------------------------


async def test_stars_invoice_payment_and_refund(
    telegram_emulator: TelegramEmulator, telegram_bot: Bot
) -> None:
    user = telegram_emulator.user(USER_ID)
    async with polling(telegram_emulator, telegram_bot):
        await user.send("/buy")
        invoice = await user.wait_reply()
        assert invoice.invoice == {
            "title": "1 month",
            "description": "VPN for one month",
            "start_parameter": "",
            "currency": "XTR",
            "total_amount": 100,
        }
        assert invoice.buttons[0][0].pay

        result = await user.pay_invoice()
        assert result.approved and result.charge_id is not None
        receipt = await user.wait_reply(result.payment_update_id)
        assert receipt.text == f"Paid 100 XTR for order-1: {result.charge_id}"

        await user.send("/buy bad")
        await user.wait_reply()
        declined = await user.pay_invoice()
        assert not declined.approved
        assert declined.error_message == "This plan is gone"
        assert declined.charge_id is None

    transactions = await telegram_bot.get_star_transactions()
    assert [(item.id, item.amount) for item in transactions.transactions] == [(result.charge_id, 100)]
    assert await telegram_bot.refund_star_payment(USER_ID, result.charge_id)
    with pytest.raises(TelegramBadRequest, match="CHARGE_ALREADY_REFUNDED"):
        await telegram_bot.refund_star_payment(USER_ID, result.charge_id)

    invoice_args: dict[str, Any] = {"title": "t", "description": "d", "payload": "p", "currency": "XTR"}
    two_prices = [LabeledPrice(label="a", amount=1), LabeledPrice(label="b", amount=2)]
    with pytest.raises(TelegramBadRequest, match="exactly one price"):
        await telegram_bot.send_invoice(USER_ID, prices=two_prices, **invoice_args)
    with pytest.raises(TelegramBadRequest, match="PAYMENT_PROVIDER_INVALID"):
        await telegram_bot.send_invoice(
            USER_ID, prices=[LabeledPrice(label="a", amount=1)], provider_token="tok", **invoice_args
        )
    link = await telegram_bot.create_invoice_link(prices=[LabeledPrice(label="a", amount=5)], **invoice_args)
    assert link.startswith("https://t.me/$")


async def test_star_transactions_are_chronological_pages_in_the_wire_format(
    telegram_emulator: TelegramEmulator, telegram_bot: Bot
) -> None:
    user = telegram_emulator.user(USER_ID, first_name="Payer")
    acknowledged: list[dict[str, Any]] = []
    telegram_emulator.hub.on_acknowledged = acknowledged.extend
    charges: list[str] = []
    async with polling(telegram_emulator, telegram_bot):
        for payload in ("order-a", "order-b", "order-c"):
            await user.wait_reply(await user.send(f"/buy {payload}"))
            paid = await user.pay_invoice()
            assert paid.charge_id is not None
            charges.append(paid.charge_id)
            await user.wait_reply(paid.payment_update_id)
        await telegram_emulator.wait_until(
            lambda: paid.payment_update_id in {u["update_id"] for u in acknowledged}, timeout=5
        )
    # every payment update was acknowledged by a later getUpdates offset, and reported as such
    assert [u["message"]["successful_payment"]["telegram_payment_charge_id"] for u in acknowledged if
            "successful_payment" in u.get("message", {})] == charges  # fmt: skip
    assert await telegram_bot.refund_star_payment(USER_ID, charges[0])

    async with aiohttp.ClientSession() as http:
        url = f"{telegram_emulator.url}/bot{TEST_BOT_TOKEN}/getStarTransactions"
        async with http.post(url, json={"offset": 1, "limit": 2}) as response:
            body = await response.json()
    assert body["ok"] is True
    first, second = body["result"]["transactions"]
    assert first["id"] == charges[1] and second["id"] == charges[2]
    assert isinstance(first["date"], int) and first["amount"] == 100
    assert first["source"]["type"] == "user" and first["source"]["invoice_payload"] == "order-b"
    assert first["source"]["user"]["id"] == USER_ID and "receiver" not in first

    everything = await telegram_bot.get_star_transactions()
    # chronological: the three payments, then the refund (an outgoing transaction with the same id)
    assert [t.id for t in everything.transactions] == [*charges, charges[0]]
    assert everything.transactions[3].receiver is not None and everything.transactions[3].source is None
    assert [t.id for t in (await telegram_bot.get_star_transactions(offset=3, limit=100)).transactions] == [
        charges[0]
    ]
    # limit is 1-100: a larger one gives at most 100, an offset past the end an empty page
    assert len((await telegram_bot.get_star_transactions(limit=500)).transactions) == 4
    assert (await telegram_bot.get_star_transactions(offset=10)).transactions == []


# -- webhook -------------------------------------------------------------------------------------


async def test_webhook_mode_with_aiogram_handler(
    telegram_emulator: TelegramEmulator, telegram_bot: Bot
) -> None:
    user = telegram_emulator.user(USER_ID)
    dispatcher = Dispatcher()
    dispatcher.include_router(build_router())
    app = web.Application()
    SimpleRequestHandler(dispatcher, telegram_bot, handle_in_background=False, secret_token=SECRET).register(
        app, path="/webhook"
    )
    async with aiohttp_server(app) as base_url:
        hook = f"{base_url}/webhook"
        assert await telegram_bot.set_webhook(hook, secret_token=SECRET, drop_pending_updates=True)
        info = await telegram_bot.get_webhook_info()
        assert info.url == hook and info.pending_update_count == 0

        await user.send("hello")
        assert (await user.wait_reply()).text == "You said: hello"
        await user.send("/menu")
        await user.wait_reply()
        await user.press("Press me")
        assert (await user.wait_reply()).text == "Pressed once"

        # A method returned by the handler travels back in the webhook response body.
        await user.send("/fast")
        assert (await user.wait_reply()).text == "fast reply"
        assert telegram_emulator.calls_for("sendMessage")[-1].via_webhook_reply

        with pytest.raises(TelegramConflictError, match="webhook is active"):
            await telegram_bot.get_updates()

        # aiogram refuses a request without the right secret ...
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                hook, json={"update_id": 1}, headers={"X-Telegram-Bot-Api-Secret-Token": "no"}
            ) as resp,
        ):
            assert resp.status == 401
        # ... so a webhook set with a wrong secret fails to deliver, retried and reported.
        telegram_emulator.hub.retry_delay = 0.02
        assert await telegram_bot.set_webhook(hook, secret_token="wrong-secret")
        await user.send("lost")
        await telegram_emulator.wait_until(lambda: bool(telegram_emulator.hub.failures), timeout=3)
        (failure,) = telegram_emulator.hub.failures
        assert failure.attempts == telegram_emulator.hub.max_attempts
        info = await telegram_bot.get_webhook_info()
        assert info.last_error_message == "Wrong response from the webhook: 401 Unauthorized"
        assert await telegram_bot.delete_webhook()
    assert telegram_emulator.internal_errors == []


async def test_webhook_retries_keep_order(telegram_emulator: TelegramEmulator) -> None:
    telegram_emulator.hub.retry_delay = 0.02
    received: list[int] = []
    failures_left = 2

    async def flaky(request: web.Request) -> web.Response:
        nonlocal failures_left
        if failures_left:
            failures_left -= 1
            return web.Response(status=500)
        received.append((await request.json())["update_id"])
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/hook", flaky)
    user = telegram_emulator.user(USER_ID)
    async with aiohttp_server(app) as base_url:
        status, body = await raw_call(telegram_emulator, "setWebhook", data={"url": f"{base_url}/hook"})
        assert (status, body) == (200, {"ok": True, "result": True})
        sent = [await user.send(str(number)) for number in range(3)]
        await telegram_emulator.wait_until(lambda: len(received) == 3, timeout=3)
    assert received == sent
    assert telegram_emulator.pending_updates == []


async def test_a_flooded_chat_is_answered_429_with_retry_after_and_other_chats_are_not(
    telegram_emulator: TelegramEmulator, telegram_bot: Bot
) -> None:
    telegram_emulator.user(USER_ID)
    telegram_emulator.user(USER_ID + 1)
    telegram_emulator.set_chat_rate_limit(2)
    await telegram_bot.send_message(USER_ID, "1")
    await telegram_bot.send_message(USER_ID, "2")
    with pytest.raises(TelegramRetryAfter, match="Too Many Requests: retry after 1") as limited:
        await telegram_bot.send_message(USER_ID, "3")
    assert limited.value.retry_after == 1
    # another chat is not limited by the first one's flood
    assert (await telegram_bot.send_message(USER_ID + 1, "a")).text == "a"
    failed = telegram_emulator.calls_for("sendMessage")[-2]
    assert failed.error_code == 429 and failed.params["text"] == "3"
    # per-method injection is answered the same way, with the parameters Telegram sends
    telegram_emulator.set_chat_rate_limit(None)
    telegram_emulator.fail_next("editMessageText", retry_after=2)
    sent = await telegram_bot.send_message(USER_ID + 1, "b")
    with pytest.raises(TelegramRetryAfter, match="retry after 2"):
        await telegram_bot.edit_message_text("c", chat_id=USER_ID + 1, message_id=sent.message_id)
    assert (
        await telegram_bot.edit_message_text("c", chat_id=USER_ID + 1, message_id=sent.message_id)
    ).text == "c"  # type: ignore[union-attr]


async def test_wait_reply_waits_for_the_screen_that_follows_a_plain_callback_answer(
    telegram_emulator: TelegramEmulator, telegram_bot: Bot
) -> None:
    user = telegram_emulator.user(USER_ID)
    async with polling(telegram_emulator, telegram_bot):
        await user.wait_reply(await user.send("/menu"))
        reply = await user.wait_reply(await user.press_data("slow"))
        assert reply.text == "Slow screen"


async def test_a_json_webhook_reply_runs_its_method(
    telegram_emulator: TelegramEmulator, telegram_bot: Bot
) -> None:
    """Telegram runs the method a webhook names in a JSON reply (``method`` plus the Bot API parameters
    as JSON values), and does not return its result to anybody."""
    user = telegram_emulator.user(USER_ID)

    async def hook(request: web.Request) -> web.Response:
        update = await request.json()
        query = update.get("callback_query")
        if query is None:
            return web.json_response({})
        if query["data"] == "no-method":
            return web.json_response({"callback_query_id": query["id"], "text": "lost"})
        reply = {"method": "answerCallbackQuery", "callback_query_id": query["id"], "text": "Saved"}
        return web.json_response({**reply, "show_alert": True, "cache_time": 0})

    app = web.Application()
    app.router.add_post("/webhook", hook)
    async with aiohttp_server(app) as base_url:
        assert await telegram_bot.set_webhook(f"{base_url}/webhook", drop_pending_updates=True)
        await user.press_data("alert")
        assert await user.wait_alert() == {"text": "Saved", "show_alert": True, "url": None}
        (call,) = telegram_emulator.calls_for("answerCallbackQuery")
        assert call.ok and call.via_webhook_reply
        # a reply without a method is no call
        update_id = await user.press_data("no-method")
        await telegram_emulator.wait_until(lambda: update_id in telegram_emulator.hub.completed_at, timeout=3)
        assert len(telegram_emulator.calls_for("answerCallbackQuery")) == 1
        assert user.callback_answer(update_id) is None
        assert await telegram_bot.delete_webhook()
    assert telegram_emulator.internal_errors == []
