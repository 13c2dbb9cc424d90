"""A typed top-up amount is read by a strict grammar: hostile text is refused at once, changing nothing."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from remnastore.db.models import Order, SettingsOverride
from tests.fixtures.providers import PaymentEmulators
from tests.fixtures.shop import ADMIN_ID, Shop


@pytest.fixture
def shop_env(payment_emulators: PaymentEmulators) -> dict[str, str]:
    return {**payment_emulators.settings(), "BALANCE_ENABLED": "true", "BALANCE_TOPUP_AMOUNTS": "100,300"}


async def order_count(shop: Shop) -> int:
    async with shop.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Order)) or 0)


# Each of these once reached Decimal/int: "1e999990" held the event loop for ~26 s (every customer waited).
HOSTILE = [
    "1e999990",
    "1E+999999",
    "NaN",
    "Infinity",
    "-250",
    "+250",
    "2 50",
    "250.505",
    "１２３",
    "٢٥٠",
    "9" * 5000,
]


@pytest.mark.parametrize(
    ("language", "refusal"),
    [("en", "Please type an amount from"), ("ru", "Напишите сумму от")],
)
async def test_hostile_typed_top_up_amount_is_refused_at_once(
    shop: Shop, language: str, refusal: str
) -> None:
    mila = shop.user(9501, first_name="Mila", language_code=language)
    await mila.wait_reply(await mila.send("/start"))
    await mila.wait_reply(await mila.press("💰 Balance" if language == "en" else "💰 Баланс"))
    await mila.wait_reply(await mila.press("✏️ Another amount" if language == "en" else "✏️ Другая сумма"))
    for text in HOSTILE:
        started = time.monotonic()
        reply = await mila.wait_reply(await mila.send(text), timeout=3.0)
        assert time.monotonic() - started < 2.0, text
        assert refusal in reply.text, text
    assert await order_count(shop) == 0
    # the prompt is still open: a plain amount with a comma goes on to the payment methods
    reply = await mila.wait_reply(await mila.send("250,50"))
    assert "250.50 ₽" in reply.text
    assert await order_count(shop) == 0


async def test_hostile_numbers_typed_by_an_admin_are_refused_and_change_nothing(shop: Shop) -> None:
    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    await admin.wait_reply(await admin.send("/settings"))
    for button in ("Tariffs and prices", "Standard", "1 month", "Price in XTR"):
        await admin.wait_reply(await admin.press(button))
    for text in ("1e999990", "NaN", "-5", "1 75", "٢٥٠"):
        started = time.monotonic()
        refused = await admin.wait_reply(await admin.send(text), timeout=3.0)
        assert time.monotonic() - started < 2.0, text
        assert "not a price" in refused.text, text
    async with shop.db.session() as session:
        assert (await session.scalars(select(SettingsOverride))).all() == []

    # a superscript digit passed str.isdigit() and then made int() raise inside the customer search
    await admin.wait_reply(await admin.send("/admin"))
    await admin.wait_reply(await admin.press("Customers"))
    await admin.wait_reply(await admin.press("Search"))
    nothing = await admin.wait_reply(await admin.send("²"))
    assert "Nobody found" in nothing.text
