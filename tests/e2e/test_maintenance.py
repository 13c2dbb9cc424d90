"""Maintenance mode: customers get the maintenance text, admins keep working, payments still settle."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from remnastore.db.models import AuditEntry
from tests.e2e.test_purchase_providers import buy, paid_notification
from tests.e2e.test_purchase_stars import open_invoice, orders
from tests.fixtures.providers import PaymentEmulators
from tests.fixtures.shop import ADMIN_ID, Shop


@pytest.fixture
def shop_env(payment_emulators: PaymentEmulators) -> dict[str, str]:
    return {
        k: v
        for k, v in payment_emulators.settings().items()
        if k.startswith("YOOKASSA_") or k == "TRUSTED_PROXIES"
    }


@pytest.fixture
def providers(shop: Shop, payment_emulators: PaymentEmulators) -> PaymentEmulators:
    payment_emulators.point_at(f"http://127.0.0.1:{shop.app.port}")
    return payment_emulators


async def test_maintenance_holds_customers_not_admins_nor_payments(
    shop: Shop, providers: PaymentEmulators
) -> None:
    stars_link = await open_invoice(shop, 8701)
    yookassa_order = await buy(shop, 8702, "yookassa")

    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    screen = await admin.wait_reply(await admin.send("/maintenance"))
    assert "off" in screen.text
    screen = await admin.wait_reply(await admin.press("Turn maintenance on"))
    assert "ON" in screen.text

    customer = shop.user(8703, language_code="en")
    reply = await customer.wait_reply(await customer.send("/start"))
    assert "under maintenance" in reply.text and reply.buttons == []
    await customer.press_data("n:buy")
    await shop.telegram.wait_until(
        lambda: any(
            "under maintenance" in str(c.params.get("text", ""))
            for c in shop.telegram.calls_for("answerCallbackQuery")
        ),
        timeout=5,
    )
    ru = shop.user(8704, language_code="ru")
    assert "обслуживании" in (await ru.wait_reply(await ru.send("/start"))).text

    # admins keep working
    assert "Orders" in (await admin.wait_reply(await admin.send("/orders"))).text

    # a Stars payment and a provider's webhook during maintenance are still credited
    paid = await shop.user(8701).pay_invoice(link=stars_link)
    assert paid.approved
    delivery = await providers.yookassa.deliver(
        paid_notification(providers, "yookassa", yookassa_order, 8702)
    )
    assert delivery.status == 200
    await shop.telegram.wait_until(
        lambda: all(any("Payment received" in m.text for m in shop.user(u).messages) for u in (8701, 8702)),
        timeout=15,
    )
    assert sorted(o.status for o in await orders(shop)) == ["fulfilled", "fulfilled"]

    # a message of the admin's own
    await admin.wait_reply(await admin.send("/maintenance"))
    await admin.wait_reply(await admin.press("Message"))
    await admin.wait_reply(await admin.send("Back at 18:00 <b>MSK</b>"))
    reply = await customer.wait_reply(await customer.send("/start"))
    assert "Back at 18:00 <b>MSK</b>" in reply.text  # shown as typed, not as markup

    screen = await admin.wait_reply(await admin.press("Turn maintenance off"))
    assert "off" in screen.text
    reply = await customer.wait_reply(await customer.send("/start"))
    assert "under maintenance" not in reply.text
    assert any("Buy subscription" in b for b in reply.button_texts)

    async with shop.db.session() as session:
        audit = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert [(a.details["key"], a.details["new"]) for a in audit] == [
        ("maintenance.enabled", True),
        ("maintenance.message", "Back at 18:00 <b>MSK</b>"),
        ("maintenance.enabled", False),
    ]
    assert {a.actor_telegram_id for a in audit} == {ADMIN_ID}


async def test_customers_cannot_switch_maintenance(shop: Shop) -> None:
    customer = shop.user(8705, language_code="en")
    await customer.wait_reply(await customer.send("/start"))
    answer = await customer.wait_alert(await customer.press_data("amt:on"))
    assert "administrators only" in answer["text"]
    reply = await customer.wait_reply(await customer.send("/maintenance"))
    assert "Unknown command" in reply.text
    assert not shop.app.effective.current.maintenance.enabled
    reply = await customer.wait_reply(await customer.send("/start"))
    assert "under maintenance" not in reply.text
