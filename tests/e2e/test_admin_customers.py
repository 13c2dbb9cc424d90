"""Admins find a customer, open the card and act on them; each action shows in the panel, the database or
the customer's chat, and in the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from remnastore.db.models import AuditEntry, Customer, Order, Subscription
from remnastore.emulators.telegram import FakeUser
from remnastore.emulators.telegram_state import BotMessage
from tests.e2e.test_admin_orders import paid_order
from tests.e2e.test_purchase_stars import panel_expiry
from tests.fixtures.shop import ADMIN_ID, Shop
from tests.fixtures.text import shows


async def with_trial(shop: Shop, user_id: int, username: str | None = None) -> FakeUser:
    user = shop.user(user_id, first_name=f"U{user_id}", username=username, language_code="en")
    await user.wait_reply(await user.send("/start"))
    await user.wait_reply(await user.press("Free trial"))
    await shop.telegram.wait_until(lambda: shop.panel.user_by_telegram_id(user_id) is not None, timeout=10)
    return user


async def search(shop: Shop, query: str) -> tuple[FakeUser, BotMessage]:
    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    await admin.wait_reply(await admin.send("/admin"))
    await admin.wait_reply(await admin.press("Customers"))
    prompt = await admin.wait_reply(await admin.press("Search"))
    assert "Telegram id" in prompt.text
    return admin, await admin.wait_reply(await admin.send(query))


async def open_card(shop: Shop, telegram_id: int) -> tuple[FakeUser, BotMessage]:
    admin, results = await search(shop, str(telegram_id))
    assert shows("Found: 1", results.text), results.text
    return admin, await admin.wait_reply(await admin.press(str(telegram_id)))


async def typed(admin: FakeUser, button: str, text: str) -> BotMessage:
    await admin.wait_reply(await admin.press(button))
    return await admin.wait_reply(await admin.send(text))


async def audit(shop: Shop) -> list[tuple[str, int | None, int | None]]:
    async with shop.db.session() as session:
        entries = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
        return [(e.action, e.actor_telegram_id, e.target_customer_id) for e in entries]


async def customer_row(shop: Shop, telegram_id: int) -> Customer | None:
    async with shop.db.session() as session:
        return (await session.scalars(select(Customer).where(Customer.telegram_id == telegram_id))).first()


async def test_card_and_access_actions_reach_the_panel_and_the_audit_log(shop: Shop) -> None:
    customer = await with_trial(shop, 7401)
    row = await customer_row(shop, 7401)
    assert row is not None
    admin, card = await open_card(shop, 7401)
    assert shows("Telegram id: 7401", card.text) and "Subscription: trial" in card.text
    assert "Panel user" in card.text and "✅ active until" in card.text and shows("Orders: 0", card.text)

    before = panel_expiry(shop, 7401)
    reply = await typed(admin, "Extend", "10")
    assert "Added 10 days" in reply.text
    assert panel_expiry(shop, 7401) == before + timedelta(days=10)
    async with shop.db.session() as session:
        subscription = (await session.scalars(select(Subscription))).one()
        assert subscription.expires_at == before + timedelta(days=10)

    reply = await typed(admin, "Set expiry", "2030-01-31")
    assert "Access until 2030-01-31 23:59" in reply.text
    assert panel_expiry(shop, 7401) == datetime(2030, 1, 31, 23, 59, tzinfo=UTC)

    refused = await typed(admin, "Device limit", "many")
    assert "whole number" in refused.text
    reply = await admin.wait_reply(await admin.send("5"))
    assert shows("Device limit: 5", reply.text)
    panel_user = shop.panel.user_by_telegram_id(7401)
    assert panel_user is not None and panel_user["hwidDeviceLimit"] == 5

    shop.panel.set_used_traffic(panel_user["id"], 3 * 1024**3)
    await admin.wait_reply(await admin.press("Reset traffic"))
    assert admin.callback_answer() is not None and "Traffic reset" in admin.callback_answer()["text"]
    panel_user = shop.panel.user_by_telegram_id(7401)
    assert panel_user is not None and panel_user["userTraffic"]["usedTrafficBytes"] == 0

    old_link = panel_user["subscriptionUrl"]
    await admin.wait_reply(await admin.press("New link"))
    panel_user = shop.panel.user_by_telegram_id(7401)
    assert panel_user is not None and panel_user["subscriptionUrl"] != old_link

    await admin.wait_reply(await admin.press("Reset trial"))
    menu = await customer.wait_reply(await customer.send("/start"))
    assert any("Free trial" in text for text in menu.button_texts)

    assert await audit(shop) == [
        ("customer.extend", ADMIN_ID, row.id),
        ("customer.set_expiry", ADMIN_ID, row.id),
        ("customer.set_devices", ADMIN_ID, row.id),
        ("customer.reset_traffic", ADMIN_ID, row.id),
        ("customer.revoke_link", ADMIN_ID, row.id),
        ("customer.reset_trial", ADMIN_ID, row.id),
    ]


async def test_a_blocked_customer_hears_only_that_they_are_blocked(shop: Shop) -> None:
    customer = await with_trial(shop, 7402)
    admin, _card = await open_card(shop, 7402)
    card = await admin.wait_reply(await admin.press("Block"))
    assert "blocked" in card.text and "Unblock" in " ".join(card.button_texts)
    panel_user = shop.panel.user_by_telegram_id(7402)
    assert panel_user is not None and panel_user["status"] == "DISABLED"

    shown = len(customer.messages)
    reply = await customer.wait_reply(await customer.send("/start"))
    assert "has been blocked" in reply.text and reply.buttons == []
    assert len(customer.messages) == shown + 1
    await customer.wait_reply(await customer.send("/subscription"))
    assert len(customer.messages) == shown + 2 and "has been blocked" in customer.messages[-1].text

    await admin.wait_reply(await admin.press("Unblock"))
    panel_user = shop.panel.user_by_telegram_id(7402)
    assert panel_user is not None and panel_user["status"] == "ACTIVE"
    menu = await customer.wait_reply(await customer.send("/start"))
    assert "has been blocked" not in menu.text and menu.buttons
    row = await customer_row(shop, 7402)
    assert row is not None and not row.is_banned
    assert [a[0] for a in await audit(shop)] == ["customer.ban", "customer.unban"]


async def test_messages_of_any_kind_are_copied_to_the_customer(shop: Shop) -> None:
    customer = await with_trial(shop, 7403)
    admin, _card = await open_card(shop, 7403)
    await admin.wait_reply(await admin.press("Message"))
    reply = await admin.wait_reply(await admin.send_photo(caption="New servers in Riga"))
    assert "Message delivered" in reply.text
    await shop.telegram.wait_until(
        lambda: customer.last_message is not None and customer.last_message.has_photo
    )
    assert customer.messages[-1].text == "New servers in Riga"

    await admin.wait_reply(await admin.press("Message"))
    await admin.wait_reply(await admin.send("Hello from support"))
    await shop.telegram.wait_until(lambda: customer.messages[-1].text == "Hello from support")

    shop.telegram.block(7403, notify=False)
    await admin.wait_reply(await admin.press("Message"))
    reply = await admin.wait_reply(await admin.send("Are you there?"))
    assert "Not delivered" in reply.text
    row = await customer_row(shop, 7403)
    assert row is not None
    async with shop.db.session() as session:
        entries = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
        assert [(e.action, e.details["delivered"], e.details["kind"]) for e in entries] == [
            ("customer.message", True, "photo"),
            ("customer.message", True, "text"),
            ("customer.message", False, "text"),
        ]
        assert {e.target_customer_id for e in entries} == {row.id}


async def test_refund_from_the_card(shop: Shop) -> None:
    order = await paid_order(shop, 7404)
    admin, card = await open_card(shop, 7404)
    assert shows("Orders: 1", card.text) and "150 ⭐" in card.text
    listing = await admin.wait_reply(await admin.press("Refund"))
    assert "can be refunded" in listing.text
    confirm = await admin.wait_reply(await admin.press(f"#{order.id[:8]}"))
    assert "Refund" in confirm.text
    await admin.wait_reply(await admin.press("Yes, refund"))
    refund = await shop.telegram.wait_for_call("refundStarPayment")
    assert refund.ok and refund.params["telegram_payment_charge_id"] == order.provider_payment_id
    async with shop.db.session() as session:
        stored = await session.get(Order, order.id)
        assert stored is not None and stored.status == "refunded"
    assert [a[0] for a in await audit(shop)] == ["order.refund"]


async def test_delete_needs_the_typed_id(shop: Shop) -> None:
    await paid_order(shop, 7405)
    row = await customer_row(shop, 7405)
    assert row is not None
    admin, _card = await open_card(shop, 7405)
    prompt = await admin.wait_reply(await admin.press("Delete"))
    assert "7405" in prompt.text
    reply = await admin.wait_reply(await admin.send("7406"))
    assert "does not match" in reply.text
    assert await customer_row(shop, 7405) is not None
    assert shop.panel.user_by_telegram_id(7405) is not None

    await admin.wait_reply(await admin.press("Delete"))
    reply = await admin.wait_reply(await admin.send("7405"))
    assert "Customer deleted" in reply.text
    assert await customer_row(shop, 7405) is None
    assert shop.panel.user_by_telegram_id(7405) is None
    async with shop.db.session() as session:
        assert (await session.scalar(select(func.count()).select_from(Order))) == 0
    assert await audit(shop) == [("customer.delete", ADMIN_ID, row.id)]

    # the deleted customer starts afresh
    again = shop.user(7405)
    menu = await again.wait_reply(await again.send("/start"))
    assert any("Free trial" in text for text in menu.button_texts)


async def test_search_by_username_and_panel_username(shop: Shop) -> None:
    await with_trial(shop, 7406, username="Alice_VPN")
    await with_trial(shop, 7407)
    admin, results = await search(shop, "@alice_vpn")
    assert shows("Found: 1", results.text) and any("7406" in t for t in results.button_texts)

    row = await customer_row(shop, 7407)
    assert row is not None and row.panel_username
    await admin.wait_reply(await admin.press("Search"))
    results = await admin.wait_reply(await admin.send(row.panel_username))
    assert shows("Found: 1", results.text) and any("7407" in t for t in results.button_texts)

    await admin.wait_reply(await admin.press("Search"))
    nothing = await admin.wait_reply(await admin.send("@nobody_here"))
    assert "Nobody found" in nothing.text

    listing = await admin.wait_reply(await admin.press("Cancel"))
    assert "Customers" in listing.text
    assert any("7406" in t for t in listing.button_texts) and any("7407" in t for t in listing.button_texts)


async def test_pages_of_customers_and_actions_without_a_panel_user(shop: Shop) -> None:
    async with shop.db.session() as session:
        session.add_all(
            Customer(telegram_id=7500 + i, first_name=f"Seed{i}", language="en") for i in range(12)
        )
    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    await admin.wait_reply(await admin.send("/admin"))
    first = await admin.wait_reply(await admin.press("Customers"))
    ids = [t.split("· ")[-1] for t in first.button_texts if "· " in t]
    assert len(ids) == 10 and ids[0] == str(ADMIN_ID) and "▶️" in first.button_texts
    second = await admin.wait_reply(await admin.press("▶️"))
    rest = [t.split("· ")[-1] for t in second.button_texts if "· " in t]
    assert rest == ["7502", "7501", "7500"]  # newest first: the admin arrived after the seeded ones
    assert not set(ids) & set(rest) and "◀️" in second.button_texts

    card = await admin.wait_reply(await admin.press(rest[-1]))
    assert "Panel: no user yet." in card.text
    reply = await typed(admin, "Extend", "5")
    assert "no panel user yet" in reply.text
    await admin.wait_reply(await admin.press("Cancel"))
    answer = await admin.wait_alert(await admin.press("New link"))
    assert "no panel user yet" in answer["text"]
    assert await audit(shop) == []


async def test_a_command_at_a_prompt_does_what_it_says_and_ends_the_prompt(shop: Shop) -> None:
    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    await admin.wait_reply(await admin.send("/admin"))
    await admin.wait_reply(await admin.press("Customers"))
    prompt = await admin.wait_reply(await admin.press("Search"))
    assert "Telegram id" in prompt.text
    orders = await admin.wait_reply(await admin.send("/orders"))
    assert "Orders" in orders.text and "Found" not in orders.text
    # the prompt is over: an id typed now is an ordinary message, not a search
    reply = await admin.wait_reply(await admin.send("123456"))
    assert "Found" not in reply.text
