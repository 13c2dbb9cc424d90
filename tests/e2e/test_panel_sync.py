"""Panel sync: panel users with a Telegram id become linked customers with the panel's expiry; users
without one are skipped; a second run changes nothing; a changed expiry is picked up; panel 3.x and 2.x."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from remnastore.db.models import AuditEntry, Customer, Subscription
from remnastore.domain.access import panel_username
from tests.fixtures.customers import seed_customers
from tests.fixtures.shop import ADMIN_ID, Shop
from tests.fixtures.text import shows

pytestmark = pytest.mark.parametrize("panel_emulator", [3, 2], indirect=True)

NEW = list(range(7_000_000, 7_000_250))


START = datetime.now(UTC).replace(microsecond=0)


def days(n: int) -> datetime:
    return START + timedelta(days=n)


async def run_from_admin_menu(shop: Shop) -> str:
    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    await admin.wait_reply(await admin.send("/sync"))
    before = len(shop.telegram.calls_for("editMessageText"))
    await admin.press("Sync now")
    await shop.telegram.wait_until(
        lambda: any("Sync finished" in m.text for m in admin.messages[-1:]), timeout=30
    )
    assert len(shop.telegram.calls_for("editMessageText")) > before
    return admin.messages[-1].text


async def subscriptions(shop: Shop) -> dict[int, tuple[datetime, int | None, str | None]]:
    async with shop.db.session() as session:
        rows = await session.execute(
            select(
                Customer.telegram_id, Subscription.expires_at, Customer.panel_user_id, Customer.panel_uuid
            ).join(Subscription, Subscription.customer_id == Customer.id)
        )
        return {tg: (expires, pid, puuid) for tg, expires, pid, puuid in rows.all()}


async def test_sync_imports_links_reconciles_and_is_idempotent(shop: Shop) -> None:
    prefix = shop.app.settings.panel.username_prefix
    registered = shop.user(8801)
    await registered.wait_reply(await registered.send("/start"))
    await seed_customers(shop.db, shop.telegram, [8802])
    async with shop.db.session() as session:
        customer_id = await session.scalar(select(Customer.id).where(Customer.telegram_id == 8802))
        session.add(Subscription(customer_id=customer_id, kind="paid", expires_at=days(3)))
    legacy = shop.panel.add_user(username="legacy_8801", telegram_id=8801, expire_at=days(20))
    renewed = shop.panel.add_user(username="old_8802", telegram_id=8802, expire_at=days(40))
    shop.panel.add_user(username="other_8803", telegram_id=8803, expire_at=days(50))
    own = shop.panel.add_user(username=panel_username(prefix, 8803), telegram_id=8803, expire_at=days(10))
    shop.panel.add_users(250, telegram_id_from=NEW[0], expire_at=days(30), hwid_device_limit=3)
    shop.panel.add_users(20, expire_at=days(30))  # no Telegram id: not ours to import

    report = await run_from_admin_menu(shop)
    assert "Panel users: 274 (without a Telegram id, skipped: 20)" in report
    assert shows("New customers: 251", report) and shows("Links set: 2", report)
    assert shows("Subscriptions created or updated: 253", report)

    subs = await subscriptions(shop)
    assert set(subs) == {8801, 8802, 8803, *NEW}
    key = "id" if shop.panel.api_version == 3 else "uuid"
    assert subs[8801][0] == days(20) and (subs[8801][1] or subs[8801][2]) == legacy[key]
    assert subs[8802][0] == days(40) and (subs[8802][1] or subs[8802][2]) == renewed[key]
    assert subs[8803][0] == days(10) and (subs[8803][1] or subs[8803][2]) == own[key]
    assert all(subs[tg][0] == days(30) for tg in NEW)
    async with shop.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Customer)) == 253 + 1  # + the admin
        stamps = dict((await session.execute(select(Customer.id, Customer.updated_at))).tuples().all())
        limits = set(await session.scalars(select(Subscription.device_limit).join(Customer).where(
            Customer.telegram_id.in_(NEW))))  # fmt: skip
    assert limits == {3}

    again = await run_from_admin_menu(shop)
    assert shows("New customers: 0", again) and shows("Links set: 0", again)
    assert shows("Subscriptions created or updated: 0", again) and shows("Already in agreement: 253", again)
    assert await subscriptions(shop) == subs
    async with shop.db.session() as session:
        stamped = await session.execute(select(Customer.id, Customer.updated_at))
        assert dict(stamped.tuples().all()) == stamps

    shop.panel.set_expiry(renewed["id"] if shop.panel.api_version == 3 else renewed["uuid"], days(70))
    third = await shop.app.panel_sync.run()
    assert (third.created, third.linked, third.expiry_updated) == (0, 0, 1)
    assert (await subscriptions(shop))[8802][0] == days(70)
    async with shop.db.session() as session:
        audit = list(await session.scalars(select(AuditEntry).where(AuditEntry.action == "panel.sync")))
    assert [a.actor_telegram_id for a in audit] == [ADMIN_ID, ADMIN_ID, None]


@pytest.fixture
def shop_env() -> dict[str, str]:
    return {"PANEL_SYNC_PAGE_SIZE": "10", "PANEL_SYNC_CONCURRENCY": "3"}


async def test_pages_are_fetched_concurrently_within_the_limit(shop: Shop) -> None:
    shop.panel.add_users(95, telegram_id_from=NEW[0])
    shop.panel.set_latency(0.2)
    started = datetime.now(UTC)
    report = await shop.app.panel_sync.run()
    elapsed = (datetime.now(UTC) - started).total_seconds()
    assert report.created == 95
    lists = [r for r in shop.panel.requests if r.path.startswith("/api/users?") and r.method == "GET"]
    assert len(lists) == 10
    # 1 page, then 9 pages 3 at a time: about 4 rounds of 0.2 s (sequentially it would take 2 s)
    assert elapsed < 1.6


async def test_sync_imports_the_panel_status_as_it_is(shop: Shop) -> None:
    """A DISABLED or LIMITED panel user is not an active paid subscription: imported with its status,
    left out of "Active paid", shown on the admin card."""
    shop.panel.add_user(username="on_8851", telegram_id=8851, expire_at=days(30))
    shop.panel.add_user(username="off_8852", telegram_id=8852, expire_at=days(30), status="DISABLED")
    shop.panel.add_user(username="full_8853", telegram_id=8853, expire_at=days(30), status="LIMITED")
    await run_from_admin_menu(shop)

    async with shop.db.session() as session:
        statuses = dict(
            (
                await session.execute(
                    select(Customer.telegram_id, Subscription.panel_status).join(
                        Subscription, Subscription.customer_id == Customer.id
                    )
                )
            )
            .tuples()
            .all()
        )
    assert statuses == {8851: "ACTIVE", 8852: "DISABLED", 8853: "LIMITED"}

    admin = shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    menu = await admin.wait_reply(await admin.send("/admin"))
    screen = await admin.wait_reply(await admin.press("Statistics", message_id=menu.message_id))
    assert "Active paid subscriptions: 1" in screen.text

    await admin.wait_reply(await admin.send("/admin"))
    await admin.wait_reply(await admin.press("Customers"))
    await admin.wait_reply(await admin.press("Search"))
    await admin.wait_reply(await admin.send("8852"))
    card = await admin.wait_reply(await admin.press("8852"))
    assert "Panel status (last known): ⏸ disabled in the panel" in card.text
    assert "Panel user" in card.text and "disabled in the panel until" in card.text
