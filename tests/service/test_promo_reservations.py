"""The promo service's reservations at the service level: two checkouts at once, the edges of a
reservation's expiry and hold, release passes, and the seller's log lines from reservation to payment."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from remnastore.db.repositories.orders import OrderRepository
from remnastore.domain.errors import ServiceUnavailable
from remnastore.domain.money import Money
from remnastore.payments.base import EventKind
from remnastore.services.promos import Reservation
from tests.service.fakes import customer_view, new_customer
from tests.service.logs import lines
from tests.service.promo_support import activation, checkout, pending_code, promo_code, used
from tests.service.shop import NOW, Shop, event

# the seller's log

LOGGER = "remnastore.services.promos"


async def test_reservations_are_logged_from_checkout_to_payment_or_release(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    promo_id = await promo_code(shop, "LOGGED", max_activations=5)
    ann, bob = await new_customer(shop.db, 950), await new_customer(shop.db, 951)
    await shop.promos.redeem(ann, "LOGGED")
    await shop.promos.redeem(bob, "LOGGED")
    caplog.clear()
    paid, _ = await checkout(shop, ann)
    async with shop.db.session() as session:
        order = await OrderRepository(session).get(paid)
        assert order is not None
        await shop.promos.hold(session, order, NOW + timedelta(hours=2))
    await shop.settlement.settle(event(paid, amount=17910))
    lapsed, _ = await checkout(shop, bob)
    shop.clock.advance(timedelta(minutes=16))
    await shop.promos.release_expired()
    assert lines(caplog, LOGGER) == [
        ("INFO", "promo reserved", {"order_id": paid, "promo_id": promo_id}),
        ("INFO", "promo reservation held for the invoice", {"order_id": paid}),
        ("INFO", "promo consumed", {"order_id": paid, "promo_id": promo_id}),
        ("INFO", "promo reserved", {"order_id": lapsed, "promo_id": promo_id}),
        ("INFO", "released 1 promo reservations", {}),
    ]


async def test_a_failed_payment_logs_the_release(shop: Shop, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    await promo_code(shop, "GONE")
    ann = await new_customer(shop.db, 952)
    await shop.promos.redeem(ann, "GONE")
    order_id, _ = await checkout(shop, ann)
    caplog.clear()
    await shop.settlement.settle(event(order_id, EventKind.FAILED, amount=17910))
    assert lines(caplog, LOGGER) == [("INFO", "promo reservation released", {"order_id": order_id})]


async def test_irregular_consumptions_are_logged_as_warnings(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    promo_id = await promo_code(shop, "ODD", max_activations=1)
    ann, bob = await new_customer(shop.db, 953), await new_customer(shop.db, 954)
    await shop.promos.redeem(ann, "ODD")
    first, _ = await checkout(shop, ann)
    shop.clock.advance(timedelta(minutes=16))
    await shop.promos.release_expired()
    await shop.promos.redeem(bob, "ODD")
    await checkout(shop, bob)
    caplog.clear()
    await shop.settlement.settle(event(first, amount=17910))  # late, the code now Bob's
    assert lines(caplog, LOGGER)[0] == (
        "WARNING",
        "a late payment used a promo code beyond its limit",
        {"order_id": first},
    )
    # the same reservation paid by a second order of Ann's
    async with shop.db.session() as session:
        order = await OrderRepository(session).create(
            ann.id,
            kind="subscription",
            amount=Money(17910, "RUB"),
            provider="yookassa",
            promo_code_id=promo_id,
        )
        second = order.id
    caplog.clear()
    await shop.settlement.settle(event(second, amount=17910))
    assert lines(caplog, LOGGER) == [
        ("WARNING", "a promo reservation was paid by two orders", {"order_id": second})
    ]
    # and an order naming a code its customer never activated
    carl = await new_customer(shop.db, 955)
    async with shop.db.session() as session:
        order = await OrderRepository(session).create(
            carl.id,
            kind="subscription",
            amount=Money(17910, "RUB"),
            provider="yookassa",
            promo_code_id=promo_id,
        )
        third = order.id
    caplog.clear()
    await shop.settlement.settle(event(third, amount=17910))
    assert lines(caplog, LOGGER) == [
        ("ERROR", "paid order with a promo but no activation", {"order_id": third})
    ]
    assert await used(shop, promo_id) == 1


async def test_bonus_days_still_not_given_are_logged_with_the_reason(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    promo_id = await promo_code(shop, "STUCK", kind="days", value=2)
    ann = await new_customer(shop.db, 956)
    shop.panel.add(956, NOW)
    shop.panel.down = True
    with pytest.raises(ServiceUnavailable, match="error-panel-unavailable"):
        await shop.promos.redeem(ann, "STUCK")
    shop.panel.users.clear()  # the customer's panel user is gone meanwhile
    shop.panel.down = False
    shop.clock.advance(timedelta(minutes=16))
    caplog.clear()
    assert await shop.promos.release_expired() == 0
    assert lines(caplog, LOGGER) == [("WARNING", "promo days still not given: promo-needs-subscription", {})]
    assert (await activation(shop, promo_id, ann.id)).status == "released" and await used(shop, promo_id) == 0


# two checkouts at once, and the edges of the reservation


async def test_the_claim_refuses_a_checkout_the_validation_let_through_when_the_last_use_went_meanwhile(
    shop: Shop,
) -> None:
    promo_id = await promo_code(shop, "RACE", max_activations=1)
    ann, bob = await new_customer(shop.db, 960), await new_customer(shop.db, 961)
    await shop.promos.redeem(ann, "RACE")
    await shop.promos.redeem(bob, "RACE")
    order_id, reservation = await checkout(shop, ann, meanwhile=lambda: checkout(shop, bob))
    assert reservation == Reservation(refused="promo-used-up")
    assert (await shop.get(order_id)).amount_minor == 19900 and await pending_code(shop, ann.id) is None
    assert await used(shop, promo_id) == 1 and (await activation(shop, promo_id, bob.id)).status == "reserved"


async def test_a_released_code_reopened_meanwhile_is_not_reserved_twice(shop: Shop) -> None:
    promo_id = await promo_code(shop, "REOPEN", max_activations=5)
    ann = await new_customer(shop.db, 963)
    await shop.promos.redeem(ann, "REOPEN")
    first, _ = await checkout(shop, ann)
    await shop.settlement.settle(event(first, EventKind.FAILED, amount=17910))
    await shop.promos.redeem(ann, "REOPEN")
    order_id, reservation = await checkout(shop, ann, meanwhile=lambda: checkout(shop, ann))
    assert reservation == Reservation(refused="promo-already-used")
    assert (await shop.get(order_id)).amount_minor == 19900 and await used(shop, promo_id) == 1


async def test_a_checkout_without_a_code_reserves_nothing_and_refuses_nothing(shop: Shop) -> None:
    ann = await new_customer(shop.db, 964)
    order_id, reservation = await checkout(shop, ann)
    assert reservation == Reservation() and (await shop.get(order_id)).amount_minor == 19900


async def test_a_discount_for_the_tariff_bought_is_reserved(shop: Shop) -> None:
    promo_id = await promo_code(shop, "STD", tariff_codes=["standard"])
    ann = await new_customer(shop.db, 965)
    await shop.promos.redeem(ann, "STD")
    order_id, reservation = await checkout(shop, ann, "standard")
    assert reservation.discount is not None and (await shop.get(order_id)).amount_minor == 17910
    assert await used(shop, promo_id) == 1


async def test_an_order_payable_for_less_than_the_reservation_keeps_its_own_expiry(shop: Shop) -> None:
    await promo_code(shop, "SHORT")
    ann, bob = await new_customer(shop.db, 966), await new_customer(shop.db, 967)
    await shop.promos.redeem(ann, "SHORT")
    await shop.promos.redeem(bob, "SHORT")
    short, _ = await checkout(shop, ann, ttl=timedelta(minutes=5))
    unlimited, _ = await checkout(shop, bob, ttl=None)
    assert (await shop.get(short)).expires_at == NOW + timedelta(minutes=5)
    assert (await shop.get(unlimited)).expires_at == NOW + shop.promos.reservation


async def test_only_the_orders_own_reservation_is_held(shop: Shop) -> None:
    promo_id = await promo_code(shop, "OWN", max_activations=5)
    ann, carl = await new_customer(shop.db, 968), await new_customer(shop.db, 969)
    await shop.promos.redeem(ann, "OWN")
    first, _ = await checkout(shop, ann)
    second, _ = await checkout(shop, ann)  # the reservation moved on
    async with shop.db.session() as session:
        orders = OrderRepository(session)
        old = await orders.get(first)
        assert old is not None
        await shop.promos.hold(session, old, NOW + timedelta(hours=3))
        stranger = await orders.create(  # names the code, but its customer never activated it
            carl.id,
            kind="subscription",
            amount=Money(17910, "RUB"),
            provider="yookassa",
            promo_code_id=promo_id,
        )
        await shop.promos.hold(session, stranger, NOW + timedelta(hours=3))
    assert (await activation(shop, promo_id, ann.id)).reserved_until == NOW + shop.promos.reservation
    assert (await shop.get(first)).expires_at == NOW + shop.promos.reservation
    assert (await shop.get(stranger.id)).expires_at is None

    await shop.settlement.settle(event(second, amount=17910))
    async with shop.db.session() as session:
        paid = await OrderRepository(session).get(second)
        assert paid is not None
        await shop.promos.hold(session, paid, NOW + timedelta(hours=3))  # consumed: nothing to hold
    assert (await activation(shop, promo_id, ann.id)).reserved_until is None


async def test_a_reservation_paid_by_an_older_order_is_that_orders_use(shop: Shop) -> None:
    promo_id = await promo_code(shop, "OLDER", max_activations=5)
    ann = await new_customer(shop.db, 970)
    await shop.promos.redeem(ann, "OLDER")
    first, _ = await checkout(shop, ann)
    await checkout(shop, ann)  # the reservation moved to a second order; the first expired
    await shop.settlement.settle(event(first, amount=17910))  # but its invoice was paid
    used_by = await activation(shop, promo_id, ann.id)
    assert (used_by.status, used_by.order_id) == ("consumed", first)
    assert await used(shop, promo_id) == 1  # a reservation is counted once, whichever order pays it


async def test_a_lapsed_reservation_paid_late_is_counted_again(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    promo_id = await promo_code(shop, "LATE2", max_activations=2)
    ann = await new_customer(shop.db, 971)
    await shop.promos.redeem(ann, "LATE2")
    order_id, _ = await checkout(shop, ann)
    shop.clock.advance(timedelta(minutes=16))
    assert await shop.promos.release_expired() == 1 and await used(shop, promo_id) == 0
    await shop.settlement.settle(event(order_id, amount=17910))
    assert await used(shop, promo_id) == 1
    assert "a late payment used a promo code beyond its limit" not in [m for _, m, _ in lines(caplog, LOGGER)]


async def test_paying_keeps_a_code_remembered_since_for_the_next_purchase(shop: Shop) -> None:
    await promo_code(shop, "FIRST")
    await promo_code(shop, "NEXT")
    ann = await new_customer(shop.db, 972)
    await shop.promos.redeem(ann, "FIRST")
    order_id, _ = await checkout(shop, ann)
    await shop.promos.redeem(ann, "NEXT")
    await shop.settlement.settle(event(order_id, amount=17910))
    assert await pending_code(shop, ann.id) == "NEXT"


async def test_release_goes_past_what_it_skips_and_counts_every_release(shop: Shop) -> None:
    days_id = await promo_code(shop, "DAYSOLD", kind="days", value=1)
    promo_id = await promo_code(shop, "MANY", max_activations=5)
    stuck = await new_customer(shop.db, 973)
    shop.panel.add(973, NOW)
    shop.panel.down = True  # a bonus-days grant left reserved: the oldest expired reservation
    with pytest.raises(ServiceUnavailable, match="error-panel-unavailable"):
        await shop.promos.redeem(stuck, "DAYSOLD")
    shop.panel.down = False
    shop.clock.advance(timedelta(minutes=1))
    buyers = [await new_customer(shop.db, 974 + n) for n in range(3)]
    orders = []
    for buyer in buyers:
        await shop.promos.redeem(buyer, "MANY")
        orders.append((await checkout(shop, buyer))[0])
    async with shop.db.session() as session:  # the first buyer's order is kept payable longer
        kept = await OrderRepository(session).get(orders[0])
        assert kept is not None
        kept.expires_at = NOW + timedelta(minutes=21)

    shop.clock.advance(timedelta(minutes=16))
    assert await shop.promos.release_expired() == 2  # past the grant and the payable order
    assert (await activation(shop, promo_id, buyers[0].id)).status == "reserved"
    assert (await activation(shop, days_id, stuck.id)).status == "applied"  # the grant was finished
    assert await used(shop, promo_id) == 1
    shop.clock.set(NOW + timedelta(minutes=21))  # the order's last payable moment is over
    assert await shop.promos.release_expired() == 1 and await used(shop, promo_id) == 0


async def test_a_customer_holding_the_last_use_can_check_out_again(shop: Shop) -> None:
    promo_id = await promo_code(shop, "MINE", max_activations=1)
    ann = await new_customer(shop.db, 980)
    await shop.promos.redeem(ann, "MINE")
    await checkout(shop, ann)
    ann = await customer_view(shop.db, ann.telegram_id)
    assert await shop.promos.offer(ann, "standard") is not None  # the use is hers, not used up
    order_id, reservation = await checkout(shop, ann)
    assert reservation.discount is not None and (await shop.get(order_id)).amount_minor == 17910
    assert await used(shop, promo_id) == 1
