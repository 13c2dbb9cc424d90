"""A purchase paid to the seller's YooMoney wallet, end to end: the customer presses the method, opens the
quickpay page, pays there; YooMoney's signed notification credits the order exactly once, however many
copies arrive; forged and not-yet-accepted transfers credit nothing."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import pytest
from sqlalchemy import func, select

from remnastore.db.models import Order, PaymentEvent
from remnastore.emulators.yoomoney import SUBMIT_PATH, YooMoneyEmulator
from tests.fixtures.shop import Shop


@pytest.fixture
async def wallet() -> AsyncIterator[YooMoneyEmulator]:
    async with YooMoneyEmulator(
        "4100" + str(10**11 + secrets.randbelow(10**11)), secrets.token_urlsafe(18)
    ) as emu:
        yield emu


@pytest.fixture
def shop_env(wallet: YooMoneyEmulator) -> dict[str, str]:
    return {
        "YOOMONEY_ENABLED": "true",
        "YOOMONEY_WALLET": wallet.wallet,
        "YOOMONEY_NOTIFICATION_SECRET": wallet.notification_secret,
        "YOOMONEY_QUICKPAY_URL": wallet.quickpay_url,
    }


@pytest.fixture
def yoomoney(shop: Shop, wallet: YooMoneyEmulator) -> YooMoneyEmulator:
    wallet.notify_url = f"http://127.0.0.1:{shop.app.port}/webhooks/yoomoney"
    return wallet


async def buy(shop: Shop, user_id: int) -> tuple[Order, str]:
    buyer = shop.user(user_id, first_name="Buyer", language_code="en")
    await buyer.wait_reply(await buyer.send("/start"))
    await buyer.wait_reply(await buyer.press("Buy subscription"))
    await buyer.wait_reply(await buyer.press("Standard"))
    await buyer.wait_reply(await buyer.press("1 month"))
    reply = await buyer.wait_reply(await buyer.press("YooMoney wallet"))
    urls = [b.url for row in reply.buttons for b in row if b.url]
    assert urls, reply.text
    async with shop.db.session() as session:
        order = (await session.scalars(select(Order).where(Order.provider == "yoomoney"))).one()
    return order, urls[0]


async def open_and_pay(yoomoney: YooMoneyEmulator, pay_url: str, order: Order) -> None:
    async with aiohttp.ClientSession() as payer:
        async with payer.get(pay_url) as page:
            assert page.status == 200 and "199.00 RUB" in await page.text()
        form = {"transfer": yoomoney.find(order.id).transfer_id, "action": "pay"}
        async with payer.post(f"{yoomoney.url}{SUBMIT_PATH}", data=form, allow_redirects=False) as paid:
            assert paid.status == 303


async def paid_events(shop: Shop) -> int:
    async with shop.db.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(PaymentEvent).where(PaymentEvent.kind == "paid")
        )
    return int(count or 0)


async def test_paid_on_the_page_and_fifty_concurrent_duplicates_credit_once(
    shop: Shop, yoomoney: YooMoneyEmulator
) -> None:
    order, pay_url = await buy(shop, 9701)
    assert dict(parse_qsl(urlsplit(pay_url).query))["label"] == order.id
    await open_and_pay(yoomoney, pay_url, order)
    first = yoomoney.deliveries[-1]
    assert first.status == 200
    replies = await yoomoney.deliver_many(first, 50)
    assert {reply.status for reply in replies} == {200}
    buyer = shop.user(9701)
    await shop.telegram.wait_until(
        lambda: any("Payment received" in m.text for m in buyer.messages), timeout=15
    )
    async with shop.db.session() as session:
        stored = await session.get(Order, order.id)
    assert stored is not None and stored.status == "fulfilled"
    assert stored.provider_payment_id == first.extra["fields"]["operation_id"]
    await asyncio.sleep(0.3)  # any late duplicate would have been settled by now
    assert await paid_events(shop) == 1
    assert sum("Payment received" in m.text for m in buyer.history) == 1


async def test_forged_hash_and_codepro_or_unaccepted_credit_nothing(
    shop: Shop, yoomoney: YooMoneyEmulator
) -> None:
    order, pay_url = await buy(shop, 9702)
    async with aiohttp.ClientSession() as payer, payer.get(pay_url) as page:
        assert page.status == 200
    transfer = yoomoney.find(order.id).transfer_id
    forged = await yoomoney.deliver(yoomoney.pay(transfer, secret="not-the-secret"))
    assert forged.status == 401
    for flag in ("codepro", "unaccepted"):
        held = await yoomoney.deliver(yoomoney.pay(transfer, **{flag: "true"}))
        assert held.status == 200
    async with shop.db.session() as session:
        stored = await session.get(Order, order.id)
    assert stored is not None and stored.status == "pending" and stored.provider_payment_id is None
    assert await paid_events(shop) == 0
    assert shop.panel.user_by_telegram_id(9702) is None
    # the held transfer is accepted later: its notification without the flag credits the order once
    accepted = await yoomoney.deliver(yoomoney.pay(transfer))
    assert accepted.status == 200
    buyer = shop.user(9702)
    await shop.telegram.wait_until(
        lambda: any("Payment received" in m.text for m in buyer.messages), timeout=15
    )
    assert await paid_events(shop) == 1


async def test_a_payment_charged_for_less_is_recorded_not_credited(
    shop: Shop, yoomoney: YooMoneyEmulator
) -> None:
    order, pay_url = await buy(shop, 9703)
    async with aiohttp.ClientSession() as payer, payer.get(pay_url) as page:
        assert page.status == 200
    transfer = yoomoney.find(order.id).transfer_id
    reply = await yoomoney.deliver(yoomoney.pay(transfer, amount="9.70", withdraw_amount="10.00"))
    assert reply.status == 200
    async with shop.db.session() as session:
        stored = await session.get(Order, order.id)
    assert stored is not None and stored.status == "pending" and stored.meta.get("mismatch") == "amount"
