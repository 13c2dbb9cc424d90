"""Auto-renewal (growth item 6): a saved YooKassa card or the balance renews the subscription before it
expires, once per period, with notices before and after, retries with back-off after a failure, and one
tap turns it off and deletes the card.

The shop runs on a ManualClock: the tests move time and run the job themselves; nothing sleeps.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from remnastore.db.models import Customer, Order, PaymentEvent
from remnastore.db.repositories.customers import CustomerRepository
from remnastore.domain.catalogue import add_months
from remnastore.domain.money import Money
from remnastore.emulators.telegram import FakeUser
from tests.fixtures.renew_shop import RenewShop, eventually

LEAD = timedelta(hours=24)  # AUTORENEW_LEAD_HOURS default
NOTICE = timedelta(hours=24)  # AUTORENEW_NOTICE_HOURS default
RETRY = timedelta(hours=6)  # AUTORENEW_RETRY_HOURS default
PRICE = 19900  # Standard, 1 month, in kopecks


def panel_expiry(shop: RenewShop, telegram_id: int) -> datetime:
    user = shop.panel.user_by_telegram_id(telegram_id)
    assert user is not None
    return datetime.fromisoformat(user["expireAt"].replace("Z", "+00:00"))


def texts(user: FakeUser, needle: str) -> list[str]:
    return [m.text for m in user.history if needle in m.text]


async def buy_with_card_kept(shop: RenewShop, telegram_id: int) -> FakeUser:
    """The customer buys a month by card, asking to renew with it; YooKassa saves the card."""
    user = shop.user(telegram_id, first_name="Renata", language_code="en")
    await user.wait_reply(await user.send("/start"))
    await user.wait_reply(await user.press("Buy subscription"))
    await user.wait_reply(await user.press("Standard"))
    await user.wait_reply(await user.press("1 month"))
    reply = await user.wait_reply(await user.press("Card with auto-renewal"))
    assert "Order" in reply.text, reply.text
    (order,) = await shop.orders(telegram_id)
    payment = shop.yookassa.payments[str(order.provider_payment_id)]
    assert payment["_save_requested"] is True  # the invoice asked YooKassa to keep the card
    delivery = shop.yookassa.pay(str(order.provider_payment_id))
    assert (await shop.yookassa.deliver(delivery)).status == 200
    await shop.telegram.wait_until(lambda: bool(texts(user, "Payment received")), timeout=15)

    async def card_kept() -> bool:
        row = await shop.renewal(telegram_id)
        return row is not None and row.enabled and row.saved_method_id is not None

    await eventually(card_kept)
    await shop.telegram.wait_until(lambda: bool(texts(user, "Bank card *4444 will be charged")), timeout=10)
    return user


async def expiry_of(shop: RenewShop, telegram_id: int) -> datetime:
    subscription = await shop.subscription(telegram_id)
    assert subscription is not None
    return subscription.expires_at


async def run_job(shop: RenewShop) -> int:
    assert shop.app.autorenew is not None
    return await shop.app.autorenew.run_due()


async def wait_expiry_moved(shop: RenewShop, telegram_id: int, old: datetime) -> datetime:
    async def moved() -> datetime | None:
        current = await expiry_of(shop, telegram_id)
        return current if current > old else None

    return await eventually(moved)


async def test_card_renewal_is_announced_charged_once_per_period_and_confirmed(renew_shop: RenewShop) -> None:
    shop = renew_shop
    user = await buy_with_card_kept(shop, 9601)
    reply = await user.wait_reply(await user.press("My subscription"))
    assert "Auto-renewal: on" in " ".join(reply.button_texts)
    expiry = await expiry_of(shop, 9601)

    # nothing is due a month ahead
    assert await run_job(shop) == 0
    assert shop.saved_charges() == [] and not texts(user, "will be renewed")

    # a day before the charge: the customer is told, once
    shop.clock.set(expiry - LEAD - NOTICE + timedelta(minutes=5))
    await run_job(shop)
    await run_job(shop)
    notices = texts(user, "will be renewed")
    assert len(notices) == 1 and "199" in notices[0] and "Bank card *4444" in notices[0]
    assert shop.saved_charges() == []

    # the charge is due: two runs at once (two instances) charge the card once
    shop.clock.set(expiry - LEAD + timedelta(minutes=5))
    results = await asyncio.gather(run_job(shop), run_job(shop))
    assert sorted(results) == [0, 1]
    charges = shop.saved_charges()
    assert len(charges) == 1 and charges[0]["status"] == "succeeded"
    assert charges[0]["amount"] == {"value": "199.00", "currency": "RUB"}
    assert charges[0]["description"] == "VPN Standard, 1 month"
    new_expiry = await wait_expiry_moved(shop, 9601, expiry)
    assert new_expiry == add_months(expiry, 1)
    assert abs((panel_expiry(shop, 9601) - new_expiry).total_seconds()) < 2
    await shop.telegram.wait_until(lambda: bool(texts(user, "renewed automatically")), timeout=10)

    # later runs, and YooKassa's own notification of that payment, change nothing
    await run_job(shop)
    shop.clock.advance(timedelta(hours=12))
    await run_job(shop)
    delivery = shop.yookassa.notify(str(charges[0]["id"]))
    assert (await shop.yookassa.deliver(delivery)).status == 200
    assert len(shop.saved_charges()) == 1
    assert await expiry_of(shop, 9601) == new_expiry
    renewal_orders = [o for o in await shop.orders(9601) if "renewal" in o.meta]
    assert len(renewal_orders) == 1 and renewal_orders[0].status == "fulfilled"
    assert renewal_orders[0].idempotency_key.endswith("-1")
    async with shop.db.session() as session:
        paid_events = await session.scalar(
            select(func.count()).select_from(PaymentEvent).where(PaymentEvent.kind == "paid")
        )
    assert paid_events == 2  # the purchase and one renewal

    # the next period is renewed again, with a key of its own
    shop.clock.set(new_expiry - LEAD + timedelta(minutes=5))
    assert await run_job(shop) == 1
    assert len(shop.saved_charges()) == 2
    await wait_expiry_moved(shop, 9601, new_expiry)


async def test_failed_charge_is_retried_after_the_back_off_and_then_succeeds(renew_shop: RenewShop) -> None:
    shop = renew_shop
    user = await buy_with_card_kept(shop, 9602)
    expiry = await expiry_of(shop, 9602)
    shop.yookassa.decline_saved_charges(True)
    shop.clock.set(expiry - LEAD + timedelta(minutes=1))
    assert await run_job(shop) == 0
    (declined,) = shop.saved_charges()
    assert declined["status"] == "canceled"
    await shop.telegram.wait_until(lambda: bool(texts(user, "did not go through")), timeout=10)
    failure = texts(user, "did not go through")[-1]
    assert "try again" in failure and "Payment received" not in failure
    assert not texts(user, "The payment of")  # no generic "payment failed" notice besides ours

    # before the back-off has passed, nothing is tried
    shop.yookassa.decline_saved_charges(False)
    shop.clock.advance(RETRY - timedelta(minutes=10))
    assert await run_job(shop) == 0
    assert len(shop.saved_charges()) == 1

    # after it, a second attempt (with a new key) succeeds
    shop.clock.advance(timedelta(minutes=20))
    assert await run_job(shop) == 1
    assert [c["status"] for c in shop.saved_charges()] == ["canceled", "succeeded"]
    await wait_expiry_moved(shop, 9602, expiry)
    orders = [o for o in await shop.orders(9602) if "renewal" in o.meta]
    assert [o.status for o in orders] == ["failed", "fulfilled"]
    assert [o.idempotency_key[-2:] for o in orders] == ["-1", "-2"]
    assert texts(user, "renewed automatically")


async def test_retries_stop_after_the_configured_attempts(renew_shop: RenewShop) -> None:
    shop = renew_shop
    user = await buy_with_card_kept(shop, 9603)
    expiry = await expiry_of(shop, 9603)
    shop.yookassa.decline_saved_charges(True)
    shop.clock.set(expiry - LEAD + timedelta(minutes=1))
    for _ in range(6):
        await run_job(shop)
        shop.clock.advance(timedelta(hours=30))
    assert len(shop.saved_charges()) == 3  # AUTORENEW_MAX_ATTEMPTS default
    await shop.telegram.wait_until(lambda: bool(texts(user, "will not try again")), timeout=10)
    assert len(texts(user, "did not go through")) == 3
    assert await expiry_of(shop, 9603) == expiry


async def test_a_card_the_provider_did_not_keep_is_reported_and_nothing_is_enabled(
    renew_shop: RenewShop,
) -> None:
    shop = renew_shop
    user = shop.user(9606, first_name="Sasha", language_code="ru")
    await user.wait_reply(await user.send("/start"))
    await user.wait_reply(await user.send("/buy"))
    await user.wait_reply(await user.press("Стандарт"))
    await user.wait_reply(await user.press("1 месяц"))
    await user.wait_reply(await user.press("Картой с автопродлением"))
    (order,) = await shop.orders(9606)
    delivery = shop.yookassa.pay(str(order.provider_payment_id), method_type="sbp", save_method=False)
    assert (await shop.yookassa.deliver(delivery)).status == 200
    await shop.telegram.wait_until(lambda: bool(texts(user, "карта не сохранена")), timeout=10)
    row = await shop.renewal(9606)
    assert row is None


async def test_one_tap_turns_it_off_deletes_the_card_and_nothing_is_charged(renew_shop: RenewShop) -> None:
    shop = renew_shop
    user = await buy_with_card_kept(shop, 9604)
    await user.wait_reply(await user.press("My subscription"))
    await user.wait_reply(await user.press("Auto-renewal: on"))
    answer = [c for c in shop.telegram.calls_for("answerCallbackQuery") if c.ok][-1]
    assert "card is deleted" in answer.params.get("text", "")
    row = await shop.renewal(9604)
    assert row is not None and not row.enabled and row.saved_method_id is None
    reply = await user.wait_reply(await user.press("My subscription"))
    assert "Auto-renewal: off" in " ".join(reply.button_texts)

    expiry = await expiry_of(shop, 9604)
    for moment in (
        expiry - LEAD - NOTICE + timedelta(minutes=1),
        expiry - LEAD + timedelta(minutes=1),
        expiry,
    ):
        shop.clock.set(moment)
        assert await run_job(shop) == 0
    assert shop.saved_charges() == []
    assert not texts(user, "will be renewed")
    assert await expiry_of(shop, 9604) == expiry


@pytest.fixture
def renew_shop_env() -> dict[str, str]:
    return {"BALANCE_ENABLED": "true", "BALANCE_TOPUP_AMOUNTS": "100,300"}


async def credit(shop: RenewShop, telegram_id: int, minor: int, key: str) -> None:
    customer = await shop.customer(telegram_id)
    async with shop.db.session() as session:
        await CustomerRepository(session).change_balance(
            customer.id, Money(minor, "RUB"), reason="topup", idempotency_key=key
        )


async def balance_of(shop: RenewShop, telegram_id: int) -> int:
    async with shop.db.session() as session:
        value = await session.scalar(
            select(Customer.balance_minor).where(Customer.telegram_id == telegram_id)
        )
    assert value is not None
    return value


async def test_balance_renewal(renew_shop: RenewShop) -> None:
    shop = renew_shop
    user = shop.user(9605, first_name="Boris", language_code="en")
    await user.wait_reply(await user.send("/start"))
    await credit(shop, 9605, 2 * PRICE + 5000, "test:credit")
    await user.wait_reply(await user.send("/buy"))
    await user.wait_reply(await user.press("Standard"))
    await user.wait_reply(await user.press("1 month"))
    await user.wait_reply(await user.press("From balance"))
    await shop.telegram.wait_until(lambda: bool(texts(user, "Payment received")), timeout=10)
    await eventually(lambda: shop.subscription(9605))

    reply = await user.wait_reply(await user.press("My subscription"))
    reply = await user.wait_reply(await user.press("Auto-renewal: off"))
    assert "Auto-renewal" in reply.text
    reply = await user.wait_reply(await user.press("Renew from the balance"))
    assert "is on" in reply.text and "from the balance" in reply.text
    assert await balance_of(shop, 9605) == PRICE + 5000

    expiry = await expiry_of(shop, 9605)
    shop.clock.set(expiry - LEAD - NOTICE + timedelta(minutes=1))
    await run_job(shop)
    assert len(texts(user, "will be renewed")) == 1
    shop.clock.set(expiry - LEAD + timedelta(minutes=1))
    results = await asyncio.gather(run_job(shop), run_job(shop))
    assert sorted(results) == [0, 1]
    assert await balance_of(shop, 9605) == 5000
    second = await wait_expiry_moved(shop, 9605, expiry)
    assert second == add_months(expiry, 1)
    await shop.telegram.wait_until(lambda: bool(texts(user, "renewed automatically")), timeout=10)

    # the next period: the balance is short, the customer is told; nothing is debited
    shop.clock.set(second - LEAD + timedelta(minutes=1))
    assert await run_job(shop) == 0
    assert await balance_of(shop, 9605) == 5000
    assert any("not enough money" in text for text in texts(user, "did not go through"))
    # they top up; the retry after the back-off renews
    await credit(shop, 9605, PRICE, "test:credit-2")
    shop.clock.advance(RETRY + timedelta(minutes=1))
    assert await run_job(shop) == 1
    assert await balance_of(shop, 9605) == 5000
    await wait_expiry_moved(shop, 9605, second)
    async with shop.db.session() as session:
        renewals = (await session.scalars(select(Order).where(Order.provider == "balance"))).all()
    assert sorted(o.status for o in renewals) == ["failed", "fulfilled", "fulfilled", "fulfilled"]


async def test_forged_buttons_are_refused_and_change_nothing(renew_shop: RenewShop) -> None:
    shop = renew_shop
    user = shop.user(9607, first_name="Mallory", language_code="en")
    await user.wait_reply(await user.send("/start"))
    answers: list[str] = []
    for data in (
        "bar:standard:1m:stars",
        "bar:standard:1m:balance",
        "ara:balance",
        "ara:on",
        "gm:standard:1m:xx",
    ):
        answers.append((await user.wait_alert(await user.press_data(data)))["text"])
    assert any("paid subscription" in text for text in answers), answers
    assert await shop.orders(9607) == []
    assert await shop.renewal(9607) is None


async def test_after_a_change_of_tariff_the_renewal_extends_the_new_tariff(renew_shop: RenewShop) -> None:
    shop = renew_shop
    user = await buy_with_card_kept(shop, 9608)
    # the customer switches to Family by hand (an ordinary YooKassa payment, the card is not asked for)
    await user.wait_reply(await user.send("/buy"))
    await user.wait_reply(await user.press("Family"))
    await user.wait_reply(await user.press("1 month"))
    await user.wait_reply(await user.press("YooKassa"))
    family = (await shop.orders(9608))[-1]
    assert family.tariff_code == "family"
    await shop.yookassa.deliver(shop.yookassa.pay(str(family.provider_payment_id), save_method=False))
    await shop.telegram.wait_until(lambda: len(texts(user, "Payment received")) == 2, timeout=10)
    subscription = await shop.subscription(9608)
    assert subscription is not None and subscription.tariff_code == "family"
    expiry = subscription.expires_at

    shop.clock.set(expiry - LEAD + timedelta(minutes=1))
    assert await run_job(shop) == 1
    (charge,) = shop.saved_charges()
    assert charge["amount"] == {"value": "349.00", "currency": "RUB"}
    renewed = await wait_expiry_moved(shop, 9608, expiry)
    assert renewed == add_months(expiry, 1)  # extended, not restarted from now
    after = await shop.subscription(9608)
    assert after is not None and after.tariff_code == "family"


async def test_an_unanswered_charge_is_repeated_with_its_key_and_charges_once(renew_shop: RenewShop) -> None:
    shop = renew_shop
    user = await buy_with_card_kept(shop, 9609)
    expiry = await expiry_of(shop, 9609)
    # YooKassa charges the card but its answer is a 500 ("result unknown")
    shop.yookassa.fail_after_processing(1)
    shop.clock.set(expiry - LEAD + timedelta(minutes=1))
    assert await run_job(shop) == 0
    assert len(shop.saved_charges()) == 1
    (pending,) = [o for o in await shop.orders(9609) if "renewal" in o.meta]
    assert pending.status == "pending"
    assert not texts(user, "did not go through")

    # a few minutes later the same request (same Idempotence-Key) learns the outcome: no second charge
    shop.clock.advance(timedelta(minutes=11))
    assert await run_job(shop) == 1
    assert len(shop.saved_charges()) == 1
    await wait_expiry_moved(shop, 9609, expiry)
    (renewed,) = [o for o in await shop.orders(9609) if "renewal" in o.meta]
    assert renewed.id == pending.id and renewed.status == "fulfilled"
    await shop.telegram.wait_until(lambda: bool(texts(user, "renewed automatically")), timeout=10)
