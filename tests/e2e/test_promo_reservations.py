"""A one-use discount code stays reserved for as long as the invoice made with it can be paid.

Each provider keeps an invoice payable for its own lifetime (YooKassa 1 h for a pending payment, CryptoBot
CRYPTOBOT_EXPIRES_IN = 1 h, Heleket HELEKET_LIFETIME = 1 h, SeverPay 60 min, Platega 15 min; FreeKassa
names none, so the order's own lifetime counts). The shop runs on a ManualClock; the tests move it to just
before the invoice's end, run the expiry jobs, and check that the code cannot be taken by anyone else and
that the late payment uses it exactly once.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from remnastore.emulators.telegram import FakeUser
from remnastore.infra.clock import ManualClock
from tests.e2e.test_promos import activations, count_of, enter, make_code, stars_invoice
from tests.e2e.test_promos_providers import checkout
from tests.e2e.test_purchase_providers import paid_notification, the_order
from tests.fixtures.providers import PaymentEmulators
from tests.fixtures.shop import Shop

#: how long each provider's invoice stays payable, as its emulator makes it
LIFETIME = {
    "yookassa": timedelta(hours=1),
    "cryptobot": timedelta(hours=1),
    "heleket": timedelta(hours=1),
    "severpay": timedelta(minutes=60),
    "platega": timedelta(minutes=15),
    "freekassa": timedelta(minutes=120),  # no lifetime of its own: ORDER_TTL_MINUTES
}


@pytest.fixture
def clock(manual_clock: ManualClock) -> ManualClock:
    return manual_clock


@pytest.fixture
def shop(clocked_shop: Shop) -> Shop:
    """The shop on a ManualClock, with every payment provider's emulator."""
    return clocked_shop


async def _expiry_jobs(shop: Shop) -> None:
    await shop.app.reconciliation.expire_stale()
    await shop.app.promos.release_expired()


async def _customer(shop: Shop, user_id: int) -> FakeUser:
    user = shop.user(user_id, first_name=f"U{user_id}", language_code="en")
    await user.wait_reply(await user.send("/start"))
    return user


@pytest.mark.parametrize("method", list(LIFETIME))
async def test_the_code_stays_reserved_while_the_invoice_can_be_paid(
    shop: Shop, clock: ManualClock, payment_emulators: PaymentEmulators, method: str
) -> None:
    code = f"ONCE{list(LIFETIME).index(method)}"
    await make_code(shop.app, code, "percent", 30, max_activations=1)
    first = 9900 + list(LIFETIME).index(method) * 2
    buyer = await _customer(shop, first)
    assert "30%" in await enter(buyer, code)
    await checkout(shop, first, method)
    order = await the_order(shop)
    assert order.discount_minor > 0 and order.provider == method

    # beyond the 15-minute reservation, but the invoice is still payable
    clock.advance(LIFETIME[method] - timedelta(minutes=3))
    await _expiry_jobs(shop)
    [activation] = await activations(shop, code)
    assert activation.status == "reserved" and activation.order_id == order.id
    other = await _customer(shop, first + 1)
    assert "used up" in await enter(other, code)

    emulator = payment_emulators.all()[method]
    reply = await emulator.deliver(paid_notification(payment_emulators, method, order, first))
    assert reply.status == 200
    [activation] = await activations(shop, code)
    assert activation.status == "consumed" and activation.order_id == order.id
    assert await count_of(shop, code) == 1


async def test_the_reservation_ends_with_the_invoice(shop: Shop, clock: ManualClock) -> None:
    await make_code(shop.app, "ONCEEND", "fixed", 5000, currency="RUB", max_activations=1)
    buyer = await _customer(shop, 9950)
    await enter(buyer, "ONCEEND")
    await checkout(shop, 9950, "cryptobot")
    clock.advance(LIFETIME["cryptobot"] + timedelta(minutes=11))
    await _expiry_jobs(shop)
    [activation] = await activations(shop, "ONCEEND")
    assert activation.status == "released"
    other = await _customer(shop, 9951)
    assert "50.00 ₽" in await enter(other, "ONCEEND")


async def test_a_stars_invoice_ends_with_the_reservation_even_before_the_expiry_job(
    shop: Shop, clock: ManualClock
) -> None:
    """Telegram asks before charging Stars: past the reservation the answer is no, job or not."""
    await make_code(shop.app, "ONCESTAR", "percent", 50, max_activations=1)
    buyer = await _customer(shop, 9960)
    await enter(buyer, "ONCESTAR")
    _, amount = await stars_invoice(buyer)
    assert amount == 75
    clock.advance(timedelta(minutes=16))  # the reservation lasts 15 minutes; no job has run yet
    reply = buyer.last_message
    assert reply is not None
    [url] = [b.url for row in reply.buttons for b in row if b.url and b.url.startswith("https://t.me/$")]
    assert not (await buyer.pay_invoice(link=url)).approved
    assert (await the_order(shop)).status == "pending"
    [activation] = await activations(shop, "ONCESTAR")
    assert activation.status == "reserved"
