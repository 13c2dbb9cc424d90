"""Referral commission: a percent of the invitee's payment credited to the inviter's balance, once."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from remnastore.db.models import BalanceEntry, Customer, Order, ReferralReward
from tests.fixtures.providers import PaymentEmulators
from tests.fixtures.shop import Shop


@pytest.fixture
def shop_env(payment_emulators: PaymentEmulators) -> dict[str, str]:
    return {
        **payment_emulators.settings(),
        "BALANCE_ENABLED": "true",
        "REFERRAL_COMMISSION_PERCENT": "10",
        "REFERRAL_INVITER_DAYS": "",
        "REFERRAL_INVITEE_DAYS": "",
    }


async def _customer(shop: Shop, telegram_id: int) -> Customer:
    async with shop.db.session() as session:
        customer = await session.scalar(select(Customer).where(Customer.telegram_id == telegram_id))
        assert customer is not None
        return customer


async def _ledger(shop: Shop, telegram_id: int) -> list[tuple[str, int]]:
    customer = await _customer(shop, telegram_id)
    async with shop.db.session() as session:
        rows = await session.scalars(
            select(BalanceEntry).where(BalanceEntry.customer_id == customer.id).order_by(BalanceEntry.id)
        )
        return [(row.reason, row.delta_minor) for row in rows]


async def test_inviter_earns_ten_percent_of_a_rub_payment_once(
    shop: Shop, payment_emulators: PaymentEmulators
) -> None:
    payment_emulators.point_at(f"http://127.0.0.1:{shop.app.port}")
    inviter = shop.user(9601, first_name="Ann", language_code="en")
    await inviter.wait_reply(await inviter.send("/start"))
    code = (await _customer(shop, 9601)).referral_code

    friend = shop.user(9602, first_name="Bob", language_code="en")
    await friend.wait_reply(await friend.send(f"/start ref_{code}"))
    before = await inviter.wait_reply(await inviter.send("/referrals"))
    assert "Earned to balance" not in before.text, before.text
    await friend.wait_reply(await friend.send("/buy"))
    await friend.wait_reply(await friend.press("Standard"))
    await friend.wait_reply(await friend.press("1 month"))
    await friend.wait_reply(await friend.press("YooKassa"))
    async with shop.db.session() as session:
        order = (await session.scalars(select(Order))).one()
    assert (order.currency, order.amount_minor) == ("RUB", 19900)

    delivery = payment_emulators.yookassa.pay(str(order.provider_payment_id))
    # the provider repeats its notification: the commission is still credited once
    replies = await asyncio.gather(*(payment_emulators.yookassa.deliver(delivery) for _ in range(3)))
    assert all(reply.status == 200 for reply in replies)
    await shop.telegram.wait_until(
        lambda: any("Payment received" in m.text for m in friend.messages), timeout=10
    )
    await shop.telegram.wait_until(
        lambda: any("credited to your balance" in m.text for m in inviter.messages), timeout=10
    )
    await shop.app.referrals.reward(order.id)  # a second attempt (as a retry would do) grants nothing more
    await shop.idle()

    assert sum("credited to your balance" in m.text for m in inviter.messages) == 1
    assert await _ledger(shop, 9601) == [("referral", 1990)]
    assert (await _customer(shop, 9601)).balance_minor == 1990
    async with shop.db.session() as session:
        kinds = (await session.scalars(select(ReferralReward.kind))).all()
    assert list(kinds) == ["commission"]
    reply = await inviter.wait_reply(await inviter.send("/balance"))
    assert "19.90" in reply.text
    # the numbers seen before the payment are not shown again
    screen = await inviter.wait_reply(await inviter.send("/referrals"))
    earned = [line for line in screen.text.splitlines() if line.startswith("Earned to balance")]
    assert len(earned) == 1 and "19.90" in earned[0], screen.text


async def test_no_commission_without_an_inviter(shop: Shop, payment_emulators: PaymentEmulators) -> None:
    payment_emulators.point_at(f"http://127.0.0.1:{shop.app.port}")
    alone = shop.user(9603, first_name="Cid", language_code="en")
    await alone.wait_reply(await alone.send("/start"))
    await alone.wait_reply(await alone.send("/buy"))
    await alone.wait_reply(await alone.press("Standard"))
    await alone.wait_reply(await alone.press("1 month"))
    await alone.wait_reply(await alone.press("YooKassa"))
    async with shop.db.session() as session:
        order = (await session.scalars(select(Order))).one()
    await payment_emulators.yookassa.deliver(payment_emulators.yookassa.pay(str(order.provider_payment_id)))
    await shop.telegram.wait_until(
        lambda: any("Payment received" in m.text for m in alone.messages), timeout=10
    )
    async with shop.db.session() as session:
        assert (await session.scalars(select(ReferralReward))).all() == []
        assert (await session.scalars(select(BalanceEntry))).all() == []


async def test_a_refunded_payment_takes_the_commission_back_once(
    shop: Shop, payment_emulators: PaymentEmulators
) -> None:
    """Before, the inviter kept the 19.90 of a refunded payment."""
    payment_emulators.point_at(f"http://127.0.0.1:{shop.app.port}")
    inviter = shop.user(9611, first_name="Ann", language_code="en")
    await inviter.wait_reply(await inviter.send("/start"))
    code = (await _customer(shop, 9611)).referral_code
    friend = shop.user(9612, first_name="Bob", language_code="en")
    await friend.wait_reply(await friend.send(f"/start ref_{code}"))
    await friend.wait_reply(await friend.send("/buy"))
    await friend.wait_reply(await friend.press("Standard"))
    await friend.wait_reply(await friend.press("1 month"))
    await friend.wait_reply(await friend.press("YooKassa"))
    async with shop.db.session() as session:
        order = (await session.scalars(select(Order))).one()
    await payment_emulators.yookassa.deliver(payment_emulators.yookassa.pay(str(order.provider_payment_id)))
    await shop.telegram.wait_until(
        lambda: any("credited to your balance" in m.text for m in inviter.messages), timeout=10
    )
    assert (await _customer(shop, 9611)).balance_minor == 1990

    refund = payment_emulators.yookassa.refund(str(order.provider_payment_id))
    for _ in range(2):  # the provider repeats its notification
        assert (await payment_emulators.yookassa.deliver(refund)).status == 200
    await shop.telegram.wait_until(lambda: any("refund" in m.text.lower() for m in friend.messages), 10)

    assert (await _customer(shop, 9611)).balance_minor == 0
    assert await _ledger(shop, 9611) == [("referral", 1990), ("refund", -1990)]
