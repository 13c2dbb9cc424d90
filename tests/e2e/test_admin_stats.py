"""The statistics screen: figures of a seeded shop and of the panel, cached briefly, refreshed on demand."""

from __future__ import annotations

from datetime import UTC, datetime

from remnastore.db.models import Customer
from remnastore.domain.money import Money
from tests.fixtures.shop import ADMIN_ID, Shop
from tests.fixtures.text import shows
from tests.integration.test_db_statistics import seed_shop_figures

GIB = 1024**3


def _xtr(minor: int) -> str:
    return Money(minor, "XTR").format("en")


def _rub(minor: int) -> str:
    return Money(minor, "RUB").format("en")


async def test_statistics_match_the_seeded_shop_and_refresh(shop: Shop) -> None:
    async with shop.db.session() as session:
        await seed_shop_figures(session, datetime.now(UTC))
    online = shop.panel.add_user(username="online_one", telegram_id=5001)
    shop.panel.add_user(username="idle_one", telegram_id=5002)
    shop.panel.set_used_traffic(online["id"], 5 * GIB)

    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    menu = await admin.wait_reply(await admin.send("/admin"))
    screen = await admin.wait_reply(await admin.press("Statistics", message_id=menu.message_id))
    text = screen.text
    # the six seeded customers and the admin, who has just arrived
    assert shows("Customers: 7", text), text
    assert "New: 2 in 24 h · 3 in 7 days · 5 in 30 days" in text
    assert shows("Active paid subscriptions: 2", text)
    assert "Active trials: 1 (trials taken: 4)" in text
    assert "Trial → paid: 1 of 4 (25.0 %)" in text
    assert shows("Banned: 1", text)
    # providers and tariffs by their display names, never their internal codes
    assert f"Telegram Stars: {_xtr(0)} · {_xtr(150)} · {_xtr(150)} · {_xtr(450)}" in text
    assert f"YooKassa: {_rub(50000)} · {_rub(50000)} · {_rub(69900)} · {_rub(69900)}" in text
    assert "stars" not in text and "yookassa" not in text and "XTR" not in text
    assert "Balance" not in text  # spending the balance is not new money
    assert shows("Standard: 2", text) and "standard" not in text
    assert shows("premium: 2", text)  # a tariff no longer in the catalogue keeps its code
    assert shows("Users: 2 · online now: 1", text)
    assert shows("Nodes online: 1", text)
    assert shows("Traffic served (lifetime): 5", text) and "GB" in text

    async with shop.db.session() as session:
        session.add(
            Customer(telegram_id=5999, first_name="Late", language="en", created_at=datetime.now(UTC))
        )
    await admin.wait_reply(await admin.press("Admin menu"))
    cached = await admin.wait_reply(await admin.press("Statistics"))
    assert shows("Customers: 7", cached.text)  # still the figures of a moment ago
    refreshed = await admin.wait_reply(await admin.press("Refresh"))
    assert shows("Customers: 8", refreshed.text)
    assert admin.callback_answer() == {"text": "Refreshed.", "show_alert": False, "url": None}


async def test_statistics_say_so_when_the_panel_is_down(shop: Shop) -> None:
    shop.panel.set_down(True)
    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    await admin.wait_reply(await admin.send("/admin"))
    screen = await admin.wait_reply(await admin.press("Statistics"), timeout=30)
    assert "Panel: not answering right now." in screen.text
    assert shows("Customers: 1", screen.text)
    assert "No payments yet." in screen.text
