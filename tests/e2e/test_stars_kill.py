"""A real shop process killed with SIGKILL the moment Telegram considers a Stars payment delivered (the
next getUpdates offset, or the webhook's 200): the payment is already stored, and after a restart the
order is paid, fulfilled and announced exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from remnastore.db.models import Order, PaymentEvent
from remnastore.db.session import Database
from remnastore.emulators.panel import PanelEmulator
from remnastore.emulators.telegram import FakeUser, TelegramEmulator
from tests.fixtures.shop import BOT_TOKEN, free_port


def shop_env(telegram: TelegramEmulator, panel: PanelEmulator, port: int, *, webhook: bool) -> dict[str, str]:
    env = {
        **{
            k: v for k, v in os.environ.items() if not k.startswith(("PANEL_", "DATABASE_", "REDIS_", "BOT_"))
        },
        "BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_API_URL": telegram.url,
        "PANEL_URL": panel.url,
        "PANEL_TOKEN": panel.token,
        "ADMIN_IDS": "1",
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(port),
        "LOG_FORMAT": "text",
    }
    if webhook:
        env["WEBHOOK_BASE_URL"] = f"http://127.0.0.1:{port}"
    return env


async def start(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "remnastore", "run",
        env=env, cwd=cwd, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def stored(cwd: Path) -> tuple[list[Order], list[PaymentEvent]]:
    db = Database(f"sqlite+aiosqlite:///{cwd / 'remnastore.sqlite3'}")
    try:
        async with db.session() as session:
            orders = list((await session.scalars(select(Order))).all())
            events = list(
                (await session.scalars(select(PaymentEvent).where(PaymentEvent.kind == "paid"))).all()
            )
    finally:
        await db.dispose()
    return orders, events


async def invoice_link(buyer: FakeUser) -> str:
    await buyer.wait_reply(await buyer.send("/start"), timeout=15)
    await buyer.wait_reply(await buyer.press("Buy subscription"))
    await buyer.wait_reply(await buyer.press("Standard"))
    await buyer.wait_reply(await buyer.press("1 month"))
    reply = await buyer.wait_reply(await buyer.press("Telegram Stars"))
    return next(
        str(b.url) for row in reply.buttons for b in row if b.url and b.url.startswith("https://t.me/$")
    )


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_sigkill_when_the_payment_update_is_acknowledged_loses_nothing(
    telegram_emulator: TelegramEmulator, panel_emulator: PanelEmulator, tmp_path: Path, mode: str
) -> None:
    port = free_port()
    env = shop_env(telegram_emulator, panel_emulator, port, webhook=mode == "webhook")
    process = await start(env, tmp_path)
    restarted: asyncio.subprocess.Process | None = None
    killed = asyncio.Event()

    def kill_on_payment(updates: list[dict[str, Any]]) -> None:
        # synchronously, before the emulator even answers: the process gets no chance to go on
        if not killed.is_set() and any("successful_payment" in u.get("message", {}) for u in updates):
            os.kill(process.pid, signal.SIGKILL)
            killed.set()

    try:
        await telegram_emulator.wait_for_call("setWebhook" if mode == "webhook" else "getUpdates", timeout=30)
        buyer = telegram_emulator.user(9801, first_name="Kira", language_code="en")
        link = await invoice_link(buyer)
        telegram_emulator.hub.on_acknowledged = kill_on_payment
        paid = await buyer.pay_invoice(link=link, timeout=10)
        assert paid.approved
        await asyncio.wait_for(killed.wait(), 15)
        await process.wait()
        telegram_emulator.hub.on_acknowledged = None
        assert process.returncode == -signal.SIGKILL

        # Telegram will not send this update again; the payment must already be stored
        [order], events = await stored(tmp_path)
        assert order.status in ("paid", "fulfilled"), order.status
        assert [(e.provider_payment_id, e.order_id) for e in events] == [(paid.charge_id, order.id)]

        restarted = await start(env, tmp_path)
        await telegram_emulator.wait_until(lambda: panel_emulator.user_by_telegram_id(9801) is not None, 30)
        await buyer.wait_reply(await buyer.send("/subscription"), timeout=15)
    finally:
        for proc in (process, restarted):
            if proc is not None and proc.returncode is None:
                proc.kill()
                await proc.wait()
    [order], events = await stored(tmp_path)
    assert order.status == "fulfilled"
    assert [(e.provider_payment_id, e.order_id) for e in events] == [(paid.charge_id, order.id)]
    assert sum("Payment received" in m.text for m in buyer.history) == 1
