"""Admins see orders, export them, and refund a Stars payment; customers cannot reach any of it."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from remnastore.db.models import AuditEntry, Order
from tests.e2e.test_purchase_stars import open_invoice, orders
from tests.fixtures.shop import ADMIN_ID, Shop


async def paid_order(shop: Shop, user_id: int) -> Order:
    buyer = shop.user(user_id)
    await buyer.pay_invoice(link=await open_invoice(shop, user_id))
    await shop.telegram.wait_until(
        lambda: any("Payment received" in m.text for m in buyer.messages), timeout=10
    )
    [order] = [o for o in await orders(shop) if o.status == "fulfilled"]
    return order


async def test_orders_list_csv_and_stars_refund(shop: Shop) -> None:
    order = await paid_order(shop, 8501)
    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    reply = await admin.wait_reply(await admin.send("/orders"))
    assert order.id[:8] in reply.text and "150 ⭐" in reply.text

    await admin.wait_reply(await admin.press(f"#{order.id[:8]}"))
    reply = await admin.wait_reply(await admin.press("Refund"))
    assert "Refund" in reply.text
    expiry_before = shop.panel.user_by_telegram_id(8501)["expireAt"]
    await admin.wait_reply(await admin.press("Yes, refund"))
    refund = await shop.telegram.wait_for_call("refundStarPayment")
    assert refund.ok and refund.params["telegram_payment_charge_id"] == order.provider_payment_id
    await shop.telegram.wait_until(
        lambda: (
            shop.panel.user_by_telegram_id(8501)["expireAt"] != expiry_before
            or shop.panel.user_by_telegram_id(8501)["status"] == "DISABLED"
        ),
        timeout=10,
    )
    [stored] = await orders(shop)
    assert stored.status == "refunded"
    await admin.wait_reply(await admin.send("/orders"))
    await admin.wait_reply(await admin.press("Export CSV"))
    document = await shop.telegram.wait_for_call("sendDocument")
    assert document.ok
    file_id = document.result["document"]["file_id"]
    content = shop.telegram.state.files[file_id].data
    assert content is not None
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][0] == "order" and rows[1][0] == order.id and rows[1][2] == "refunded"

    async with shop.db.session() as session:
        audit = (await session.scalars(select(AuditEntry))).all()
        assert [(a.action, a.actor_telegram_id) for a in audit] == [("order.refund", ADMIN_ID)]


async def test_customers_cannot_use_admin_commands_or_buttons(shop: Shop) -> None:
    order = await paid_order(shop, 8502)
    customer = shop.user(8502)
    reply = await customer.wait_reply(await customer.send("/orders"))
    assert "Unknown command" in reply.text
    for data in (f"aoc:{order.id}:confirm", "ao:all:0", "aox:all"):
        answer = await customer.wait_alert(await customer.press_data(data))
        assert "administrators only" in answer["text"], (data, answer)
    assert shop.telegram.calls_for("refundStarPayment") == []
    assert shop.telegram.calls_for("sendDocument") == []
    [stored] = await orders(shop)
    assert stored.status == "fulfilled"
