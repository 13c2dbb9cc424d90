"""Broadcasts: exactly once to thousands at the configured rate despite 429s and blocked users, pause,
resume, cancel, audiences, a restart half-way, and no way in for customers."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from remnastore.app import Application
from remnastore.config import load_settings
from remnastore.db.models import (
    AuditEntry,
    Broadcast,
    BroadcastRecipient,
    Customer,
    Order,
    Subscription,
    utcnow,
)
from remnastore.db.session import Database
from remnastore.emulators.panel import PanelEmulator
from remnastore.emulators.telegram import FakeUser, TelegramEmulator
from remnastore.infra.clock import SystemClock
from remnastore.services.broadcasts import Broadcasts
from tests.fixtures.customers import seed_customers
from tests.fixtures.shop import ADMIN_ID, Shop, shop_settings
from tests.fixtures.text import shows

RATE = 300  # per second: high enough to be quick, low enough for a busy 2-core test machine
BASE = 7_000_000


def ids(count: int, base: int = BASE) -> list[int]:
    return list(range(base, base + count))


async def recipient_states(db: Database, broadcast_id: int = 1) -> dict[int, str]:
    async with db.session() as session:
        rows = await session.execute(
            select(BroadcastRecipient.chat_id, BroadcastRecipient.state).where(
                BroadcastRecipient.broadcast_id == broadcast_id
            )
        )
        return {chat: state for chat, state in rows.all()}


async def draft(admin: FakeUser, *, buttons: str | None, audience: str) -> str:
    """Draft a broadcast through the admin menu up to the confirmation; returns the confirmation text."""
    await admin.wait_reply(await admin.send("/broadcast"))
    await admin.wait_reply(await admin.press("New broadcast"))
    await admin.wait_reply(await admin.send("Big news: new servers in 3 countries!"))
    if buttons is None:
        await admin.wait_reply(await admin.press("No buttons"))
    else:
        await admin.wait_reply(await admin.send(buttons))
    await admin.wait_reply(await admin.press(audience))
    # the preview comes first, then the confirmation: wait for the latter, however slow the count was
    await admin.emulator.wait_until(lambda: confirming(admin), timeout=5)
    return admin.messages[-1].text


def confirming(admin: FakeUser) -> bool:
    shown = admin.messages
    return bool(shown) and "how recipients see it" in shown[-1].text


def is_report(text: str) -> bool:
    return "Broadcast #1 finished" in text or "Broadcast #1 cancelled" in text


async def wait_for_report(shop: Shop, admin: FakeUser, timeout: float) -> str:  # noqa: ASYNC109
    await shop.telegram.wait_until(lambda: any(is_report(m.text) for m in admin.messages), timeout=timeout)
    return next(m.text for m in admin.messages if is_report(m.text))


@pytest.fixture
def shop_env() -> dict[str, str]:
    return {"BROADCAST_RATE": str(RATE), "BROADCAST_PAID": "true", "BROADCAST_PROGRESS_SECONDS": "0.5"}


async def test_five_thousand_get_it_exactly_once_at_the_rate_despite_429s_and_blocks(shop: Shop) -> None:
    everybody = ids(5000)
    await seed_customers(shop.db, shop.telegram, everybody)
    blocked = everybody[100:5000:100]  # 49 customers blocked the bot
    for tg in blocked:
        shop.telegram.block(tg, notify=False)
    for tg in (everybody[10], everybody[2500], everybody[4000]):
        shop.telegram.fail_chat(tg, error_code=429, retry_after=1)

    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    confirm = await draft(admin, buttons="Our site | https://example.com/news", audience="Everybody")
    assert "5,001" in confirm  # the 5,000 plus the admin
    preview = [m for m in admin.messages if m.text.startswith("Big news")]
    assert preview and preview[-1].buttons and preview[-1].buttons[0][0].url == "https://example.com/news"
    await admin.press("Send")
    report = await wait_for_report(shop, admin, timeout=90)

    per_chat = shop.telegram.delivered_per_chat("copyMessage")
    assert all(per_chat.get(tg, 0) == (0 if tg in blocked else 1) for tg in everybody)
    assert (
        shows("Delivered: 4,952", report)
        and shows("Blocked the bot: 49", report)
        and shows("Failed: 0", report)
    )
    audience = set(everybody)
    calls = shop.telegram.calls_for("copyMessage")
    copies = [c for c in calls if c.ok and c.chat_id in audience]
    retried = [c for c in calls if c.error_code == 429]
    assert len(retried) == 3 and copies[0].params.get("allow_paid_broadcast") is True
    span = copies[-1].at - copies[0].at
    paused = shop.app.broadcast_worker.pacer.paused_seconds
    achieved = (len(copies) - 1) / (span - paused)
    assert abs(achieved - RATE) / RATE <= 0.10, (achieved, span, paused)

    states = await recipient_states(shop.db)
    assert sorted(tg for tg, state in states.items() if state == "blocked") == blocked
    assert {state for tg, state in states.items() if tg not in blocked} == {"sent"}
    async with shop.db.session() as session:
        marked = await session.scalars(
            select(Customer.telegram_id).where(Customer.blocked_bot_at.is_not(None))
        )
        assert sorted(marked) == blocked
        [broadcast] = (await session.scalars(select(Broadcast))).all()
        assert broadcast.status == "done" and broadcast.finished_at is not None
    edits = [c for c in shop.telegram.calls_for("editMessageText") if c.chat_id == ADMIN_ID and c.ok]
    assert len(edits) >= 2  # the progress message was updated while sending


async def stopped_sending(shop: Shop, broadcast_id: int, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    """Wait until this shop no longer sends the broadcast (its batches sent and recorded)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while shop.app.broadcast_worker.sending(broadcast_id):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"broadcast {broadcast_id} was still being sent after {timeout}s")
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("shop_env", [{"BROADCAST_RATE": "40", "BROADCAST_PROGRESS_SECONDS": "0.3"}])
async def test_pause_resume_and_cancel(shop: Shop) -> None:
    everybody = ids(400)
    await seed_customers(shop.db, shop.telegram, everybody)
    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    await draft(admin, buttons=None, audience="Everybody")
    await admin.press("Send")

    def sent() -> int:
        return sum(shop.telegram.delivered_per_chat("copyMessage").get(tg, 0) for tg in everybody)

    def can_pause() -> bool:
        return any(m.find_button("Pause") is not None for m in admin.messages)

    await shop.telegram.wait_until(lambda: sent() >= 40 and can_pause(), timeout=10)
    await admin.wait_reply(await admin.press("Pause"))
    await stopped_sending(shop, 1)  # a batch already taken may finish, then the sending stops
    paused_at = sent()
    assert 0 < paused_at < 400
    # nothing is left claimed: every recipient is either sent or waiting for the resume
    states = await recipient_states(shop.db)
    assert set(states.values()) == {"sent", "pending"}
    assert [states[tg] for tg in everybody].count("sent") == paused_at
    card = await admin.wait_reply(await admin.send("/broadcast"))
    assert "paused" in card.text
    await admin.wait_reply(await admin.press("#1"))
    await admin.wait_reply(await admin.press("Resume"))
    await shop.telegram.wait_until(lambda: sent() >= paused_at + 40, timeout=10)
    await admin.wait_reply(await admin.send("/broadcast"))
    await admin.wait_reply(await admin.press("#1"))
    await admin.wait_reply(await admin.press("Cancel broadcast"))
    report = await wait_for_report(shop, admin, timeout=10)
    await stopped_sending(shop, 1)
    final = sent()
    assert "cancelled" in report and final < 400
    assert f"Delivered: {final}" in report
    assert all(n == 1 for n in shop.telegram.delivered_per_chat("copyMessage").values() if n)
    states = await recipient_states(shop.db)
    assert list(states.values()).count("sent") == final
    assert list(states.values()).count("pending") == 401 - final
    async with shop.db.session() as session:
        actions = list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == [
        "broadcast.create", "broadcast.pause", "broadcast.resume", "broadcast.cancel"
    ]  # fmt: skip


async def test_audiences(shop: Shop) -> None:
    now = utcnow()
    groups = {
        "active": ids(5, 7_100_000),
        "expired": ids(4, 7_200_000),
        "trial": ids(3, 7_300_000),
        "paid": ids(2, 7_400_000),
        "ru": ids(6, 7_500_000),
    }
    for name, tgs in groups.items():
        await seed_customers(shop.db, shop.telegram, tgs, language="ru" if name == "ru" else "en")
    await seed_customers(shop.db, shop.telegram, ids(7, 7_600_000), blocked_at=now)  # never counted
    async with shop.db.session() as session:
        by_tg = dict((await session.execute(select(Customer.telegram_id, Customer.id))).tuples().all())
        for tg in groups["active"] + groups["paid"]:
            session.add(Subscription(customer_id=by_tg[tg], kind="paid", expires_at=now + timedelta(days=9)))
        for tg in groups["expired"]:
            session.add(Subscription(customer_id=by_tg[tg], kind="paid", expires_at=now - timedelta(days=1)))
        for tg in groups["trial"]:
            session.add(Subscription(customer_id=by_tg[tg], kind="trial", expires_at=now + timedelta(days=1)))
        for tg in groups["paid"]:
            session.add(
                Order(customer_id=by_tg[tg], kind="subscription", amount_minor=100, currency="RUB",
                      provider="yookassa", status="fulfilled", paid_at=now)
            )  # fmt: skip
    broadcasts: Broadcasts = shop.app.broadcasts
    expected = {
        "all": 20,
        "active": 5 + 2 + 3,
        "expired": 4,
        "trial": 3,
        "unpaid": 18,
        "lang-ru": 6,
        "lang-en": 14,
    }
    assert {a: await broadcasts.audience_size(a) for a in expected} == expected

    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")  # the admin becomes a customer
    confirm = await draft(admin, buttons=None, audience="Language: ru")
    assert "<b>6</b>" in confirm or " 6 recipients" in confirm
    await admin.press("Send")
    await wait_for_report(shop, admin, timeout=20)
    assert set(shop.telegram.delivered_per_chat("copyMessage")) - {ADMIN_ID} == set(groups["ru"])


async def test_bad_button_lines_are_refused_and_asked_again(shop: Shop) -> None:
    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    await admin.wait_reply(await admin.send("/broadcast"))
    await admin.wait_reply(await admin.press("New broadcast"))
    await admin.wait_reply(await admin.send("Hello"))
    reply = await admin.wait_reply(await admin.send("Good | https://example.com\nno bar here"))
    assert "Line 2" in reply.text
    reply = await admin.wait_reply(await admin.send("Site | javascript:alert(1)"))
    assert "Line 1" in reply.text
    reply = await admin.wait_reply(await admin.send("Site | https://example.com"))
    assert "Who gets the broadcast?" in reply.text
    await admin.wait_reply(await admin.press("Discard"))
    async with shop.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 0


async def test_customers_cannot_reach_broadcasts_or_sync(shop: Shop) -> None:
    await seed_customers(shop.db, shop.telegram, ids(3))
    created = await shop.app.broadcasts.create(
        actor_telegram_id=ADMIN_ID, source_chat_id=BASE, source_message_id=1, buttons=[], audience="all"
    )
    await shop.app.broadcasts.pause(created.id, actor_telegram_id=ADMIN_ID)
    customer = shop.user(BASE + 1)
    reply = await customer.wait_reply(await customer.send("/broadcast"))
    assert "Unknown command" in reply.text
    for data in ("abd:new:", "abd:send:", "abc:1:resume", "abc:1:cancel", "asy:run", "an:bc", "an:sy"):
        answer = await customer.wait_alert(await customer.press_data(data))
        assert "administrators only" in answer["text"], (data, answer)
    await shop.idle()
    async with shop.db.session() as session:
        [broadcast] = (await session.scalars(select(Broadcast))).all()
        assert broadcast.status == "paused"
        actions = list(await session.scalars(select(AuditEntry.action)))
        assert actions == ["broadcast.create", "broadcast.pause"]
    assert shop.telegram.delivered_per_chat("copyMessage") == {}
    assert not shop.app.panel_sync.running


async def test_a_restart_half_way_resumes_without_sending_anything_twice(
    database_url: str,
    redis_url: str | None,
    telegram_emulator: TelegramEmulator,
    panel_emulator: PanelEmulator,
    tmp_path: Path,
) -> None:
    everybody = ids(5000)
    env = shop_settings(
        database_url,
        telegram_emulator,
        panel_emulator,
        redis_url,
        {"BROADCAST_RATE": str(RATE), "BROADCAST_PAID": "true", "BROADCAST_LOCK_SECONDS": "2"},
    )
    db = Database(database_url)
    try:
        await seed_customers(db, telegram_emulator, everybody)
        admin = telegram_emulator.user(ADMIN_ID, first_name="Admin")
        await admin.send("Maintenance tonight at 02:00 UTC")
        source = max(telegram_emulator.state.chats[ADMIN_ID].messages)
        await Broadcasts(db, SystemClock()).create(
            actor_telegram_id=ADMIN_ID,
            source_chat_id=ADMIN_ID,
            source_message_id=source,
            buttons=[],
            audience="all",
        )
    finally:
        await db.dispose()

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "remnastore", "run",
        env={**{k: v for k, v in os.environ.items() if k.startswith(("PATH", "PYTHON", "HOME", "LANG"))},
             **env, "WEB_PORT": "0", "METRICS_PORT": "0"},
        cwd=tmp_path, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await telegram_emulator.wait_until(
            lambda: len(telegram_emulator.delivered_per_chat("copyMessage")) >= 2000, timeout=60
        )
    finally:
        process.send_signal(signal.SIGKILL)  # no chance to record the outcome of what is in flight
        await process.wait()
    before = telegram_emulator.delivered_per_chat("copyMessage")
    assert 2000 <= len(before) < 5000

    started = time.monotonic()
    app = Application(load_settings(None, env))
    await app.start()
    try:
        await telegram_emulator.wait_until(
            lambda: any(is_report(m.text) for m in telegram_emulator.chat_messages(ADMIN_ID)),
            timeout=60,
        )
    finally:
        await app.stop()
    assert time.monotonic() - started < 30

    per_chat = telegram_emulator.delivered_per_chat("copyMessage")
    assert max(per_chat.values()) == 1  # nobody got it twice
    db = Database(database_url)
    try:
        states = await recipient_states(db)
    finally:
        await db.dispose()
    assert "pending" not in states.values() and "sending" not in states.values()
    unknown = [tg for tg, state in states.items() if state == "unknown"]
    assert len(unknown) <= RATE // 2  # at most two batches (half a second) were in flight when it died
    assert all(per_chat.get(tg, 0) == 1 for tg, state in states.items() if state == "sent")
    assert len(per_chat) >= 5000 - len(unknown)


async def test_a_graceful_stop_hands_the_rest_to_the_next_start_exactly_once(
    database_url: str,
    redis_url: str | None,
    telegram_emulator: TelegramEmulator,
    panel_emulator: PanelEmulator,
) -> None:
    everybody = ids(600)
    env = shop_settings(
        database_url,
        telegram_emulator,
        panel_emulator,
        redis_url,
        {"BROADCAST_RATE": "100", "BROADCAST_PAID": "true"},
    )
    first = Application(load_settings(None, env))
    await first.start()
    try:
        await seed_customers(first.db, telegram_emulator, everybody)
        admin = telegram_emulator.user(ADMIN_ID, first_name="Admin")
        said = await admin.send("Prices change on Monday")
        source = max(telegram_emulator.state.chats[ADMIN_ID].messages)
        await admin.wait_reply(said)  # handled: the admin is a customer, one more recipient
        await first.broadcasts.create(
            actor_telegram_id=ADMIN_ID, source_chat_id=ADMIN_ID, source_message_id=source, buttons=[],
            audience="all",
        )  # fmt: skip
        await telegram_emulator.wait_until(
            lambda: len(telegram_emulator.delivered_per_chat("copyMessage")) >= 200, timeout=20
        )
    finally:
        await first.stop()  # SIGTERM: what is in flight is finished and recorded, the rest waits
    stopped_at = len(telegram_emulator.delivered_per_chat("copyMessage"))
    assert stopped_at < 600
    db = Database(database_url)
    try:
        async with db.session() as session:
            left = await session.scalar(
                select(func.count())
                .select_from(BroadcastRecipient)
                .where(BroadcastRecipient.state == "pending")
            )
    finally:
        await db.dispose()
    assert left == len(everybody) + 1 - stopped_at  # every claim not sent was given back

    second = Application(load_settings(None, env))
    await second.start()
    try:
        await telegram_emulator.wait_until(
            lambda: any(is_report(m.text) for m in telegram_emulator.chat_messages(ADMIN_ID)), timeout=30
        )
    finally:
        await second.stop()
    per_chat = telegram_emulator.delivered_per_chat("copyMessage")
    assert {tg: per_chat.get(tg, 0) for tg in [*everybody, ADMIN_ID]} == dict.fromkeys(
        [*everybody, ADMIN_ID], 1
    )
    report = next(m.text for m in telegram_emulator.chat_messages(ADMIN_ID) if is_report(m.text))
    assert shows("Delivered: 601", report) and shows("Outcome unknown (interrupted, not repeated): 0", report)
