"""Broadcast throughput: achieved messages per second against the configured rate, with 429s injected.

    python -m bench.bench_broadcast [--recipients 5000] [--rates 25,100,500] [--throttled 5]

A real Application sends to the Telegram emulator over HTTP; every run is one broadcast to all seeded
customers, with ``--throttled`` chats answering 429 (retry_after 1) once. Achieved rate = messages /
(elapsed - time paused for 429s). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from typing import Any

from sqlalchemy import insert, text

from bench.common import clean_database, database_url, redis_url, report
from remnastore.app import Application
from remnastore.config import load_settings
from remnastore.db.models import Customer, utcnow
from remnastore.emulators.panel import PanelEmulator
from remnastore.emulators.telegram import TelegramEmulator

ADMIN = 900001
BASE = 7_000_000


async def seed(app: Application, telegram: TelegramEmulator, count: int) -> None:
    now = utcnow()
    rows = [
        {"telegram_id": BASE + i, "language": "en", "referral_code": f"B{i:010d}", "created_at": now,
         "updated_at": now, "last_seen_at": now, "balance_minor": 0, "is_banned": False}
        for i in range(count)
    ]  # fmt: skip
    async with app.db.session() as session:
        for start in range(0, count, 1000):
            await session.execute(insert(Customer), rows[start : start + 1000])
    for i in range(count):
        telegram.user(BASE + i)


async def one_rate(
    url: str, redis: str | None, rate: float, recipients: int, throttled: int
) -> dict[str, Any]:
    await clean_database(url)
    async with TelegramEmulator() as telegram, PanelEmulator() as panel:
        settings = load_settings(
            None,
            {
                "BOT_TOKEN": "7000000001:AAE2eBenchTokenForTheEmulatorOnly_xyz",
                "TELEGRAM_API_URL": telegram.url,
                "PANEL_URL": panel.url,
                "PANEL_TOKEN": panel.token,
                "ADMIN_IDS": str(ADMIN),
                "DATABASE_URL": url,
                "REDIS_URL": redis or "",
                "WEB_HOST": "127.0.0.1",
                "WEB_PORT": "0",
                "LOG_LEVEL": "WARNING",
                "BROADCAST_RATE": str(rate),
                "BROADCAST_PAID": "true" if rate > 30 else "false",
                "BROADCAST_PROGRESS_SECONDS": "2",
            },
        )
        app = Application(settings)
        await app.start()
        try:
            await seed(app, telegram, recipients)
            admin = telegram.user(ADMIN)
            await admin.send("Benchmark broadcast")
            source = max(telegram.state.chats[ADMIN].messages)
            for i in range(throttled):
                telegram.fail_chat(BASE + (i + 1) * recipients // (throttled + 1), retry_after=1)
            started = time.monotonic()
            view = await app.broadcasts.create(
                actor_telegram_id=ADMIN, source_chat_id=ADMIN, source_message_id=source, buttons=[],
                audience="all",
            )  # fmt: skip
            while (await app.broadcasts.get(view.id)).status == "running":  # noqa: ASYNC110 - polls the database
                await asyncio.sleep(0.2)
            elapsed = time.monotonic() - started
            copies = [c for c in telegram.calls_for("copyMessage") if c.ok and c.chat_id != ADMIN]
            paused = app.broadcast_worker.pacer.paused_seconds
            span = copies[-1].at - copies[0].at if len(copies) > 1 else elapsed
            per_chat = telegram.delivered_per_chat("copyMessage")
            async with app.db.session() as session:
                await session.execute(text("SELECT 1"))
            return {
                "configured_rate": rate,
                "effective_rate": app.broadcast_worker.rate,
                "recipients": recipients,
                "delivered": len(copies),
                "duplicates": sum(1 for n in per_chat.values() if n > 1),
                "injected_429": throttled,
                "paused_seconds": round(paused, 3),
                "elapsed_seconds": round(elapsed, 3),
                "achieved_rate": round((len(copies) - 1) / max(1e-9, span - paused), 1),
                "ratio": round((len(copies) - 1) / max(1e-9, span - paused) / app.broadcast_worker.rate, 3),
            }
        finally:
            await app.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--rates", default="25,100,500")
    parser.add_argument("--throttled", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    url, redis = database_url(), redis_url()
    runs = []
    for rate in [float(r) for r in args.rates.split(",") if r]:
        recipients = min(args.recipients, max(100, int(rate * 20)))  # at most ~20 s per rate
        runs.append(await one_rate(url, redis, rate, recipients, args.throttled))
    report("broadcast", url, redis, {"runs": runs})


if __name__ == "__main__":
    asyncio.run(main())
