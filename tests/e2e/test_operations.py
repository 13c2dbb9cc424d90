"""Things going wrong in production: restarts mid-conversation, floods, dependencies going away."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import pytest

from remnastore.app import Application
from remnastore.config import load_settings
from remnastore.emulators.panel import PanelEmulator
from remnastore.emulators.telegram import TelegramEmulator
from tests.fixtures.providers import PaymentEmulators
from tests.fixtures.shop import ADMIN_ID, Shop, shop_settings
from tests.fixtures.tcp_proxy import TcpProxy


@pytest.fixture
def shop_env(payment_emulators: PaymentEmulators) -> dict[str, str]:
    return {
        **payment_emulators.settings(),
        "BALANCE_ENABLED": "true",
        "RATE_LIMIT_EVENTS": "20",
        "RATE_LIMIT_WINDOW_SECONDS": "1",
        "RATE_LIMIT_BAN_SECONDS": "2",
        # these tests watch /readyz follow each outage at once
        "READYZ_CACHE_SECONDS": "0",
    }


@pytest.mark.postgres
async def test_a_conversation_continues_after_a_restart(shop: Shop) -> None:
    """State lives in Redis: the customer typed an amount after the bot restarted, and it still knew why."""
    nika = shop.user(9601, first_name="Nika", language_code="en")
    await nika.wait_reply(await nika.send("/start"))
    await nika.wait_reply(await nika.press("Balance"))
    reply = await nika.wait_reply(await nika.press("Another amount"))
    assert "Type the amount" in reply.text
    await shop.app.stop()
    shop.app = Application(shop.app.settings)
    await shop.app.start()
    reply = await nika.wait_reply(await nika.send("250"))
    assert "Top up by 250.00 ₽" in reply.text
    assert any(b.text.endswith("(YooKassa)") for row in reply.buttons for b in row)


async def test_a_typed_amount_is_validated_and_asked_again(shop: Shop) -> None:
    oleg = shop.user(9602, first_name="Oleg", language_code="en")
    await oleg.wait_reply(await oleg.send("/start"))
    await oleg.wait_reply(await oleg.press("Balance"))
    await oleg.wait_reply(await oleg.press("Another amount"))
    for wrong in ("a lot", "1", "10000000", "-5", "12.345"):
        reply = await oleg.wait_reply(await oleg.send(wrong))
        assert "Please type an amount from 50.00 ₽ to 100,000.00 ₽" in reply.text, wrong
    reply = await oleg.wait_reply(await oleg.send("120,50"))
    assert "Top up by 120.50 ₽" in reply.text


async def test_a_flood_is_throttled_and_banned_without_slowing_others(shop: Shop) -> None:
    flooder = shop.user(9603, first_name="Flood", language_code="en")
    calm = shop.user(9604, first_name="Calm", language_code="en")
    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    for _ in range(10):  # 1,000 updates over a few windows: a warning first, then a ban
        for _ in range(100):
            await flooder.send("/start")
        await asyncio.sleep(0.3)
    started = time.monotonic()
    reply = await calm.wait_reply(await calm.send("/start"), timeout=10)
    calm_latency = time.monotonic() - started
    assert "Welcome, Calm" in reply.text
    assert calm_latency < 3.0, f"another customer waited {calm_latency:.1f} s"
    last_flood_update = flooder.last_update_id
    await shop.telegram.wait_until(lambda: last_flood_update in shop.telegram.hub.delivered_at, timeout=60)
    await shop.telegram.wait_until(
        lambda: any("Too many messages in a row" in m.text for m in flooder.history), timeout=30
    )

    def count(fragment: str) -> int:
        return sum(fragment in m.text for m in flooder.history)

    # Every ban ends with a message (on a slow machine the tail of the flood may earn a second ban).
    await shop.telegram.wait_until(
        lambda: count("The pause is over") >= count("Too many messages in a row") >= 1, timeout=30
    )
    warnings, bans = count("sending messages too fast"), count("Too many messages in a row")
    assert warnings >= 1, "a polite warning comes before the ban"
    answered = count("What would you like")
    # At most 20 answers per window before each warning and each ban: a tiny share of the flood.
    assert answered <= 20 * (warnings + bans), f"{answered} of 1,000 flood updates were answered"
    # Once the pause is over (and the flood's tail, still in flight on a slow machine, has passed its
    # window) the customer is served again.
    served = False
    for _ in range(4):
        await asyncio.sleep(1.2)
        update = await flooder.send("/start")
        with contextlib.suppress(AssertionError):
            reply = await flooder.wait_reply(update, timeout=3)
            served = "What would you like to do?" in reply.text
        if served:
            break
    assert served, "after the ban the customer is served again"

    for _ in range(60):
        await admin.send("/orders")
    await shop.telegram.wait_until(lambda: sum("Orders" in m.text for m in admin.history) >= 60, timeout=30)
    assert not any("too fast" in m.text or "Too many" in m.text for m in admin.history)


async def test_readyz_reports_the_panel(shop: Shop) -> None:
    url = f"http://127.0.0.1:{shop.app.metrics_port}/readyz"
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as resp:
            body = await resp.json()
            assert resp.status == 200 and body["checks"]["panel"]["ok"] is True
            assert body["checks"]["database"]["latency_ms"] >= 0
        shop.panel.set_down(True)
        async with http.get(url) as resp:
            assert resp.status == 503 and (await resp.json())["checks"]["panel"]["ok"] is False
        shop.panel.set_down(False)
        async with http.get(url) as resp:
            assert resp.status == 200
        async with http.get(f"http://127.0.0.1:{shop.app.metrics_port}/metrics") as resp:
            metrics = await resp.text()
            assert resp.status == 200 and "remnastore_build_info" in metrics


def _through(url: str, proxy: TcpProxy) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    auth = netloc[0] + "@" if len(netloc) == 2 else ""
    return urlunsplit(parts._replace(netloc=f"{auth}127.0.0.1:{proxy.port}"))


@pytest.fixture
async def proxied_app(
    database_url: str,
    redis_url: str | None,
    db_backend: str,
    telegram_emulator: TelegramEmulator,
    panel_emulator: PanelEmulator,
) -> AsyncIterator[tuple[Application, TcpProxy, TcpProxy]]:
    assert db_backend == "postgres" and redis_url is not None
    db_target, redis_target = urlsplit(database_url), urlsplit(redis_url)
    db_proxy = TcpProxy(db_target.hostname or "127.0.0.1", db_target.port or 5432)
    redis_proxy = TcpProxy(redis_target.hostname or "127.0.0.1", redis_target.port or 6379)
    await db_proxy.start()
    await redis_proxy.start()
    values = shop_settings(
        _through(database_url, db_proxy),
        telegram_emulator,
        panel_emulator,
        _through(redis_url, redis_proxy),
        {"READYZ_CACHE_SECONDS": "0"},
    )
    app = Application(load_settings(None, values))
    await app.start()
    try:
        yield app, db_proxy, redis_proxy
    finally:
        await app.stop()
        await db_proxy.stop()
        await redis_proxy.stop()


async def _ready(port: int) -> tuple[int, dict[str, dict[str, object]]]:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/readyz") as resp:
        return resp.status, (await resp.json())["checks"]


@pytest.mark.postgres
async def test_readyz_turns_503_when_postgres_or_redis_go_away_and_back(
    proxied_app: tuple[Application, TcpProxy, TcpProxy],
) -> None:
    app, db_proxy, redis_proxy = proxied_app
    assert app.metrics_port is not None
    status, checks = await _ready(app.metrics_port)
    assert status == 200 and checks["database"]["ok"] and checks["redis"]["ok"]

    await redis_proxy.stop()
    status, checks = await _ready(app.metrics_port)
    assert status == 503 and checks["redis"]["ok"] is False and checks["database"]["ok"] is True
    await redis_proxy.start()
    await asyncio.sleep(0.2)
    status, checks = await _ready(app.metrics_port)
    assert status == 200, checks

    await db_proxy.stop()
    status, checks = await _ready(app.metrics_port)
    assert status == 503 and checks["database"]["ok"] is False
    await db_proxy.start()
    for _ in range(20):
        status, checks = await _ready(app.metrics_port)
        if status == 200:
            break
        await asyncio.sleep(0.25)
    assert status == 200, checks
