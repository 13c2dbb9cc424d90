"""SIGTERM while a slow handler and a payment webhook are in flight: both finish, the process exits 0."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import aiohttp
from sqlalchemy import select

from remnastore.db.models import Order
from remnastore.db.session import Database
from remnastore.emulators.panel import PanelEmulator
from remnastore.emulators.telegram import TelegramEmulator
from tests.fixtures.providers import PaymentEmulators
from tests.fixtures.shop import BOT_TOKEN, free_port


async def test_sigterm_lets_in_flight_work_finish_then_exits_zero(
    telegram_emulator: TelegramEmulator,
    panel_emulator: PanelEmulator,
    payment_emulators: PaymentEmulators,
    tmp_path: Path,
) -> None:
    port = free_port()
    env = {
        **{
            k: v for k, v in os.environ.items() if not k.startswith(("PANEL_", "DATABASE_", "REDIS_", "BOT_"))
        },
        **payment_emulators.settings(),
        "BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_API_URL": telegram_emulator.url,
        "PANEL_URL": panel_emulator.url,
        "PANEL_TOKEN": panel_emulator.token,
        "ADMIN_IDS": "1",
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(port),
        "METRICS_PORT": "0",
        "SHUTDOWN_TIMEOUT": "20",
        "LOG_FORMAT": "text",
        "TELEGRAM_CHAT_SEND_RATE": "1000",  # the buyer presses faster than a person can
    }
    payment_emulators.point_at(f"http://127.0.0.1:{port}")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "remnastore", "run",
        env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        await telegram_emulator.wait_for_call("getUpdates", timeout=30)
        buyer = telegram_emulator.user(9701, first_name="Vera", language_code="en")
        await buyer.wait_reply(await buyer.send("/start"), timeout=10)
        await buyer.wait_reply(await buyer.press("Free trial"), timeout=10)
        await buyer.wait_reply(await buyer.send("/buy"))
        await buyer.wait_reply(await buyer.press("Standard"))
        await buyer.wait_reply(await buyer.press("1 month"))
        await buyer.wait_reply(await buyer.press("YooKassa"))
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'remnastore.sqlite3'}")
        async with db.session() as session:
            order = (await session.scalars(select(Order))).one()
        await db.dispose()

        # Slow dependencies: the panel answers in 2 s, YooKassa's status check in 2 s.
        panel_emulator.set_latency(2.0)
        payment_emulators.yookassa.set_latency(2.0)
        slow_update = await buyer.send("/subscription")
        delivery = payment_emulators.yookassa.pay(str(order.provider_payment_id))
        webhook = asyncio.create_task(payment_emulators.yookassa.deliver(delivery, seconds=30))
        await asyncio.sleep(0.5)
        sent_at = time.monotonic()
        process.send_signal(signal.SIGTERM)

        async with aiohttp.ClientSession() as http:
            await asyncio.sleep(0.3)
            async with http.post(f"http://127.0.0.1:{port}/webhooks/yookassa", data=b"{}") as late:
                assert late.status == 503  # new webhook calls are turned away while stopping
        answered = await webhook
        assert answered.status == 200, answered.reply
        out, _ = await asyncio.wait_for(process.communicate(), 40)
        elapsed = time.monotonic() - sent_at
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = out.decode()
    assert process.returncode == 0, log[-3000:]
    assert elapsed < 20 + 5, f"took {elapsed:.1f} s to stop"
    await buyer.wait_reply(slow_update, timeout=1)
    assert any("My subscription" in m.text for m in buyer.history), "the slow handler finished and answered"
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'remnastore.sqlite3'}")
    async with db.session() as session:
        stored = (await session.scalars(select(Order))).one()
    await db.dispose()
    assert stored.status in ("paid", "fulfilled")
