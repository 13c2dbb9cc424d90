"""Referral rewards end to end: bonus days to both sides exactly once, and the invitation screen."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from remnastore.db.models import Customer, ReferralReward
from remnastore.payments.stars import event_from_payment
from tests.e2e.test_purchase_stars import open_invoice, orders, panel_expiry
from tests.fixtures.shop import Shop
from tests.fixtures.text import shows


async def _trial(shop: Shop, user_id: int, payload: str = "") -> None:
    user = shop.user(user_id, first_name=f"U{user_id}", language_code="en")
    await user.wait_reply(await user.send(f"/start {payload}".strip()))
    await user.wait_reply(await user.press("Free trial"))
    await shop.telegram.wait_until(lambda: shop.panel.user_by_telegram_id(user_id) is not None, timeout=10)


async def _code(shop: Shop, telegram_id: int) -> str:
    async with shop.db.session() as session:
        customer = (await session.scalars(select(Customer).where(Customer.telegram_id == telegram_id))).one()
        return customer.referral_code


async def _buy(shop: Shop, user_id: int) -> str:
    buyer = shop.user(user_id)
    before = sum("Payment received" in m.text for m in buyer.messages)
    result = await buyer.pay_invoice(link=await open_invoice(shop, user_id))
    await shop.telegram.wait_until(
        lambda: sum("Payment received" in m.text for m in buyer.messages) > before, timeout=10
    )
    return str(result.charge_id)


async def _rewards(shop: Shop) -> list[str]:
    async with shop.db.session() as session:
        return sorted((await session.scalars(select(ReferralReward.kind))).all())


async def test_both_sides_get_their_days_once(shop: Shop) -> None:
    await _trial(shop, 9101)
    await _trial(shop, 9102, f"ref_{await _code(shop, 9101)}")
    inviter_before, invitee_before = panel_expiry(shop, 9101), panel_expiry(shop, 9102)

    charge = await _buy(shop, 9102)
    inviter = shop.user(9101)
    await shop.telegram.wait_until(
        lambda: any("Your friend paid" in m.text for m in inviter.messages), timeout=10
    )
    [order] = await orders(shop)
    invitee_after_purchase = panel_expiry(shop, 9102)
    assert panel_expiry(shop, 9101) == inviter_before + timedelta(days=7)
    # the month was added to the trial's end, then the 3 bonus days on top
    assert invitee_after_purchase - invitee_before > timedelta(days=30)
    assert any("+3 days" in m.text for m in shop.user(9102).messages)

    event = event_from_payment(
        telegram_user_id=9102, payload=order.id, charge_id=charge, total_amount=150, currency="XTR"
    )
    await asyncio.gather(*(shop.app.settlement.settle(event) for _ in range(5)))
    await shop.app.fulfilment.fulfil(order.id)
    await shop.app.referrals.reward(order.id)
    await shop.idle()
    assert panel_expiry(shop, 9101) == inviter_before + timedelta(days=7)
    assert panel_expiry(shop, 9102) == invitee_after_purchase
    assert await _rewards(shop) == ["invitee_days", "inviter_days"]

    # a second purchase gives nothing more (REFERRAL_EVERY_PAYMENT is false by default)
    await _buy(shop, 9102)
    await shop.idle()  # the purchase's fulfilment and its referral step have finished
    assert panel_expiry(shop, 9101) == inviter_before + timedelta(days=7)
    assert await _rewards(shop) == ["invitee_days", "inviter_days"]

    reply = await inviter.wait_reply(await inviter.send("/referrals"))
    assert shows("Invited: 1", reply.text) and shows("Paid: 1", reply.text), reply.text
    assert f"ref_{await _code(shop, 9101)}" in reply.text


async def test_self_referral_gives_nothing(shop: Shop) -> None:
    await _trial(shop, 9201)
    code = await _code(shop, 9201)
    me = shop.user(9201)
    await me.wait_reply(await me.send(f"/start ref_{code}"))
    before = panel_expiry(shop, 9201)
    await _buy(shop, 9201)
    await shop.idle()  # the purchase's fulfilment and its referral step have finished
    assert await _rewards(shop) == []
    # exactly the month, no bonus days
    assert panel_expiry(shop, 9201) - before < timedelta(days=32)
    reply = await me.wait_reply(await me.send("/referrals"))
    assert "Invited: <b>0</b>" in reply.text or shows("Invited: 0", reply.text), reply.text


async def test_an_existing_customer_cannot_be_referred_later(shop: Shop) -> None:
    await _trial(shop, 9301)
    await _trial(shop, 9302)  # already a customer
    late = shop.user(9302)
    await late.wait_reply(await late.send(f"/start ref_{await _code(shop, 9301)}"))
    await _buy(shop, 9302)
    await shop.idle()  # the purchase's fulfilment and its referral step have finished
    assert await _rewards(shop) == []
