"""Self-employed tax receipts, end to end: a customer pays (to the YooMoney wallet, through its page), the
order is credited at once, and exactly one income receipt is registered with the emulated "Мой налог" —
even while the service is down for an hour and two instances run the receipt job; the customer gets the
link; a refund cancels the receipt; a payment in Stars gets none (the rule), noted for the admin."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from remnastore.app import Application
from remnastore.config import load_settings
from remnastore.db.models import Order, TaxReceipt
from remnastore.emulators.nalogo import NalogoEmulator
from remnastore.emulators.panel import PanelEmulator
from remnastore.emulators.telegram import TelegramEmulator
from remnastore.emulators.yoomoney import SUBMIT_PATH, YooMoneyEmulator
from remnastore.infra.clock import ManualClock
from remnastore.payments.base import EventKind, PaymentEvent
from remnastore.receipts.client import NalogoClient
from remnastore.receipts.queue import TaxReceipts
from tests.fixtures.shop import ADMIN_ID, Shop, shop_settings

INN = "771234567890"
LOG_CHAT = -1009876543


@dataclass
class Setup:
    shop: Shop
    second: Application
    clock: ManualClock
    nalogo: NalogoEmulator
    wallet: YooMoneyEmulator

    async def run_both(self) -> None:
        """Both instances run the receipt job at the same moment."""
        await asyncio.gather(self.shop.app.tax_receipts.run_due(), self.second.tax_receipts.run_due())


@pytest.fixture
async def setup(
    database_url: str,
    redis_url: str | None,
    telegram_emulator: TelegramEmulator,
    panel_emulator: PanelEmulator,
) -> AsyncIterator[Setup]:
    clock = ManualClock(datetime.now(UTC))
    async with (
        NalogoEmulator(INN, secrets.token_urlsafe(12)) as nalogo,
        YooMoneyEmulator("4100118099990001", secrets.token_urlsafe(18)) as wallet,
    ):
        env = {
            "YOOMONEY_ENABLED": "true",
            "YOOMONEY_WALLET": wallet.wallet,
            "YOOMONEY_NOTIFICATION_SECRET": wallet.notification_secret,
            "YOOMONEY_QUICKPAY_URL": wallet.quickpay_url,
            "NALOGO_ENABLED": "true",
            "NALOGO_INN": INN,
            "NALOGO_PASSWORD": nalogo.seller.password,
            "NALOGO_API_URL": nalogo.api_url,
            "NALOGO_TIMEOUT": "3",
            "NALOGO_INTERVAL_SECONDS": "3600",  # the test runs the job itself, on both instances
            "LOG_CHAT_ID": str(LOG_CHAT),
        }
        settings = load_settings(
            None, shop_settings(database_url, telegram_emulator, panel_emulator, redis_url, env)
        )
        first = Application(settings, clock=clock)
        second = Application(settings, clock=clock)  # the other instance: same database, Redis, settings
        await first.start()
        telegram_emulator.add_chat(LOG_CHAT, title="Shop log")
        wallet.notify_url = f"http://127.0.0.1:{first.port}/webhooks/yoomoney"
        shop = Shop(first, telegram_emulator, panel_emulator, redis_url)
        try:
            yield Setup(shop, second, clock, nalogo, wallet)
        finally:
            await first.stop()
            await second.stop()


async def pay_with_yoomoney(setup: Setup, user_id: int) -> Order:
    buyer = setup.shop.user(user_id, first_name="Buyer", language_code="en")
    await buyer.wait_reply(await buyer.send("/start"))
    await buyer.wait_reply(await buyer.press("Buy subscription"))
    await buyer.wait_reply(await buyer.press("Standard"))
    await buyer.wait_reply(await buyer.press("1 month"))
    reply = await buyer.wait_reply(await buyer.press("YooMoney wallet"))
    pay_url = next(b.url for row in reply.buttons for b in row if b.url)
    async with aiohttp.ClientSession() as payer:
        async with payer.get(pay_url) as page:
            assert page.status == 200
        async with setup.shop.db.session() as session:
            order = (
                await session.scalars(
                    select(Order).where(Order.provider == "yoomoney").order_by(Order.created_at.desc())
                )
            ).first()
        assert order is not None
        form = {"transfer": setup.wallet.find(order.id).transfer_id, "action": "pay"}
        async with payer.post(f"{setup.wallet.url}{SUBMIT_PATH}", data=form, allow_redirects=False) as paid:
            assert paid.status == 303
    assert setup.wallet.deliveries[-1].status == 200
    await setup.shop.telegram.wait_until(
        lambda: any("Payment received" in m.text for m in buyer.messages), timeout=15
    )
    return order


async def receipt_row(setup: Setup, order_id: str) -> TaxReceipt:
    async with setup.shop.db.session() as session:
        row = (await session.scalars(select(TaxReceipt).where(TaxReceipt.order_id == order_id))).one()
    return row


async def attempted(setup: Setup, order_id: str) -> TaxReceipt:
    """Wait until the receipt run started by the payment itself has tried (and failed) once."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while True:
        row = await receipt_row(setup, order_id)
        if row.attempts >= 1 and row.status == "pending":
            return row
        assert loop.time() < deadline, "the payment did not start a receipt run"
        await asyncio.sleep(0.05)


async def test_one_receipt_per_paid_order_through_an_hour_long_outage_and_two_instances(setup: Setup) -> None:
    setup.nalogo.set_down(True)
    order = await pay_with_yoomoney(setup, 9801)  # the order is credited and fulfilled without the service
    async with setup.shop.db.session() as session:
        stored = await session.get(Order, order.id)
    assert stored is not None and stored.status == "fulfilled"
    for _ in range(12):  # an hour, five minutes at a time
        setup.clock.advance(timedelta(minutes=5))
        await setup.run_both()
    row = await receipt_row(setup, order.id)
    assert row.status in ("pending", "unknown") and row.attempts >= 3 and row.receipt_id is None
    assert "503" in (row.last_error or "")
    assert setup.nalogo.receipts == {}

    setup.nalogo.set_down(False)
    for _ in range(3):
        setup.clock.advance(timedelta(minutes=31))  # past the longest back-off
        await setup.run_both()
    row = await receipt_row(setup, order.id)
    assert row.status == "registered" and row.receipt_id is not None
    [receipt] = setup.nalogo.receipts_named(f"#{order.id}")
    assert receipt.receipt_id == row.receipt_id and len(setup.nalogo.receipts) == 1
    # the payment time (to the second), not the time of the successful retry
    assert receipt.total == 199 and receipt.operation_time == row.paid_at.replace(microsecond=0)
    buyer = setup.shop.user(9801)
    await setup.shop.telegram.wait_until(lambda: any("receipt" in m.text for m in buyer.messages), timeout=10)
    link = [b.url for m in buyer.messages for row_ in m.buttons for b in row_ if b.url and "/print" in b.url]
    assert link == [f"{setup.nalogo.api_url}/v1/receipt/{INN}/{row.receipt_id}/print"]


async def test_an_answer_lost_after_registration_is_found_not_sent_again(setup: Setup) -> None:
    setup.nalogo.store_then_fail()  # registered at the service, but the shop sees a 500
    order = await pay_with_yoomoney(setup, 9802)
    for _ in range(4):
        setup.clock.advance(timedelta(minutes=5))
        await setup.run_both()
    row = await receipt_row(setup, order.id)
    assert row.status == "registered"
    assert len(setup.nalogo.receipts_named(f"#{order.id}")) == 1 and setup.nalogo.counters.incomes == 1


async def test_a_refund_cancels_the_receipt(setup: Setup) -> None:
    order = await pay_with_yoomoney(setup, 9803)
    setup.clock.advance(timedelta(minutes=1))
    await setup.run_both()
    row = await receipt_row(setup, order.id)
    assert row.status == "registered" and row.receipt_id is not None
    async with setup.shop.db.session() as session:
        stored = await session.get(Order, order.id)
    assert stored is not None
    refund = PaymentEvent(
        provider="yoomoney",
        provider_payment_id=str(stored.provider_payment_id),
        kind=EventKind.REFUNDED,
        order_id=order.id,
        amount=stored.amount,
        occurred_at=setup.clock.now(),
    )
    await setup.shop.app.settlement.settle(refund)
    setup.nalogo.set_down(True)  # the cancellation waits for the service too
    setup.clock.advance(timedelta(minutes=1))
    await setup.run_both()
    assert setup.nalogo.receipts[row.receipt_id].cancellation is None
    setup.nalogo.set_down(False)
    setup.clock.advance(timedelta(minutes=10))
    await setup.run_both()
    cancellation = setup.nalogo.receipts[row.receipt_id].cancellation
    assert cancellation is not None and cancellation["comment"] == "Возврат средств"
    assert (await receipt_row(setup, order.id)).status == "cancelled"
    await setup.run_both()
    assert setup.nalogo.counters.cancels == 1


async def test_a_refused_receipt_is_listed_for_the_admin_and_retried(setup: Setup) -> None:
    setup.nalogo.fail_next(400, path_prefix="/api/v1/income")
    order = await pay_with_yoomoney(setup, 9804)
    setup.clock.advance(timedelta(minutes=1))
    await setup.run_both()
    assert (await receipt_row(setup, order.id)).status == "failed"
    telegram = setup.shop.telegram
    await telegram.wait_until(
        lambda: any(
            "refused a receipt" in str(c.params.get("text")) for c in telegram.calls_for("sendMessage")
        ),
        timeout=10,
    )
    admin = setup.shop.user(ADMIN_ID, first_name="Admin", language_code="en")
    await admin.wait_reply(await admin.send("/admin"))
    screen = await admin.wait_reply(await admin.press("Tax receipts"))
    assert order.id in screen.text and "refused by the tax service" in screen.text
    outsider = setup.shop.user(9899, first_name="Eve", language_code="en")
    await outsider.wait_reply(await outsider.send("/start"))
    retry_data = next(b.callback_data for row in screen.buttons for b in row if b.text.startswith("🔁"))
    assert retry_data is not None
    await outsider.press_data(retry_data)  # an admin button pressed by a customer changes nothing
    assert (await receipt_row(setup, order.id)).status == "failed"
    await admin.wait_reply(await admin.press("🔁"))
    setup.clock.advance(timedelta(minutes=1))
    await setup.run_both()
    assert (await receipt_row(setup, order.id)).status == "registered"
    assert len(setup.nalogo.receipts) == 1


async def test_other_currencies_get_no_receipt_by_rule_and_the_day_is_summed_up(setup: Setup) -> None:
    buyer = setup.shop.user(9805, first_name="Star", language_code="en")
    await buyer.wait_reply(await buyer.send("/start"))
    paid = await pay_with_yoomoney(setup, 9806)
    stars_order = Order(
        customer_id=(await receipt_row(setup, paid.id)).customer_id,
        kind="subscription",
        amount_minor=150,
        currency="XTR",
        provider="stars",
        tariff_code="standard",
        period_code="1m",
        days=30,
        meta={},
    )
    async with setup.shop.db.session() as session:
        session.add(stars_order)
    event = PaymentEvent(
        "stars", "charge-1", EventKind.PAID, stars_order.id, stars_order.amount, setup.clock.now()
    )
    await setup.shop.app.settlement.settle(event)
    setup.clock.advance(timedelta(minutes=1))
    await setup.run_both()
    skipped = await receipt_row(setup, stars_order.id)
    assert skipped.status == "skipped" and "XTR" in (skipped.note or "")
    assert len(setup.nalogo.receipts) == 1  # only the rouble payment
    await setup.shop.app.tax_receipts.post_daily_summary()
    telegram = setup.shop.telegram
    await telegram.wait_until(
        lambda: any(
            c.chat_id == LOG_CHAT and "last 24 hours" in str(c.params.get("text"))
            for c in telegram.calls_for("sendMessage")
        ),
        timeout=10,
    )
    summary = next(
        str(c.params["text"])
        for c in telegram.calls_for("sendMessage")
        if "last 24 hours" in str(c.params.get("text"))
    )
    assert "registered 1" in summary and "skipped 1" in summary


async def test_a_send_cut_short_by_a_crash_is_looked_up_not_sent_again(setup: Setup) -> None:
    setup.nalogo.set_down(True)
    order = await pay_with_yoomoney(setup, 9807)
    row = await attempted(setup, order.id)  # the run started by the payment has given up for now
    setup.nalogo.set_down(False)
    # An instance sent the receipt and died before it could store the answer: the service has it, the
    # row still says "sending".
    await setup.shop.app.tax_receipts.client.register_income(
        name=f"Доступ к VPN-сервису #{order.id}", amount_minor=row.amount_minor, paid_at=row.paid_at
    )
    async with setup.shop.db.session() as session:
        stored = await session.get(TaxReceipt, row.id)
        assert stored is not None
        stored.status = "sending"
        stored.updated_at = setup.clock.now()
        stored.next_attempt_at = setup.clock.now()
    await setup.run_both()
    assert (await receipt_row(setup, order.id)).status == "sending"  # within its lease: left alone
    setup.clock.advance(timedelta(minutes=2))
    await setup.run_both()
    row = await receipt_row(setup, order.id)
    assert row.status == "registered" and setup.nalogo.counters.incomes == 1
    [receipt] = setup.nalogo.receipts_named(f"#{order.id}")
    assert row.receipt_id == receipt.receipt_id


async def test_a_refund_that_comes_while_the_receipt_is_being_sent_cancels_it(setup: Setup) -> None:
    setup.nalogo.set_down(True)
    order = await pay_with_yoomoney(setup, 9808)
    await attempted(setup, order.id)
    setup.nalogo.set_down(False)
    setup.nalogo.set_latency(0.5)  # the service is slow: the refund overtakes the registration
    setup.clock.advance(timedelta(minutes=5))
    run = asyncio.ensure_future(setup.shop.app.tax_receipts.run_due())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while (await receipt_row(setup, order.id)).status != "sending":
        assert loop.time() < deadline and not run.done()
        await asyncio.sleep(0.02)
    async with setup.shop.db.session() as session:
        stored = await session.get(Order, order.id)
    assert stored is not None
    refund = PaymentEvent(
        provider="yoomoney",
        provider_payment_id=str(stored.provider_payment_id),
        kind=EventKind.REFUNDED,
        order_id=order.id,
        amount=stored.amount,
        occurred_at=setup.clock.now(),
    )
    await setup.shop.app.settlement.settle(refund)
    await run
    setup.nalogo.set_latency(0)
    row = await receipt_row(setup, order.id)
    assert row.status == "registered" and row.refunded_at is not None and row.receipt_id is not None
    setup.clock.advance(timedelta(minutes=1))
    await setup.run_both()
    assert (await receipt_row(setup, order.id)).status == "cancelled"
    assert setup.nalogo.receipts[row.receipt_id].cancellation is not None


async def test_a_refused_login_keeps_receipts_waiting_and_tells_the_log_chat_once(setup: Setup) -> None:
    setup.nalogo.set_down(True)
    order = await pay_with_yoomoney(setup, 9809)
    await attempted(setup, order.id)
    setup.nalogo.set_down(False)
    app = setup.shop.app
    wrong = app.settings.tax_receipts.model_copy(update={"password": SecretStr("not-the-password")})
    misconfigured = TaxReceipts(
        app.db, setup.clock, wrong, NalogoClient(wrong, setup.clock), shop_log=app.log_chat
    )
    try:
        for _ in range(3):
            setup.clock.advance(timedelta(minutes=31))
            await misconfigured.run_due()
    finally:
        await misconfigured.close()
    row = await receipt_row(setup, order.id)
    assert row.status == "pending" and "refused" in (row.last_error or "") and setup.nalogo.receipts == {}
    telegram = setup.shop.telegram

    def told() -> list[str]:
        return [
            str(c.params.get("text"))
            for c in telegram.calls_for("sendMessage")
            if c.chat_id == LOG_CHAT and "refused the login" in str(c.params.get("text"))
        ]

    await telegram.wait_until(lambda: bool(told()), timeout=10)
    assert len(told()) == 1 and "not-the-password" not in told()[0]
    setup.clock.advance(timedelta(minutes=31))
    await setup.run_both()  # the right credentials: the waiting receipt goes through
    assert (await receipt_row(setup, order.id)).status == "registered"


async def test_the_daily_summary_is_posted_once_a_day_across_restarts(setup: Setup) -> None:
    """Without Redis the scheduler's lock lives in the process: the day posted is kept in the database."""
    telegram = setup.shop.telegram

    def summaries() -> list[str]:
        return [
            str(c.params["text"])
            for c in telegram.calls_for("sendMessage")
            if c.chat_id == LOG_CHAT and "last 24 hours" in str(c.params.get("text"))
        ]

    await setup.shop.app.tax_receipts.post_daily_summary()
    await telegram.wait_until(lambda: len(summaries()) == 1, timeout=10)
    await setup.shop.app.stop()  # the shop is restarted: a new process on the same database

    await setup.second.start()
    second = Shop(setup.second, telegram, setup.shop.panel, None)
    await setup.second.tax_receipts.post_daily_summary()
    await second.idle()
    assert len(summaries()) == 1

    setup.clock.advance(timedelta(days=1))  # the next day has its own summary
    await setup.second.tax_receipts.post_daily_summary()
    await telegram.wait_until(lambda: len(summaries()) == 2, timeout=10)
