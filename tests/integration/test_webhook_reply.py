"""A button press answered in the webhook's reply: the first answer of the press goes there when it comes
within the bound; a later one, a second one, or one in long polling is an ordinary Bot API call.

The bot's own session and webhook handler, aiogram's dispatcher and the Telegram emulator over HTTP; the
routers are small ones made for each case.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import CallbackQuery
from aiohttp import web

from remnastore.bot.payment_intake import PaymentIntake
from remnastore.bot.respond import show
from remnastore.bot.session import BotSession
from remnastore.bot.webhook import SettleFirstRequestHandler
from remnastore.bot.webhook_reply import ReplySlot
from remnastore.emulators.telegram import ApiCall, TelegramEmulator
from remnastore.payments.base import PaymentEvent
from tests.fixtures.telegram import TEST_BOT_TOKEN
from tests.integration.test_telegram_emulator import aiohttp_server

USER_ID = 5101
SECRET = "reply-Secret_1"
#: the bound of these tests: short, so a "slow" handler needs not be slow
BOUND = 0.2


async def _no_payment(event: PaymentEvent) -> None:
    raise AssertionError(f"no payment update is sent here: {event}")


def presses_router(outcome: list[object]) -> Router:
    router = Router()

    @router.callback_query(F.data == "notice")
    async def notice(query: CallbackQuery) -> None:
        outcome.append(await query.answer("Saved ✓", show_alert=True))

    @router.callback_query(F.data == "slow")
    async def slow(query: CallbackQuery) -> None:
        await asyncio.sleep(BOUND * 3)
        outcome.append(await query.answer("Late but here"))

    @router.callback_query(F.data == "twice")
    async def twice(query: CallbackQuery) -> None:
        await query.answer("first")
        try:
            await query.answer("second")
        except TelegramBadRequest as exc:  # Telegram refuses a second answer to one query
            outcome.append(exc.message)

    @router.callback_query(F.data.startswith("screen"))
    async def screen(query: CallbackQuery) -> None:
        await show(query, "A screen", notice="Saved ✓" if query.data == "screen:notice" else None)
        outcome.append("shown")

    @router.callback_query(F.data == "returned")
    async def returned(query: CallbackQuery) -> AnswerCallbackQuery:
        return query.answer("Returned")

    return router


@asynccontextmanager
async def webhook_bot(emulator: TelegramEmulator, outcome: list[object]) -> AsyncIterator[Bot]:
    session = BotSession(api=TelegramAPIServer.from_base(emulator.url))
    bot = Bot(TEST_BOT_TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML"))
    dispatcher = Dispatcher()
    dispatcher.include_router(presses_router(outcome))
    app = web.Application()
    handler = SettleFirstRequestHandler(
        dispatcher, bot, secret_token=SECRET, intake=PaymentIntake(_no_payment), reply_wait=BOUND
    )
    handler.register(app, path="/webhook")
    try:
        async with aiohttp_server(app) as base_url:
            assert await bot.set_webhook(f"{base_url}/webhook", secret_token=SECRET)
            yield bot
            await bot.delete_webhook()
    finally:
        await session.close()


def answers_to(emulator: TelegramEmulator, update_id: int) -> list[ApiCall]:
    query_id = emulator.hub.history[update_id]["callback_query"]["id"]
    return [c for c in emulator.calls_for("answerCallbackQuery") if c.params["callback_query_id"] == query_id]


async def test_a_notice_comes_in_the_webhook_reply(telegram_emulator: TelegramEmulator) -> None:
    outcome: list[object] = []
    user = telegram_emulator.user(USER_ID)
    async with webhook_bot(telegram_emulator, outcome):
        update_id = await user.press_data("notice")
        assert await user.wait_alert(update_id) == {"text": "Saved ✓", "show_alert": True, "url": None}
        (answer,) = answers_to(telegram_emulator, update_id)
        assert answer.ok and answer.via_webhook_reply
        assert outcome == [True]  # the handler is told the answer went out
        # an answer the handler returns (instead of calling) goes there too
        update_id = await user.press_data("returned")
        assert (await user.wait_alert(update_id))["text"] == "Returned"
        (answer,) = answers_to(telegram_emulator, update_id)
        assert answer.via_webhook_reply
    assert [c.method for c in telegram_emulator.calls if not c.via_webhook_reply] == [
        "setWebhook",
        "deleteWebhook",
    ], "no Bot API request for the answers"
    assert telegram_emulator.internal_errors == []


@pytest.mark.parametrize(("data", "notice"), [("screen:notice", "Saved ✓"), ("screen", None)])
async def test_a_shown_screen_answers_its_press_in_the_webhook_reply(
    telegram_emulator: TelegramEmulator, data: str, notice: str | None
) -> None:
    outcome: list[object] = []
    user = telegram_emulator.user(USER_ID)
    async with webhook_bot(telegram_emulator, outcome):
        update_id = await user.press_data(data)
        await telegram_emulator.wait_until(lambda: outcome == ["shown"], timeout=3)
        (answer,) = answers_to(telegram_emulator, update_id)
        assert answer.ok and answer.via_webhook_reply
        assert answer.params.get("text") == notice
        assert user.callback_answer(update_id) == {"text": notice, "show_alert": False, "url": None}
        shown = user.last_message
        assert shown is not None and shown.text == "A screen"
    called = [c.method for c in telegram_emulator.calls if not c.via_webhook_reply]
    assert "answerCallbackQuery" not in called


@pytest.mark.parametrize("notice", ["Saved ✓", None])
async def test_a_notice_taken_directly_is_the_payload_of_the_method(notice: str | None) -> None:
    bot = Bot(TEST_BOT_TOKEN, default=DefaultBotProperties(parse_mode="HTML"))
    try:
        direct, by_method = ReplySlot(bot, "q1"), ReplySlot(bot, "q1")
        assert not direct.offer_notice("q2", notice), "another query's answer is not taken"
        assert direct.offer_notice("q1", notice)
        assert by_method.offer(AnswerCallbackQuery(callback_query_id="q1", text=notice))
        assert direct.close() == by_method.close()
        assert not direct.offer_notice("q1", notice), "only the first answer is taken"
    finally:
        await bot.session.close()


async def test_an_answer_later_than_the_bound_is_sent_as_a_call_once(
    telegram_emulator: TelegramEmulator,
) -> None:
    outcome: list[object] = []
    user = telegram_emulator.user(USER_ID)
    async with webhook_bot(telegram_emulator, outcome):
        update_id = await user.press_data("slow")
        await telegram_emulator.wait_until(lambda: update_id in telegram_emulator.hub.completed_at, timeout=3)
        assert answers_to(telegram_emulator, update_id) == [], "Telegram was answered before the handler"
        assert (await user.wait_alert(update_id, timeout=3))["text"] == "Late but here"
        await asyncio.sleep(BOUND)  # nothing else comes
        (answer,) = answers_to(telegram_emulator, update_id)
        assert answer.ok and not answer.via_webhook_reply
        assert outcome == [True]


async def test_a_second_answer_in_one_update_is_a_call(telegram_emulator: TelegramEmulator) -> None:
    outcome: list[object] = []
    user = telegram_emulator.user(USER_ID)
    async with webhook_bot(telegram_emulator, outcome):
        update_id = await user.press_data("twice")
        await telegram_emulator.wait_until(
            lambda: len(answers_to(telegram_emulator, update_id)) == 2, timeout=3
        )
        answers = answers_to(telegram_emulator, update_id)
        assert sorted(a.via_webhook_reply for a in answers) == [False, True]
        # the customer sees the first answer; Telegram refuses the second (whichever reached it first)
        assert user.callback_answer(update_id) is not None
        assert [a.ok for a in answers].count(True) == 1
        assert outcome in (
            [],
            ["Bad Request: query is too old and response timeout expired or query ID is invalid"],
        )


@pytest.mark.parametrize("data", ["notice", "returned"])
async def test_in_long_polling_the_answer_is_a_call(telegram_emulator: TelegramEmulator, data: str) -> None:
    outcome: list[object] = []
    user = telegram_emulator.user(USER_ID)
    session = BotSession(api=TelegramAPIServer.from_base(telegram_emulator.url))
    bot = Bot(TEST_BOT_TOKEN, session=session)
    dispatcher = Dispatcher()
    dispatcher.include_router(presses_router(outcome))
    polling = asyncio.create_task(dispatcher.start_polling(bot, polling_timeout=1, handle_signals=False))
    try:
        update_id = await user.press_data(data)
        assert (await user.wait_alert(update_id))["text"] in ("Saved ✓", "Returned")
        (answer,) = answers_to(telegram_emulator, update_id)
        assert answer.ok and not answer.via_webhook_reply
    finally:
        await dispatcher.stop_polling()
        await polling
        await session.close()
