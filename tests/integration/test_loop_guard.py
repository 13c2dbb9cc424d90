"""The loop guard reports a handler (or any task step) that holds the event loop: a log line and a metric."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.filters import Command
from aiogram.types import Message
from prometheus_client import CollectorRegistry

from remnastore.emulators.telegram import TelegramEmulator
from remnastore.infra.loop_guard import Hold, LoopGuard

THRESHOLD = 0.1


def held(registry: CollectorRegistry, kind: str) -> tuple[float, float]:
    count = registry.get_sample_value("remnastore_event_loop_holds_total", {"kind": kind}) or 0.0
    seconds = registry.get_sample_value("remnastore_event_loop_hold_seconds_sum", {"kind": kind}) or 0.0
    return count, seconds


async def blocking_handler(message: Message) -> None:
    time.sleep(0.5)  # noqa: ASYNC251 - the point of the test: a handler that blocks the loop
    await message.answer("done")


async def test_a_blocking_handler_is_named_in_the_log_and_counted(
    telegram_emulator: TelegramEmulator, telegram_bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    registry = CollectorRegistry()
    released = asyncio.Event()
    guard = LoopGuard(THRESHOLD, registry, on_hold=lambda hold, seconds: released.set())
    router = Router()
    router.message.register(blocking_handler, Command("block"))
    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    await guard.start()
    mark = len(telegram_emulator.calls)
    polling = asyncio.create_task(
        dispatcher.start_polling(
            telegram_bot, handle_signals=False, close_bot_session=False, polling_timeout=2
        )
    )
    try:
        await telegram_emulator.wait_for_call("getMe", start=mark)
        user = telegram_emulator.user(5101, first_name="Blocker")
        with caplog.at_level(logging.WARNING, logger="remnastore.infra.loop_guard"):
            reply = await user.wait_reply(await user.send("/block"))
            assert reply.text == "done"
            await asyncio.wait_for(released.wait(), 2)  # the heartbeat records it on its next turn
    finally:
        await dispatcher.stop_polling()
        await asyncio.wait_for(polling, 5)
        await guard.stop()
    count, seconds = held(registry, "update")
    assert count == 1 and 0.4 <= seconds < 1.5
    assert held(registry, "task") == (0.0, 0.0)
    name = "tests.integration.test_loop_guard:blocking_handler"
    messages = [r.getMessage() for r in caplog.records]
    # while it held the loop (from the watchdog thread), and once released (with the exact duration)
    assert any("is held" in m and f"the handler {name} (message)" in m for m in messages), messages
    assert any("was held for 0." in m and f"the handler {name} (message)" in m for m in messages), messages


def _crunch() -> None:
    time.sleep(0.3)


async def test_a_blocking_task_step_is_reported_with_its_line(caplog: pytest.LogCaptureFixture) -> None:
    registry = CollectorRegistry()
    holds: list[float] = []
    released = asyncio.Event()

    def on_hold(hold: Hold, seconds: float) -> None:
        holds.append(seconds)
        released.set()

    guard = LoopGuard(THRESHOLD, registry, on_hold=on_hold)
    await guard.start()
    try:
        with caplog.at_level(logging.WARNING, logger="remnastore.infra.loop_guard"):
            await asyncio.sleep(0.05)
            _crunch()
            await asyncio.wait_for(released.wait(), 2)  # the heartbeat's next turn records it
            # a loop that is merely busy with short steps is not reported
            for _ in range(50):
                time.sleep(0.005)  # noqa: ASYNC251
                await asyncio.sleep(0)
            await asyncio.sleep(THRESHOLD)
    finally:
        await guard.stop()
    count, seconds = held(registry, "task")
    assert count == 1 and 0.2 <= seconds < 1.0 and holds == [seconds]
    assert any("is held" in r.getMessage() and "_crunch" in r.getMessage() for r in caplog.records)


def test_the_threshold_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        LoopGuard(0)
