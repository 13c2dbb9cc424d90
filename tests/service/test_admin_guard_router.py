"""The admin guard's router without a shop: a real aiogram dispatcher and bot against the Telegram
emulator. A customer's press on an admin button is answered with the alert and logged; every other press
goes on to the routers behind it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiogram import Bot, Dispatcher, Router
from aiogram.types import CallbackQuery, Update

from remnastore.bot.routers.admin import guard
from remnastore.emulators.telegram import TelegramEmulator
from remnastore.locales import Locales
from tests.fixtures.telegram import make_bot
from tests.service.logs import lines

ADMIN = 900001
CUSTOMER = 5001
LOGGER = "remnastore.bot.routers.admin.guard"


class Bench:
    """The guard's router first, then a router that records the presses reaching it."""

    def __init__(self, emulator: TelegramEmulator, bot: Bot) -> None:
        self.emulator = emulator
        self.bot = bot
        self.reached: list[str | None] = []
        self.dispatcher = Dispatcher()
        self.dispatcher.include_router(guard.build({ADMIN}))
        behind = Router(name="behind")

        async def passed(query: CallbackQuery) -> None:
            self.reached.append(query.data)

        behind.callback_query.register(passed)
        self.dispatcher.include_router(behind)
        self.locales = Locales("en")

    async def press(self, user_id: int, data: str, language: str = "en") -> dict[str, object] | None:
        user = self.emulator.user(user_id, language_code=language)
        update_id = await user.press_data(data)
        [raw] = [u for u in self.emulator.pending_updates if u["update_id"] == update_id]
        update = Update.model_validate(raw, context={"bot": self.bot})
        await self.dispatcher.feed_update(self.bot, update, t=self.locales.get(language))
        return user.callback_answer(update_id)


@pytest_asyncio.fixture
async def bench() -> AsyncIterator[Bench]:
    async with TelegramEmulator() as emulator:
        bot = make_bot(emulator)
        try:
            yield Bench(emulator, bot)
        finally:
            await bot.session.close()


async def test_a_customers_press_on_an_admin_button_is_refused_with_the_alert_and_logged(
    bench: Bench, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    answer = await bench.press(CUSTOMER, "aoc:0123:confirm")
    assert answer is not None
    assert answer["text"] == "⛔ This button is for the shop's administrators only."
    assert answer["show_alert"] is True
    assert bench.reached == []
    assert lines(caplog, LOGGER) == [("WARNING", "admin button pressed by a non-admin", {})]
    [record] = caplog.records
    assert (record.__dict__["telegram_id"], record.__dict__["prefix"]) == (CUSTOMER, "aoc")


async def test_the_alert_speaks_the_customers_language(bench: Bench) -> None:
    answer = await bench.press(CUSTOMER, "an:st", language="ru")
    assert answer is not None and answer["text"] == "⛔ Эта кнопка только для администраторов магазина."


async def test_an_admins_press_and_a_customers_own_buttons_go_on_unanswered(
    bench: Bench, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    assert await bench.press(ADMIN, "an:st") is None
    assert await bench.press(CUSTOMER, "n:main") is None
    assert bench.reached == ["an:st", "n:main"] and caplog.records == []
