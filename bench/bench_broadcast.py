"""Broadcast throughput: the achieved messages per second against the configured rate, with 429s.

For each rate of BENCH_BROADCAST_RATES (25,100,500 messages/s) the database and Redis are reset, up to
BENCH_BROADCAST_RECIPIENTS (5,000; at most ~20 s of sending per rate) customers are seeded and a real
``Application`` in this process sends one broadcast to all of them through the fake Telegram over HTTP;
BENCH_BROADCAST_THROTTLED (5) chats answer 429 (retry_after 1) once. Achieved rate = messages /
(time from the first to the last copy - time paused for 429s); ``ratio`` is that over the rate the
worker runs at (``effective_rate``: the configured one, capped when paid broadcasts are off).

Run: ``python -m bench.bench_broadcast`` (DATABASE_URL / REDIS_URL choose the backend).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import insert

from bench.harness import ADMIN_ID, flush_redis, reset_database, shop_env
from bench.report import Backend, backend_from_env, emit, floats_env, int_env, progress
from remnastore.app import Application
from remnastore.config import load_settings
from remnastore.db.models import Customer, utcnow
from remnastore.emulators.panel import PanelEmulator
from remnastore.emulators.telegram import TelegramEmulator

NAME = "broadcast"
FIRST_TELEGRAM_ID = 7_000_000
SECONDS_PER_RATE = 20


async def seed(app: Application, telegram: TelegramEmulator, count: int) -> None:
    """``count`` customers in the database, each a chat the fake Telegram knows."""
    now = utcnow()
    rows = [
        {"telegram_id": FIRST_TELEGRAM_ID + i, "language": "en", "referral_code": f"B{i:010d}",
         "created_at": now, "updated_at": now, "last_seen_at": now, "balance_minor": 0, "is_banned": False}
        for i in range(count)
    ]  # fmt: skip
    async with app.core.db.session() as session:
        for start in range(0, count, 1000):
            await session.execute(insert(Customer), rows[start : start + 1000])
    for i in range(count):
        telegram.user(FIRST_TELEGRAM_ID + i)


async def one_rate(backend: Backend, rate: float, recipients: int, throttled: int) -> dict[str, Any]:
    await reset_database(backend)
    await flush_redis(backend)
    async with TelegramEmulator() as telegram, PanelEmulator() as panel:
        extra = {
            "BROADCAST_RATE": str(rate),
            "BROADCAST_PAID": "true" if rate > 30 else "false",
            "BROADCAST_PROGRESS_SECONDS": "2",
        }
        app = Application(load_settings(None, shop_env(backend, telegram, panel, extra)))
        await app.start()
        try:
            await seed(app, telegram, recipients)
            admin = telegram.user(ADMIN_ID)
            await admin.send("Benchmark broadcast")
            source = max(telegram.state.chats[ADMIN_ID].messages)
            for i in range(throttled):
                telegram.fail_chat(FIRST_TELEGRAM_ID + (i + 1) * recipients // (throttled + 1), retry_after=1)
            progress(f"broadcast to {recipients} customers at {rate:g}/s")
            started = time.monotonic()
            view = await app.ops.broadcasts.create(
                actor_telegram_id=ADMIN_ID, source_chat_id=ADMIN_ID, source_message_id=source, buttons=[],
                audience="all",
            )  # fmt: skip
            while (await app.ops.broadcasts.get(view.id)).status == "running":  # noqa: ASYNC110 - polls the database
                await asyncio.sleep(0.2)
            elapsed = time.monotonic() - started
            copies = [c for c in telegram.calls_for("copyMessage") if c.ok and c.chat_id != ADMIN_ID]
            paused = app.ops.broadcast_worker.pacer.paused_seconds
            span = copies[-1].at - copies[0].at if len(copies) > 1 else elapsed
            achieved = (len(copies) - 1) / max(1e-9, span - paused)
            per_chat = telegram.delivered_per_chat("copyMessage")
            progress(f"{len(copies)} delivered, {achieved:.1f}/s")
            return {
                "configured_rate": rate,
                "effective_rate": app.ops.broadcast_worker.rate,
                "recipients": recipients,
                "delivered": len(copies),
                "duplicates": sum(1 for n in per_chat.values() if n > 1),
                "injected_429": throttled,
                "paused_seconds": round(paused, 3),
                "elapsed_seconds": round(elapsed, 3),
                "achieved_rate": round(achieved, 1),
                "ratio": round(achieved / app.ops.broadcast_worker.rate, 3),
            }
        finally:
            await app.stop()


async def main(backend: Backend) -> None:
    most = int_env("BENCH_BROADCAST_RECIPIENTS", 5000)
    throttled = int_env("BENCH_BROADCAST_THROTTLED", 5)
    runs = []
    for rate in floats_env("BENCH_BROADCAST_RATES", (25.0, 100.0, 500.0)):
        recipients = min(most, max(100, int(rate * SECONDS_PER_RATE)))
        runs.append(await one_rate(backend, rate, recipients, throttled))
    emit(NAME, backend, {"runs": runs})


if __name__ == "__main__":
    asyncio.run(main(backend_from_env(NAME)))
