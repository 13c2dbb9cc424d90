"""The shop's share of Telegram's limits: messages overall and per chat, replies before broadcasts."""

from __future__ import annotations

import asyncio
import time

from remnastore.bot.send_budget import SendBudget, is_paced
from tests.unit.test_pacing import FakeTime


async def test_overall_messages_are_paced_at_the_rate() -> None:
    clock = FakeTime()
    budget = SendBudget(30, 1, now=clock.time, sleep=clock.sleep)
    for chat in range(61):
        await budget.acquire(chat)
    # slots 1/30 s apart, and never more than 30 within a second and two slots (1 + 2/30 s): the 31st
    # message goes 1 + 2/30 s after the first, the 61st twice that
    expected = 2 * (1.0 + 2 / 30)
    assert abs((clock.now - 100.0) - expected) < 1e-6
    assert abs(budget.waited_seconds - expected) < 1e-6


async def test_one_chat_gets_a_burst_of_three_then_one_a_second_and_a_429_pauses_it() -> None:
    clock = FakeTime()
    budget = SendBudget(1000, 1, now=clock.time, sleep=clock.sleep)
    for _ in range(3):
        await budget.acquire(7)
    assert clock.now - 100.0 < 0.01  # the burst goes out at once
    await budget.acquire(7)
    assert abs((clock.now - 100.0) - 1.0) < 0.01
    await budget.acquire(8)  # another chat does not wait for this one
    assert abs((clock.now - 100.0) - 1.0) < 0.01
    budget.pause_chat(7, 5)
    await budget.acquire(7)
    assert abs((clock.now - 100.0) - 6.0) < 0.01


async def test_replies_take_their_slots_before_a_waiting_broadcast() -> None:
    budget = SendBudget(40, 30)
    order: list[str] = []

    async def send(kind: str, chat: int) -> None:
        await budget.acquire(chat, background=kind == "broadcast")
        order.append(kind)

    broadcast = [asyncio.create_task(send("broadcast", 1000 + n)) for n in range(12)]
    await asyncio.sleep(0.06)  # the broadcast is sending
    replies = [asyncio.create_task(send("reply", n)) for n in range(6)]
    await asyncio.gather(*broadcast, *replies)
    last_reply = max(i for i, kind in enumerate(order) if kind == "reply")
    # every reply went out before the broadcast's remaining copies (at most one slot in between)
    assert order[last_reply + 1 :] == ["broadcast"] * (len(order) - last_reply - 1)
    assert order[:last_reply].count("broadcast") <= order.index("reply") + 1


def test_messages_are_paced_and_other_calls_are_not() -> None:
    assert is_paced("sendMessage") and is_paced("editMessageText") and is_paced("copyMessage")
    assert not is_paced("answerCallbackQuery") and not is_paced("sendChatAction")
    assert not is_paced("getMe")


async def test_when_the_event_loop_falls_behind_no_more_than_the_rate_goes_out_within_a_second() -> None:
    """Senders whose slots came due while the loop was blocked wake together; the ones after them
    must not then keep the even pace as if nothing had happened (Telegram counts per second)."""
    loop = asyncio.get_running_loop()
    budget = SendBudget(30, 30)
    sent: list[float] = []

    async def send(chat: int) -> None:
        await budget.acquire(chat)
        sent.append(loop.time())

    senders = [asyncio.create_task(send(n)) for n in range(40)]
    await asyncio.sleep(0.1)
    time.sleep(0.5)  # noqa: ASYNC251 - the event loop is blocked on purpose: time is the subject here
    await asyncio.gather(*senders)
    most = max(sum(1 for t in sent if start <= t < start + 1.0) for start in sent)
    assert most <= 30, most
