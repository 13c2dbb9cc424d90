"""Expiry reminders (C12): from the shop's own scheduler, once per subscription period, with a renew
button; panel webhooks as an extra signal that never makes a reminder go out twice.

The shop runs with a ManualClock: time travels, nothing sleeps.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from remnastore.app import Application
from remnastore.bot.reminders import TelegramReminderSender
from remnastore.config import load_settings
from remnastore.db.models import Customer, ReminderSent, Subscription
from remnastore.db.repositories.reminders import ReminderRepository
from remnastore.db.session import Database
from remnastore.emulators.panel import PanelEmulator, sign_webhook
from remnastore.emulators.telegram import FakeUser, TelegramEmulator
from remnastore.emulators.telegram_state import BotMessage
from remnastore.infra.clock import ManualClock
from remnastore.services.reminders import ReminderService
from remnastore.web.panel_webhooks import PanelWebhooks
from tests.fixtures.cabinet import Browser
from tests.fixtures.shop import shop_settings

PANEL_SECRET = "Rm7" + "x4Kq9" * 12 + "Z"  # letters and digits, 64 characters, like the panel wants
REMINDER_BUTTONS = {"🚀 Choose a plan", "🔄 Renew", "🚀 Выбрать тариф", "🔄 Продлить"}


@dataclass
class Reminders:
    service: ReminderService
    webhooks: PanelWebhooks


@dataclass
class TimeShop:
    app: Application
    clock: ManualClock
    telegram: TelegramEmulator
    panel: PanelEmulator
    reminders: Reminders

    @property
    def db(self) -> Database:
        return self.app.db

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.app.port}/webhooks/panel"

    def user(self, user_id: int, **kwargs: Any) -> FakeUser:
        return self.telegram.user(user_id, **kwargs)


@pytest.fixture
def reminder_env() -> dict[str, str]:
    """Reminder settings of the shop under test; a test parametrises this to change them."""
    return {}


@pytest.fixture
def panel_secret() -> str | None:
    return PANEL_SECRET


@pytest.fixture
async def time_shop(
    database_url: str,
    redis_url: str | None,
    telegram_emulator: TelegramEmulator,
    panel_emulator: PanelEmulator,
    reminder_env: dict[str, str],
    panel_secret: str | None,
) -> AsyncIterator[TimeShop]:
    # A long interval: the tests drive every run of the job themselves.
    extra = {
        "TRIAL_DAYS": "7",
        "PANEL_WEBHOOK_SECRET": panel_secret or "",
        "REMINDER_INTERVAL_SECONDS": "3600",
        **reminder_env,
    }
    settings = load_settings(
        None, shop_settings(database_url, telegram_emulator, panel_emulator, redis_url, extra)
    )
    clock = ManualClock(datetime.now(UTC))
    app = Application(settings, clock=clock)
    reminders = Reminders(app.reminders, app.panel_webhooks)
    await app.start()
    try:
        yield TimeShop(app, clock, telegram_emulator, panel_emulator, reminders)
    finally:
        await app.stop()


def reminders_of(user: FakeUser) -> list[BotMessage]:
    return [m for m in user.history if REMINDER_BUTTONS & set(m.button_texts)]


async def start_trial(shop: TimeShop, telegram_id: int, language: str = "en") -> datetime:
    """The customer takes the trial; the local expiry of their subscription."""
    user = shop.user(telegram_id, first_name="Trial", language_code=language)
    await user.wait_reply(await user.send("/start"))
    await user.wait_reply(await user.press("🎁"))
    return await local_expiry(shop, telegram_id)


async def local_expiry(shop: TimeShop, telegram_id: int) -> datetime:
    async with shop.db.session() as session:
        query = (
            select(Subscription.expires_at)
            .join(Customer, Customer.id == Subscription.customer_id)
            .where(Customer.telegram_id == telegram_id)
        )
        expires = await session.scalar(query)
    assert expires is not None
    return expires


async def customer_of(shop: TimeShop, telegram_id: int) -> Customer:
    async with shop.db.session() as session:
        row = await session.scalar(select(Customer).where(Customer.telegram_id == telegram_id))
    assert row is not None
    return row


async def recorded(shop: TimeShop, telegram_id: int) -> list[tuple[datetime, int]]:
    customer = await customer_of(shop, telegram_id)
    async with shop.db.session() as session:
        rows = await ReminderRepository(session).sent(customer.id)
    return [(row.expires_at, row.offset_hours) for row in rows]


async def post_webhook(
    shop: TimeShop,
    event: str,
    telegram_id: int | None,
    *,
    meta: Mapping[str, Any] | None = None,
    secret: str = PANEL_SECRET,
    at: datetime | None = None,
    body: bytes | None = None,
) -> tuple[int, str]:
    """Deliver a webhook signed like the panel's, stamped with the shop's (travelled) time."""
    if body is None:
        ref = None
        if telegram_id is not None:
            user = shop.panel.user_by_telegram_id(telegram_id)
            assert user is not None
            ref = user["id"]
        body = shop.panel.webhook_body(event, ref, meta=meta, timestamp=at or shop.clock.now())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Remnawave",
        "X-Remnawave-Signature": sign_webhook(body, secret),
    }
    timeout = aiohttp.ClientTimeout(total=10)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.post(shop.webhook_url, data=body, headers=headers) as reply,
    ):
        text = await reply.text()
    await shop.reminders.webhooks.wait_idle()
    return reply.status, text


async def run_due(shop: TimeShop) -> int:
    return await shop.reminders.service.run_due()


async def test_a_trial_gets_each_reminder_once_with_a_renew_button(time_shop: TimeShop) -> None:
    shop = time_shop
    expires = await start_trial(shop, 7101)
    alice = shop.user(7101)
    assert await run_due(shop) == 0, "nothing is due right after the trial starts"

    shop.clock.set(expires - timedelta(hours=72))
    assert await shop.app.scheduler.run_now("reminders")  # the scheduler's own job
    [first] = reminders_of(alice)
    assert "Your free trial ends in 3 days" in first.text
    assert "/cabinet/login" not in first.text  # the cabinet is off: no sign-in link
    assert first.find_button("Choose a plan") is not None
    assert first.find_button("Choose a plan").callback_data == "n:buy"  # type: ignore[union-attr]
    assert await run_due(shop) == 0
    assert len(reminders_of(alice)) == 1

    shop.clock.set(expires - timedelta(hours=23, minutes=59))
    assert await run_due(shop) == 1
    assert await run_due(shop) == 0
    assert "ends in 1 day" in reminders_of(alice)[-1].text

    shop.clock.set(expires + timedelta(minutes=1))
    assert await run_due(shop) == 1
    assert "Your free trial has ended" in reminders_of(alice)[-1].text

    shop.clock.set(expires + timedelta(hours=24))
    assert await run_due(shop) == 1
    assert "Your free trial ended 1 day ago" in reminders_of(alice)[-1].text

    shop.clock.set(expires + timedelta(days=5))
    assert await run_due(shop) == 0
    assert len(reminders_of(alice)) == 4
    assert await recorded(shop, 7101) == [(expires, -72), (expires, -24), (expires, 0), (expires, 24)]

    # The button opens the shop's plans.
    reply = await alice.wait_reply(await alice.press("Choose a plan"))
    assert reply.find_button("Standard") is not None


async def test_a_renewal_gets_its_own_reminders(time_shop: TimeShop) -> None:
    shop = time_shop
    expires = await start_trial(shop, 7102)
    shop.clock.set(expires - timedelta(hours=24))
    assert await run_due(shop) == 1

    later = expires + timedelta(days=30)
    customer = await customer_of(shop, 7102)
    async with shop.db.session() as session:
        subscription = await session.scalar(
            select(Subscription).where(Subscription.customer_id == customer.id)
        )
        assert subscription is not None
        subscription.kind = "paid"
        subscription.expires_at = later
    panel_user = shop.panel.user_by_telegram_id(7102)
    assert panel_user is not None
    shop.panel.set_expiry(panel_user["id"], later)  # the renewal reached the panel too
    shop.clock.set(expires + timedelta(hours=1))
    assert await run_due(shop) == 0, "the old expiry is gone: no 'expired' message after a renewal"

    shop.clock.set(later - timedelta(hours=24))
    assert await run_due(shop) == 1
    message = reminders_of(shop.user(7102))[-1]
    assert "Your subscription ends in 1 day" in message.text
    assert message.find_button("Renew") is not None
    assert (later, -24) in await recorded(shop, 7102)


@pytest.mark.parametrize("reminder_env", [{"REMINDER_HOURS": "168,24"}])
async def test_a_restarted_shop_sends_only_the_latest_due_reminder(time_shop: TimeShop) -> None:
    shop = time_shop
    expires = await start_trial(shop, 7103, language="ru")
    # A 7-day trial does not get its "7 days left" reminder the moment it starts.
    assert await run_due(shop) == 0

    # The shop was down from 3 days before expiry until 2 hours after it.
    shop.clock.set(expires + timedelta(hours=2))
    assert await run_due(shop) == 1
    [only] = reminders_of(shop.user(7103))
    assert "Пробный период закончился." in only.text
    assert only.find_button("Выбрать тариф") is not None
    assert await recorded(shop, 7103) == [(expires, 0)]

    # Long after the look-back window nothing old is sent any more.
    shop.clock.set(expires + timedelta(days=4))
    assert await run_due(shop) == 0


async def test_russian_texts_use_plural_forms(time_shop: TimeShop) -> None:
    shop = time_shop
    expires = await start_trial(shop, 7104, language="ru")
    shop.clock.set(expires - timedelta(hours=72))
    assert await run_due(shop) == 1
    assert "Пробный период закончится через 3 дня" in reminders_of(shop.user(7104))[-1].text


async def test_a_customer_who_blocked_the_bot_is_marked_and_skipped(time_shop: TimeShop) -> None:
    shop = time_shop
    expires = await start_trial(shop, 7105)
    await start_trial(shop, 7106)
    shop.telegram.block(7105, notify=False)

    shop.clock.set(expires - timedelta(hours=72))
    assert await run_due(shop) == 1, "only the customer who can be reached counts"
    assert (await customer_of(shop, 7105)).blocked_bot_at == shop.clock.now()
    assert len(reminders_of(shop.user(7106))) == 1
    sends = [c for c in shop.telegram.calls_for("sendMessage") if c.chat_id == 7105]
    assert [c.error_code for c in sends if not c.ok] == [403]

    shop.telegram.unblock(7105, notify=False)  # nobody told the shop: it keeps its note
    shop.clock.set(expires - timedelta(hours=24))
    assert await run_due(shop) == 1
    after = [c for c in shop.telegram.calls_for("sendMessage") if c.chat_id == 7105]
    assert len(after) == len(sends), "a blocked customer is not written to again"
    assert reminders_of(shop.user(7105)) == []


async def test_two_instances_send_a_reminder_once(time_shop: TimeShop) -> None:
    shop = time_shop
    expires = await start_trial(shop, 7107)
    other_db = Database(shop.db.url)  # a second instance: its own connections to the same database
    try:
        other = ReminderService(
            other_db,
            TelegramReminderSender(shop.app.bot, shop.app.locales, shop.app.renderer),
            shop.clock,
            offsets=[-72, -24, 0, 24],
            pace_seconds=0,
        )
        shop.clock.set(expires - timedelta(hours=24))
        results = await asyncio.gather(*(s.run_due() for s in (shop.reminders.service, other) * 3))
    finally:
        await other_db.dispose()
    assert sum(results) == 1
    assert len(reminders_of(shop.user(7107))) == 1


async def test_panel_webhook_sends_a_due_reminder_once_with_the_scheduler(time_shop: TimeShop) -> None:
    shop = time_shop
    expires = await start_trial(shop, 7108)
    bob = shop.user(7108)

    # Panel first: the webhook sends it, the scheduler finds it recorded.
    shop.clock.set(expires - timedelta(hours=72))
    assert await post_webhook(shop, "user.expiration", 7108, meta={"expiration": -72}) == (200, "ok")
    assert len(reminders_of(bob)) == 1 and "ends in 3 days" in reminders_of(bob)[0].text
    assert await run_due(shop) == 0

    # Scheduler first: the panel's later announcement (new name and legacy name) changes nothing.
    shop.clock.set(expires - timedelta(hours=24))
    assert await run_due(shop) == 1
    assert await post_webhook(shop, "user.expiration", 7108, meta={"expiration": -24}) == (200, "ok")
    assert await post_webhook(shop, "user.expires_in_24_hours", 7108) == (200, "duplicate")
    shop.clock.advance(timedelta(minutes=1))  # a later delivery of the legacy name: a new event
    assert await post_webhook(shop, "user.expires_in_24_hours", 7108) == (200, "ok")
    assert len(reminders_of(bob)) == 2

    # The panel's "expired" is the reminder at expiry; a repeated delivery is dropped.
    shop.clock.set(expires + timedelta(seconds=30))
    panel_user = shop.panel.user_by_telegram_id(7108)
    assert panel_user is not None
    body = shop.panel.webhook_body("user.expired", panel_user["id"], timestamp=shop.clock.now())
    assert await post_webhook(shop, "", None, body=body) == (200, "ok")
    assert await post_webhook(shop, "", None, body=body) == (200, "duplicate")
    assert len(reminders_of(bob)) == 3 and "has ended" in reminders_of(bob)[-1].text
    assert await run_due(shop) == 0
    assert await recorded(shop, 7108) == [(expires, -72), (expires, -24), (expires, 0)]


async def test_panel_webhook_is_checked_before_anything_happens(time_shop: TimeShop) -> None:
    shop = time_shop
    expires = await start_trial(shop, 7109)
    shop.clock.set(expires - timedelta(hours=71))
    meta = {"expiration": -72}

    forged = await post_webhook(shop, "user.expiration", 7109, meta=meta, secret="W" * 64)
    assert forged[0] == 401
    stale = await post_webhook(
        shop, "user.expiration", 7109, meta=meta, at=shop.clock.now() - timedelta(days=2)
    )
    assert stale[0] == 400
    assert await post_webhook(shop, "", None, body=b'{"event": "user.expiration"') == (400, "refused")
    async with aiohttp.ClientSession() as session, session.post(shop.webhook_url, data=b"{}") as reply:
        assert reply.status == 401  # no signature at all
    assert await post_webhook(shop, "user.modified", 7109) == (200, "ok")  # applied to the records
    assert await post_webhook(shop, "service.panel_started", None) == (200, "ignored")
    assert reminders_of(shop.user(7109)) == []
    assert await recorded(shop, 7109) == []

    # The panel's idea of the moment is not trusted: locally the 24-hour reminder is two days away.
    assert await post_webhook(shop, "user.expiration", 7109, meta={"expiration": -24}) == (200, "ok")
    assert reminders_of(shop.user(7109)) == []
    # The same delivery as the refused ones, now genuine, is acted on.
    assert await post_webhook(shop, "user.expiration", 7109, meta=meta) == (200, "ok")
    assert len(reminders_of(shop.user(7109))) == 1
    assert await recorded(shop, 7109) == [(expires, -72)]


async def test_panel_webhook_for_an_unknown_customer_sends_nothing(time_shop: TimeShop) -> None:
    shop = time_shop
    stranger = shop.panel.add_user(username="someone_else", telegramId=424242)
    body = shop.panel.webhook_body(
        "user.expiration", stranger["id"], meta={"expiration": -24}, timestamp=shop.clock.now()
    )
    assert await post_webhook(shop, "", None, body=body) == (200, "ok")
    assert shop.telegram.calls_for("sendMessage") == []
    async with shop.db.session() as session:
        assert list(await session.scalars(select(ReminderSent))) == []


@pytest.mark.parametrize("panel_secret", [None])
async def test_without_a_secret_the_panel_route_does_not_exist(time_shop: TimeShop) -> None:
    status, _ = await post_webhook(time_shop, "service.panel_started", None)
    assert status == 404


@pytest.mark.parametrize("reminder_env", [{"REMINDERS_ENABLED": "false"}])
async def test_reminders_can_be_turned_off(time_shop: TimeShop) -> None:
    shop = time_shop
    expires = await start_trial(shop, 7110)
    shop.clock.set(expires - timedelta(hours=24))
    assert await run_due(shop) == 0
    # The event still updates the shop's record of the panel user; no reminder goes out.
    assert await post_webhook(shop, "user.expiration", 7110, meta={"expiration": -24}) == (200, "ok")
    assert reminders_of(shop.user(7110)) == []


CABINET_ENV = {"CABINET_ENABLED": "true", "PUBLIC_URL": "http://shop.example"}
REMINDER_LINK_RE = re.compile(r"http://shop\.example/cabinet/login#([\w.-]+)")


def reminder_link(message: BotMessage) -> str:
    """The sign-in token of the personal cabinet link in a reminder's text."""
    found = REMINDER_LINK_RE.search(message.text)
    assert found is not None, message.text
    return found.group(1)


@pytest.fixture
async def browsers(time_shop: TimeShop) -> AsyncIterator[list[Browser]]:
    opened = [Browser(f"http://127.0.0.1:{time_shop.app.port}/cabinet") for _ in range(2)]
    yield opened
    for browser in opened:
        await browser.close()


@pytest.mark.parametrize("reminder_env", [CABINET_ENV])
async def test_a_reminder_carries_a_cabinet_link_that_signs_in_once(
    time_shop: TimeShop, browsers: list[Browser], caplog: pytest.LogCaptureFixture
) -> None:
    shop = time_shop
    caplog.set_level("DEBUG")
    expires = await start_trial(shop, 7111)
    shop.clock.set(expires - timedelta(hours=24))
    assert await run_due(shop) == 1
    [message] = reminders_of(shop.user(7111))
    assert "Your free trial ends in 1 day" in message.text
    assert "signs you in once, within 72 hours" in message.text
    token = reminder_link(message)
    first, second = browsers
    status, _, _ = await first.post("/login", {"token": token})
    assert status == 303
    status, page, _ = await first.get("/")
    assert status == 200 and "My subscription" in page
    status, page, _ = await second.post("/login", {"token": token})
    assert status == 403 and "no longer valid" in page
    assert token not in caplog.text and token[:20] not in caplog.text

    # the expiry notice carries a new link of its own, in the customer's language
    shop.clock.set(expires + timedelta(minutes=1))
    assert await run_due(shop) == 1
    notice = reminders_of(shop.user(7111))[-1]
    assert "Your free trial has ended" in notice.text and reminder_link(notice) != token
    assert (await second.post("/login", {"token": reminder_link(notice)}))[0] == 303


@pytest.mark.parametrize("reminder_env", [CABINET_ENV | {"CABINET_REMINDER_LINK_HOURS": "48"}])
async def test_a_reminders_link_is_refused_after_its_lifetime(
    time_shop: TimeShop, browsers: list[Browser]
) -> None:
    shop = time_shop
    expires = await start_trial(shop, 7112, language="ru")
    shop.clock.set(expires - timedelta(hours=72))
    assert await run_due(shop) == 1
    shop.clock.set(expires - timedelta(hours=24))
    assert await run_due(shop) == 1
    earlier, later = reminders_of(shop.user(7112))
    assert "входит в кабинет один раз в течение 48 часов" in earlier.text
    shop.clock.set(expires - timedelta(hours=24) + timedelta(hours=47, minutes=59))
    status, page, _ = await browsers[0].post("/login", {"token": reminder_link(earlier)})
    assert status == 403 and "no longer valid" in page  # 48 hours and a minute old
    assert (await browsers[1].post("/login", {"token": reminder_link(later)}))[0] == 303  # 47:59 old


@pytest.mark.parametrize("reminder_env", [CABINET_ENV])
async def test_signing_out_everywhere_voids_a_reminders_link(
    time_shop: TimeShop, browsers: list[Browser]
) -> None:
    shop = time_shop
    expires = await start_trial(shop, 7113)
    shop.clock.set(expires - timedelta(hours=72))
    assert await run_due(shop) == 1
    shop.clock.set(expires - timedelta(hours=24))
    assert await run_due(shop) == 1
    earlier, later = (reminder_link(m) for m in reminders_of(shop.user(7113)))
    first, second = browsers
    assert (await first.post("/login", {"token": earlier}))[0] == 303
    status, _, _ = await first.post("/logout-everywhere", {"csrf": await first.csrf()})
    assert status == 303
    assert (await second.post("/login", {"token": later}))[0] == 403
