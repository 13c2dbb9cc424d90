"""The panel is the source of truth: changes a seller makes in the panel reach the shop's records, its
reminders and its customers (webhooks when configured, the light sync of changed users otherwise).

The shop runs with a ManualClock (see ``test_reminders``); the panel emulator keeps real time.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from remnastore.db.models import Customer, PanelEventNotice, Subscription
from tests.e2e import test_reminders
from tests.e2e.test_reminders import (
    TimeShop,
    local_expiry,
    post_webhook,
    reminders_of,
    run_due,
    start_trial,
)

# The time-travelling shop of the reminder tests, and the fixtures that configure it.
time_shop = test_reminders.time_shop
reminder_env = test_reminders.reminder_env
panel_secret = test_reminders.panel_secret


def panel_id(shop: TimeShop, telegram_id: int) -> int:
    user = shop.panel.user_by_telegram_id(telegram_id)
    assert user is not None
    return int(user["id"])


async def stored(shop: TimeShop, telegram_id: int) -> Subscription:
    async with shop.db.session() as session:
        subscription = await session.scalar(
            select(Subscription)
            .join(Customer, Customer.id == Subscription.customer_id)
            .where(Customer.telegram_id == telegram_id)
        )
    assert subscription is not None
    return subscription


# -- finding 1: reminders and records follow the panel ---------------------------------------------------


async def test_a_user_extended_in_the_panel_gets_no_reminder_of_the_old_expiry(time_shop: TimeShop) -> None:
    shop = time_shop
    old = await start_trial(shop, 7301)
    new = old + timedelta(days=60)
    shop.panel.set_expiry(panel_id(shop, 7301), new)  # by hand in the panel: no webhook

    shop.clock.set(old - timedelta(hours=72))
    assert await run_due(shop) == 0
    assert reminders_of(shop.user(7301)) == [], "no 'ends in 3 days' naming the old date"
    assert abs(await local_expiry(shop, 7301) - new) < timedelta(seconds=1)

    shop.clock.set(new - timedelta(hours=72))
    assert await run_due(shop) == 1
    [reminder] = reminders_of(shop.user(7301))
    assert "ends in 3 days" in reminder.text
    assert new.strftime("%Y") in reminder.text


async def test_user_modified_webhook_updates_the_record_and_a_shortened_user_is_reminded(
    time_shop: TimeShop,
) -> None:
    shop = time_shop
    await start_trial(shop, 7302)
    shop.clock.set(shop.clock.now() + timedelta(hours=2))
    shortened = shop.clock.now() + timedelta(days=3) - timedelta(minutes=5)
    ref = panel_id(shop, 7302)
    shop.panel.set_expiry(ref, shortened)
    shop.panel.set_status(ref, "DISABLED")

    assert await post_webhook(shop, "user.modified", 7302) == (200, "ok")
    record = await stored(shop, 7302)
    assert abs(record.expires_at - shortened) < timedelta(seconds=1)
    assert record.panel_status == "DISABLED"

    before = len(shop.panel.requests)
    assert await run_due(shop) == 1
    [reminder] = reminders_of(shop.user(7302))
    assert "ends in 3 days" in reminder.text
    # The webhook's view is fresher than the freshness window: the panel is not asked again.
    assert [r.path for r in shop.panel.requests[before:] if r.path == f"/api/users/{ref}"] == []


@pytest.mark.parametrize("panel_secret", [None])
async def test_without_webhooks_the_light_sync_brings_panel_changes(time_shop: TimeShop) -> None:
    shop = time_shop
    old = await start_trial(shop, 7303)
    new = old + timedelta(days=30)
    ref = panel_id(shop, 7303)
    shop.panel.set_expiry(ref, new)
    shop.panel.set_status(ref, "LIMITED")

    # The job exists by default when webhooks are off.
    assert await shop.app.scheduler.run_now("panel-light-sync")
    record = await stored(shop, 7303)
    assert abs(record.expires_at - new) < timedelta(seconds=1)
    assert record.panel_status == "LIMITED"
    requests = [r.path for r in shop.panel.requests if r.path.startswith("/api/users?")]
    assert requests and all("updatedAt" in path for path in requests)


# -- finding 3: customer-visible panel events -----------------------------------------------------------


async def test_traffic_exhausted_is_told_once_with_a_button(time_shop: TimeShop) -> None:
    shop = time_shop
    await start_trial(shop, 7304)
    ref = panel_id(shop, 7304)
    shop.panel.set_status(ref, "LIMITED")
    body = shop.panel.webhook_body("user.limited", ref, timestamp=shop.clock.now())
    assert await post_webhook(shop, "", None, body=body) == (200, "ok")
    assert await post_webhook(shop, "", None, body=body) == (200, "duplicate")
    alice = shop.user(7304)
    told = [m for m in alice.history if "traffic for this period is used up" in m.text]
    assert len(told) == 1
    assert told[0].button_texts and told[0].button_texts[0] in {"🚀 Choose a plan", "📊 Add traffic"}
    assert (await stored(shop, 7304)).panel_status == "LIMITED"


async def test_a_revoked_link_is_sent_to_the_customer_in_their_language(time_shop: TimeShop) -> None:
    shop = time_shop
    await start_trial(shop, 7305, language="ru")
    ref = panel_id(shop, 7305)
    before = shop.panel.user(ref)["subscriptionUrl"]
    shop.panel._record(ref)["shortUuid"] = "NewShortUuid0001"  # what the panel's revoke does
    new_link = shop.panel.user(ref)["subscriptionUrl"]
    assert new_link != before
    assert await post_webhook(shop, "user.revoked", 7305) == (200, "ok")
    [told] = [m for m in shop.user(7305).history if "Ссылка подписки изменилась" in m.text]
    assert new_link in told.text and before not in told.text


@pytest.mark.parametrize("reminder_env", [{"PANEL_EVENT_MESSAGES": "user.revoked"}])
async def test_which_events_message_customers_is_a_setting(time_shop: TimeShop) -> None:
    shop = time_shop
    await start_trial(shop, 7306)
    shop.panel.set_status(panel_id(shop, 7306), "DISABLED")
    before = len(shop.user(7306).history)
    assert await post_webhook(shop, "user.disabled", 7306) == (200, "ok")
    assert len(shop.user(7306).history) == before, "user.disabled is not among the configured events"
    assert (await stored(shop, 7306)).panel_status == "DISABLED", "the record is updated all the same"
    async with shop.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(PanelEventNotice)) == 0


async def test_deleted_and_enabled_events(time_shop: TimeShop) -> None:
    shop = time_shop
    await start_trial(shop, 7307)
    ref = panel_id(shop, 7307)
    shop.panel.set_status(ref, "DISABLED")
    assert await post_webhook(shop, "user.disabled", 7307) == (200, "ok")
    shop.panel.set_status(ref, "ACTIVE")
    shop.clock.set(shop.clock.now() + timedelta(seconds=5))
    assert await post_webhook(shop, "user.enabled", 7307) == (200, "ok")
    texts = [m.text for m in shop.user(7307).history]
    assert any("access has been paused" in text for text in texts)
    assert any("access is on again" in text for text in texts)
    assert (await stored(shop, 7307)).panel_status == "ACTIVE"

    shop.clock.set(shop.clock.now() + timedelta(seconds=5))
    body = shop.panel.webhook_body("user.deleted", ref, timestamp=shop.clock.now())
    assert await post_webhook(shop, "", None, body=body) == (200, "ok")
    [gone] = [m for m in shop.user(7307).history if "subscription was removed" in m.text]
    assert gone.find_button("Choose a plan") is not None
    assert (await stored(shop, 7307)).panel_status == "DELETED"


async def test_a_late_delivery_of_an_older_event_does_not_roll_the_record_back(time_shop: TimeShop) -> None:
    shop = time_shop
    await start_trial(shop, 7308)
    ref = panel_id(shop, 7308)
    first = shop.clock.now()
    old_body = shop.panel.webhook_body("user.modified", ref, timestamp=first)  # the panel's view then
    newer = first + timedelta(days=40)
    shop.panel.set_expiry(ref, newer)
    new_body = shop.panel.webhook_body("user.modified", ref, timestamp=first + timedelta(seconds=30))
    assert await post_webhook(shop, "", None, body=new_body) == (200, "ok")
    assert await post_webhook(shop, "", None, body=old_body) == (200, "ok")  # retried late by the panel
    assert abs((await stored(shop, 7308)).expires_at - newer) < timedelta(seconds=1)


async def test_first_connection_and_not_connected_messages(time_shop: TimeShop) -> None:
    shop = time_shop
    await start_trial(shop, 7309, language="ru")
    ref = panel_id(shop, 7309)
    meta = {"notConnectedAfterHours": 24}
    body = shop.panel.webhook_body("user.not_connected", ref, meta=meta, timestamp=shop.clock.now())
    assert await post_webhook(shop, "", None, body=body) == (200, "ok")
    shop.panel.set_used_traffic(ref, 1024)
    shop.clock.set(shop.clock.now() + timedelta(minutes=1))
    assert await post_webhook(shop, "user.first_connected", 7309) == (200, "ok")
    texts = [m.text for m in shop.user(7309).history]
    link = shop.panel.user(ref)["subscriptionUrl"]
    assert any("Вы ещё не подключились" in text and link in text for text in texts)
    assert any("VPN подключён" in text for text in texts)


async def test_a_device_event_updates_the_record_too_without_a_message(time_shop: TimeShop) -> None:
    shop = time_shop
    await start_trial(shop, 7310)
    ref = panel_id(shop, 7310)
    shop.panel._record(ref)["hwidDeviceLimit"] = 5  # raised by hand in the panel
    shop.panel.add_device(ref, "HWIDGGGG1111")
    before = len(shop.user(7310).history)
    body = shop.panel.webhook_body(
        "user_hwid_devices.added", ref, hwid="HWIDGGGG1111", timestamp=shop.clock.now()
    )
    assert await post_webhook(shop, "", None, body=body) == (200, "ok")
    assert (await stored(shop, 7310)).device_limit == 5
    assert len(shop.user(7310).history) == before
