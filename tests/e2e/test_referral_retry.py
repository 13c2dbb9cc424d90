"""A referral reward the panel could not take at first is kept pending and given by the retry job,
once, instead of being lost. The shop runs on a ManualClock; the test drives the job itself."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from remnastore.db.models import Order, ReferralReward, SubscriptionPeriod
from remnastore.emulators.telegram import FakeUser
from tests.fixtures.renew_shop import RenewShop, eventually


def panel_expiry(shop: RenewShop, telegram_id: int) -> datetime:
    user = shop.panel.user_by_telegram_id(telegram_id)
    assert user is not None
    return datetime.fromisoformat(user["expireAt"].replace("Z", "+00:00"))


async def trial(shop: RenewShop, telegram_id: int, payload: str = "") -> FakeUser:
    user = shop.user(telegram_id, first_name=f"U{telegram_id}", language_code="en")
    await user.wait_reply(await user.send(f"/start {payload}".strip()))
    await user.wait_reply(await user.press("Free trial"))
    await shop.telegram.wait_until(
        lambda: shop.panel.user_by_telegram_id(telegram_id) is not None, timeout=10
    )
    return user


async def rewards(shop: RenewShop) -> dict[str, ReferralReward]:
    async with shop.db.session() as session:
        return {r.kind: r for r in (await session.scalars(select(ReferralReward))).all()}


async def test_inviter_days_survive_a_panel_failure_and_are_given_once(renew_shop: RenewShop) -> None:
    shop = renew_shop
    inviter = await trial(shop, 9801)
    code = (await shop.customer(9801)).referral_code
    invitee = await trial(shop, 9802, f"ref_{code}")
    inviter_ref = (await shop.customer(9801)).panel_user_id
    assert inviter_ref is not None
    before = panel_expiry(shop, 9801)

    # the panel fails every lookup of the inviter (first try and the client's retries) during the reward
    shop.panel.fail_next(3, 500, path_prefix=f"/api/users/{inviter_ref}", method="GET")
    await invitee.wait_reply(await invitee.send("/buy"))
    await invitee.wait_reply(await invitee.press("Standard"))
    await invitee.wait_reply(await invitee.press("1 month"))
    await invitee.wait_reply(await invitee.press("YooKassa"))
    async with shop.db.session() as session:
        order = (await session.scalars(select(Order))).one()
    delivery = shop.yookassa.pay(str(order.provider_payment_id))
    assert (await shop.yookassa.deliver(delivery)).status == 200
    await shop.telegram.wait_until(lambda: any("+3 days" in m.text for m in invitee.messages), timeout=15)

    async def inviter_pending() -> ReferralReward | None:
        reward = (await rewards(shop)).get("inviter_days")
        return reward if reward is not None and reward.next_attempt_at is not None else None

    pending = await eventually(inviter_pending)
    assert pending.granted_at is None
    assert panel_expiry(shop, 9801) == before
    assert not any("Your friend paid" in m.text for m in inviter.messages)
    assert (await rewards(shop))["invitee_days"].granted_at is not None

    # not due yet: nothing; after the back-off the job gives the days, once
    assert shop.app.referrals is not None
    assert await shop.app.referrals.grant_pending() == 0
    shop.clock.advance(timedelta(minutes=2))
    assert await shop.app.referrals.grant_pending() == 1
    assert panel_expiry(shop, 9801) == before + timedelta(days=7)
    await shop.telegram.wait_until(
        lambda: any("Your friend paid" in m.text for m in inviter.messages), timeout=10
    )
    shop.clock.advance(timedelta(hours=2))
    assert await shop.app.referrals.grant_pending() == 0
    assert panel_expiry(shop, 9801) == before + timedelta(days=7)
    granted = await rewards(shop)
    assert sorted(granted) == ["invitee_days", "inviter_days"]
    assert all(r.granted_at is not None for r in granted.values())


async def test_referral_days_whose_panel_reply_was_lost_are_given_once(renew_shop: RenewShop) -> None:
    """The panel applied the inviter's new expiry but its reply was lost (a timeout): the retry sets the
    stored target again instead of adding the days to the expiry it finds (which already has them)."""
    shop = renew_shop
    inviter = await trial(shop, 9811)
    code = (await shop.customer(9811)).referral_code
    invitee = await trial(shop, 9812, f"ref_{code}")
    inviter_ref = (await shop.customer(9811)).panel_user_id
    assert inviter_ref is not None
    before = panel_expiry(shop, 9811)

    # every attempt of the client (the first and its two retries) is applied, and its reply lost
    shop.panel.drop_after_applying(3, path_prefix="/api/users", method="PATCH", user=inviter_ref)
    await invitee.wait_reply(await invitee.send("/buy"))
    await invitee.wait_reply(await invitee.press("Standard"))
    await invitee.wait_reply(await invitee.press("1 month"))
    await invitee.wait_reply(await invitee.press("YooKassa"))
    async with shop.db.session() as session:
        order = (await session.scalars(select(Order))).one()
    assert (await shop.yookassa.deliver(shop.yookassa.pay(str(order.provider_payment_id)))).status == 200

    def inviter_updates() -> int:
        return sum(
            r.method == "PATCH" and isinstance(r.json, dict) and r.json.get("id") == inviter_ref
            for r in shop.panel.requests
        )

    await shop.telegram.wait_until(lambda: inviter_updates() == 3, timeout=15)
    assert panel_expiry(shop, 9811) == before + timedelta(days=7)  # applied, though nobody heard

    assert shop.app.referrals is not None
    shop.clock.advance(timedelta(minutes=2))
    assert await shop.app.referrals.grant_pending() == 1
    assert panel_expiry(shop, 9811) == before + timedelta(days=7)
    await shop.telegram.wait_until(
        lambda: sum("Your friend paid" in m.text for m in inviter.messages) == 1, timeout=10
    )
    async with shop.db.session() as session:
        periods = (
            await session.scalars(select(SubscriptionPeriod).where(SubscriptionPeriod.kind == "referral"))
        ).all()
    customer = await shop.customer(9811)
    assert [p.days for p in periods if p.customer_id == customer.id] == [7]


async def test_a_refund_takes_the_inviters_bonus_days_back_once(renew_shop: RenewShop) -> None:
    shop = renew_shop
    inviter = await trial(shop, 9821)
    code = (await shop.customer(9821)).referral_code
    invitee = await trial(shop, 9822, f"ref_{code}")
    before = panel_expiry(shop, 9821)
    await invitee.wait_reply(await invitee.send("/buy"))
    await invitee.wait_reply(await invitee.press("Standard"))
    await invitee.wait_reply(await invitee.press("1 month"))
    await invitee.wait_reply(await invitee.press("YooKassa"))
    async with shop.db.session() as session:
        order = (await session.scalars(select(Order))).one()
    payment = str(order.provider_payment_id)
    assert (await shop.yookassa.deliver(shop.yookassa.pay(payment))).status == 200
    await shop.telegram.wait_until(lambda: any("Your friend paid" in m.text for m in inviter.messages), 15)
    assert panel_expiry(shop, 9821) == before + timedelta(days=7)

    refund = shop.yookassa.refund(payment)
    for _ in range(2):  # the notification comes twice: the days go back once
        assert (await shop.yookassa.deliver(refund)).status == 200
    assert panel_expiry(shop, 9821) == before
