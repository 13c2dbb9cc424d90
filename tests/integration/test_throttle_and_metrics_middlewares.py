"""The throttle and metrics middlewares in a real dispatcher, replying through the Bot API emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.types import CallbackQuery, Message, PreCheckoutQuery
from redis.asyncio import Redis

from remnastore.bot.middlewares.metrics import install_metrics_middleware
from remnastore.bot.middlewares.throttle import ThrottleMiddleware
from remnastore.domain.errors import DomainError
from remnastore.emulators.telegram import TelegramEmulator
from remnastore.emulators.telegram_users import FakeUser
from remnastore.infra.metrics import Metrics
from remnastore.infra.ratelimit import Limits, MemoryRateLimiter, RateLimiter, RedisRateLimiter
from remnastore.locales import Locales
from tests.fixtures.shop import free_port
from tests.fixtures.telegram import make_bot
from tests.unit.test_metrics import sample

ADMIN = 555


@dataclass
class Harness:
    emulator: TelegramEmulator
    bot: Bot
    dp: Dispatcher
    throttle: ThrottleMiddleware
    metrics: Metrics
    seen: list[str] = field(default_factory=list)

    async def deliver(self, update_id: int) -> None:
        await self.dp.feed_raw_update(self.bot, self.emulator.hub.history[update_id])

    async def send(self, user: FakeUser, text: str, times: int = 1) -> None:
        for _ in range(times):
            await self.deliver(await user.send(text))

    def texts(self, user: FakeUser) -> list[str]:
        return [call.params["text"] for call in self.emulator.calls_for("sendMessage") if _to(call, user)]


def _to(call: Any, user: FakeUser) -> bool:
    return int(call.params["chat_id"]) == user.id


def build(emulator: TelegramEmulator, limits: Limits, limiter: RateLimiter | None = None) -> Harness:
    bot = make_bot(emulator)
    dp = Dispatcher()
    metrics = Metrics()
    install_metrics_middleware(dp, metrics)
    throttle = ThrottleMiddleware(
        limiter or MemoryRateLimiter(limits),
        frozenset({ADMIN}),
        Locales("en"),
        metrics=metrics,
        limiter_timeout=0.3,
    )
    dp.update.outer_middleware(throttle)
    harness = Harness(emulator, bot, dp, throttle, metrics)
    router = Router(name="test")

    @router.message()
    async def echo(message: Message) -> None:
        if message.text == "fail":
            raise ZeroDivisionError("handler bug")
        if message.text == "refuse":
            raise DomainError("gift-unknown")
        harness.seen.append(message.text or "")
        await message.answer(f"echo {message.text}")

    @router.callback_query()
    async def on_press(query: CallbackQuery) -> None:
        harness.seen.append(f"press {query.data}")
        await query.answer()

    @router.pre_checkout_query()
    async def on_checkout(query: PreCheckoutQuery) -> None:
        harness.seen.append(f"checkout {query.id}")

    dp.include_router(router)
    return harness


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator() as running:
        yield running


@pytest.fixture
async def harness(emulator: TelegramEmulator) -> AsyncIterator[Harness]:
    built = build(emulator, Limits(events=2, window=60.0, ban=30.0, strikes=3))
    try:
        yield built
    finally:
        await built.throttle.close()
        await built.bot.session.close()


async def test_a_flood_gets_one_warning_in_the_customers_language_then_silence(harness: Harness) -> None:
    user = harness.emulator.user(1001, language_code="ru")
    await harness.send(user, "hi", times=6)
    assert harness.seen == ["hi", "hi"]
    texts = harness.texts(user)
    assert texts[:2] == ["echo hi", "echo hi"]
    assert len(texts) == 3 and "слишком часто" in texts[2]
    body = harness.metrics.render()[0]
    assert sample(body, "remnastore_throttled_total", verdict="warn") == 1
    assert sample(body, "remnastore_throttled_total", verdict="drop") == 3
    assert sample(body, "remnastore_updates_total", type="message", handler="dropped") == 4
    handler = "tests.integration.test_throttle_and_metrics_middlewares.build.echo"
    assert sample(body, "remnastore_updates_total", type="message", handler=handler) == 2
    assert sample(body, "remnastore_handler_seconds_count", handler=handler) == 2


async def test_a_warning_to_a_button_press_is_an_alert(harness: Harness) -> None:
    user = harness.emulator.user(1002, language_code="en")
    for _ in range(2):
        await harness.deliver(await user.press_data("x"))
    warned = await user.press_data("x")
    await harness.deliver(warned)
    answer = user.callback_answer(warned)
    assert answer is not None and answer.get("show_alert") is True
    assert "too fast" in answer["text"]
    assert harness.seen == ["press x", "press x"]


async def test_admins_and_payments_are_never_throttled(harness: Harness) -> None:
    admin = harness.emulator.user(ADMIN)
    await harness.send(admin, "admin", times=8)
    assert harness.seen == ["admin"] * 8
    user = harness.emulator.user(1003)
    await harness.send(user, "hi", times=8)
    update_id = harness.emulator.enqueue(
        {
            "pre_checkout_query": {
                "id": "q-1",
                "from": user.info,
                "currency": "XTR",
                "total_amount": 100,
                "invoice_payload": "order",
            }
        }
    )
    await harness.deliver(update_id)
    assert harness.seen[-1] == "checkout q-1"


async def test_a_ban_is_announced_with_its_end_and_its_end_is_announced(emulator: TelegramEmulator) -> None:
    harness = build(emulator, Limits(events=2, window=60.0, ban=0.3, strikes=1))
    try:
        user = emulator.user(1004, language_code="en")
        await harness.send(user, "hi", times=4)
        texts = harness.texts(user)
        assert len(texts) == 3 and "will not answer you until" in texts[2] and "(1 minute)" in texts[2]
        await emulator.wait_for_call(
            "sendMessage", lambda call: _to(call, user) and "pause is over" in call.params["text"], timeout=5
        )
        await emulator.wait_until(lambda: harness.throttle.pending_notifications == 0)
        await harness.send(user, "back")
        assert harness.seen[-1] == "back"
        body = harness.metrics.render()[0]
        assert sample(body, "remnastore_banned_customers_total") == 1
        assert sample(body, "remnastore_throttled_total", verdict="banned_silent") == 1
    finally:
        await harness.throttle.close()
        await harness.bot.session.close()


async def test_close_cancels_pending_ban_end_notices(emulator: TelegramEmulator) -> None:
    harness = build(emulator, Limits(events=1, window=60.0, ban=0.5, strikes=1))
    user = emulator.user(1005)
    await harness.send(user, "hi", times=2)
    assert harness.throttle.pending_notifications == 1
    await harness.throttle.close()
    assert harness.throttle.pending_notifications == 0
    with pytest.raises(AssertionError, match="no matching sendMessage call within"):
        await emulator.wait_for_call(
            "sendMessage", lambda call: _to(call, user) and "pause is over" in call.params["text"], timeout=1
        )
    await harness.bot.session.close()


async def test_failing_handlers_are_counted_by_exception_type(harness: Harness) -> None:
    user = harness.emulator.user(ADMIN)
    with pytest.raises(ZeroDivisionError, match=r"^handler bug$"):
        await harness.send(user, "fail")
    body = harness.metrics.render()[0]
    assert sample(body, "remnastore_handler_errors_total", type="ZeroDivisionError") == 1
    handler = "tests.integration.test_throttle_and_metrics_middlewares.build.echo"
    assert sample(body, "remnastore_updates_total", type="message", handler=handler) == 1


async def test_a_rules_refusal_is_not_counted_as_a_failing_handler(harness: Harness) -> None:
    """A refusal (an unknown gift link, a wrong promo code) is the rule's answer to the customer, not a
    fault: an alert on ``handler_errors_total`` must not fire for it."""
    user = harness.emulator.user(ADMIN)
    with pytest.raises(DomainError):
        await harness.send(user, "refuse")
    body = harness.metrics.render()[0]
    assert b"remnastore_handler_errors_total{" not in body
    handler = "tests.integration.test_throttle_and_metrics_middlewares.build.echo"
    assert sample(body, "remnastore_updates_total", type="message", handler=handler) == 1


async def test_an_unreachable_limiter_lets_updates_through(emulator: TelegramEmulator) -> None:
    limits = Limits(events=1, window=60.0, ban=30.0, strikes=1)
    dead = Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=1)
    harness = build(emulator, limits, RedisRateLimiter(dead, limits))
    try:
        user = emulator.user(1006)
        await harness.send(user, "hi", times=3)
        assert harness.seen == ["hi"] * 3
    finally:
        await dead.aclose()
        await harness.throttle.close()
        await harness.bot.session.close()
