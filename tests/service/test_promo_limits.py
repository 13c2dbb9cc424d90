"""The promo service's limits at the service level: validity, the activation limit counted atomically by
reservations, given back by unpaid orders and consumed by payments, one use per customer, the balance
and bonus-day codes. The real database; settlement and the lifecycle as the shop wires them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from remnastore.db.models import Customer, PromoActivation, PromoCode
from remnastore.db.repositories.orders import OrderRepository
from remnastore.db.repositories.promos import PromoRepository
from remnastore.domain.errors import DomainError, ServiceUnavailable
from remnastore.domain.money import Money
from remnastore.payments.base import EventKind
from remnastore.services.accounts import CustomerView
from remnastore.services.promos import Reservation
from remnastore.services.settlement import Outcome
from tests.service.fakes import new_customer
from tests.service.logs import lines
from tests.service.shop import NOW, Shop, event

TTL = timedelta(hours=1)  # how long checkout keeps an order payable


async def promo_code(shop: Shop, code: str, kind: str = "percent", value: int = 10, **options: object) -> int:
    async with shop.db.session() as session:
        promo = await PromoRepository(session).create(code, kind=kind, value=value, **options)  # type: ignore[arg-type]
        return promo.id


async def checkout(
    shop: Shop,
    customer: CustomerView,
    tariff: str = "standard",
    *,
    ttl: timedelta | None = TTL,
    meanwhile: Callable[[], Awaitable[object]] | None = None,
) -> tuple[str, Reservation]:
    """What checkout does: a new 199 RUB order payable for ``ttl``, the customer's pending code reserved
    for it. ``meanwhile``: another checkout that commits after this one has read the code and the
    customer's activation, and before it claims (two checkouts at once, deterministically)."""
    now = shop.clock.now()
    async with shop.db.session() as session:
        if meanwhile is not None:
            promos = PromoRepository(session)
            code = await pending_code(shop, customer.id)
            promo = await promos.get_by_code(code or "")
            assert promo is not None
            seen = await promos.get_activation(promo.id, customer.id)  # held: the session keeps what it read
            await meanwhile()
            assert seen is None or seen.promo_id == promo.id
        order = await OrderRepository(session).create(
            customer.id,
            kind="subscription",
            amount=Money(19900, "RUB"),
            provider="yookassa",
            tariff_code=tariff,
            period_code="1m",
            days=30,
            expires_at=now + ttl if ttl is not None else None,
        )
        return order.id, await shop.promos.reserve(session, order, now)


async def used(shop: Shop, promo_id: int) -> int:
    async with shop.db.session() as session:
        promo = await session.get(PromoCode, promo_id)
        assert promo is not None
        return promo.activations_count


async def activation(shop: Shop, promo_id: int, customer_id: int) -> PromoActivation:
    async with shop.db.session() as session:
        found = await PromoRepository(session).get_activation(promo_id, customer_id)
    assert found is not None
    return found


async def pending_code(shop: Shop, customer_id: int) -> str | None:
    async with shop.db.session() as session:
        row = await session.get(Customer, customer_id)
        assert row is not None
        return row.pending_promo_code


async def refused(shop: Shop, customer: CustomerView, code: str) -> str:
    with pytest.raises(DomainError) as refusal:
        await shop.promos.redeem(customer, code)
    return refusal.value.text_key


# the activation limit


async def test_a_one_use_code_is_held_by_a_reservation_and_given_back_by_a_failed_payment(shop: Shop) -> None:
    promo_id = await promo_code(shop, "SALE10", max_activations=1)
    ann, bob = await new_customer(shop.db, 901), await new_customer(shop.db, 902)
    redeemed = await shop.promos.redeem(ann, " sale10 ")
    assert redeemed.discount is not None and (redeemed.code, redeemed.kind) == ("SALE10", "percent")
    await shop.promos.redeem(bob, "SALE10")  # remembered for both: nothing is counted before checkout
    assert await used(shop, promo_id) == 0 and await pending_code(shop, bob.id) == "SALE10"

    ann_order, reservation = await checkout(shop, ann)
    assert reservation.full_price == Money(19900, "RUB") and reservation.discount is not None
    order = await shop.get(ann_order)
    assert (order.amount_minor, order.discount_minor, order.promo_code_id) == (17910, 1990, promo_id)
    assert order.meta.get("promo") == "SALE10"
    assert order.expires_at == NOW + shop.promos.reservation  # the order expires with its reservation
    assert await used(shop, promo_id) == 1

    bob_order, refusal = await checkout(shop, bob)
    assert refusal == Reservation(refused="promo-used-up")
    assert (await shop.get(bob_order)).amount_minor == 19900 and await pending_code(shop, bob.id) is None

    await shop.settlement.settle(event(ann_order, EventKind.FAILED, amount=17910))
    assert await used(shop, promo_id) == 0
    assert (await activation(shop, promo_id, ann.id)).status == "released"

    await shop.promos.redeem(bob, "SALE10")
    bob_order, reservation = await checkout(shop, bob)
    assert reservation.discount is not None
    assert (await shop.settlement.settle(event(bob_order, amount=17910))).outcome is Outcome.CREDITED
    bobs = await activation(shop, promo_id, bob.id)
    assert (bobs.status, bobs.order_id, bobs.consumed_at) == ("consumed", bob_order, NOW)
    assert await used(shop, promo_id) == 1 and await pending_code(shop, bob.id) is None

    assert await refused(shop, bob, "SALE10") == "promo-already-used"
    assert await refused(shop, ann, "SALE10") == "promo-used-up"


async def test_a_released_code_is_reserved_again_by_the_same_customer(shop: Shop) -> None:
    promo_id = await promo_code(shop, "AGAIN", max_activations=1)
    ann = await new_customer(shop.db, 903)
    await shop.promos.redeem(ann, "AGAIN")
    first, _ = await checkout(shop, ann)
    await shop.settlement.settle(event(first, EventKind.CANCELED, amount=17910))
    assert await used(shop, promo_id) == 0

    await shop.promos.redeem(ann, "AGAIN")
    second, reservation = await checkout(shop, ann)
    assert reservation.discount is not None and await used(shop, promo_id) == 1
    again = await activation(shop, promo_id, ann.id)
    assert (again.status, again.order_id, again.reserved_until) == (
        "reserved",
        second,
        NOW + shop.promos.reservation,
    )


async def test_the_reservation_follows_the_latest_checkout_and_counts_once(shop: Shop) -> None:
    promo_id = await promo_code(shop, "FOLLOW", max_activations=5)
    ann = await new_customer(shop.db, 904)
    await shop.promos.redeem(ann, "FOLLOW")
    first, _ = await checkout(shop, ann)
    shop.clock.advance(timedelta(minutes=5))
    second, reservation = await checkout(shop, ann)

    assert reservation.discount is not None and await used(shop, promo_id) == 1
    assert (await shop.get(first)).status == "expired"  # it can no longer be paid at the discount
    moved = await activation(shop, promo_id, ann.id)
    assert (moved.order_id, moved.reserved_until) == (second, NOW + timedelta(minutes=20))
    assert (await shop.get(second)).expires_at == NOW + timedelta(minutes=20)


async def test_an_unpaid_reservation_past_its_time_is_released_with_its_order(shop: Shop) -> None:
    promo_id = await promo_code(shop, "LAPSE", max_activations=1)
    ann = await new_customer(shop.db, 905)
    await shop.promos.redeem(ann, "LAPSE")
    order_id, _ = await checkout(shop, ann)

    shop.clock.advance(shop.promos.reservation)
    assert await shop.promos.release_expired() == 0  # not past its time yet
    shop.clock.advance(timedelta(seconds=1))
    assert await shop.promos.release_expired() == 1
    assert await shop.promos.release_expired() == 0
    assert (await shop.get(order_id)).status == "expired" and await used(shop, promo_id) == 0
    assert (await activation(shop, promo_id, ann.id)).status == "released"


async def test_a_reservation_held_for_an_invoice_waits_for_its_order(shop: Shop) -> None:
    promo_id = await promo_code(shop, "HOLD", max_activations=1)
    ann = await new_customer(shop.db, 906)
    await shop.promos.redeem(ann, "HOLD")
    order_id, _ = await checkout(shop, ann)
    until = NOW + timedelta(hours=2)
    async with shop.db.session() as session:
        order = await OrderRepository(session).get(order_id)
        assert order is not None
        await shop.promos.hold(session, order, until)
        await shop.promos.hold(session, order, NOW + timedelta(minutes=1))  # never shortened
    assert (await activation(shop, promo_id, ann.id)).reserved_until == until
    assert (await shop.get(order_id)).expires_at == until

    shop.clock.advance(timedelta(hours=1))
    assert await shop.promos.release_expired() == 0 and await used(shop, promo_id) == 1
    assert (await shop.settlement.settle(event(order_id, amount=17910))).outcome is Outcome.CREDITED
    assert (await activation(shop, promo_id, ann.id)).status == "consumed"


async def test_a_reservation_whose_order_was_paid_is_consumed_not_released(shop: Shop) -> None:
    promo_id = await promo_code(shop, "PAIDUP", max_activations=1)
    ann = await new_customer(shop.db, 907)
    await shop.promos.redeem(ann, "PAIDUP")
    order_id, _ = await checkout(shop, ann)
    async with shop.db.session() as session:  # paid by a path that did not consume it (an old release)
        order = await OrderRepository(session).get_for_update(order_id)
        assert order is not None
        from remnastore.db.models import OrderStatus

        await OrderRepository(session).set_status(order, OrderStatus.PAID, now=NOW)
    bob = await new_customer(shop.db, 957)  # reserved later, never paid
    await promo_code(shop, "LAPSES")
    await shop.promos.redeem(bob, "LAPSES")
    await checkout(shop, bob)
    shop.clock.advance(timedelta(hours=1))
    assert await shop.promos.release_expired() == 1  # Bob's, after Ann's was consumed
    consumed = await activation(shop, promo_id, ann.id)
    assert (consumed.status, consumed.consumed_at) == ("consumed", NOW + timedelta(hours=1))
    assert await used(shop, promo_id) == 1


async def test_a_late_payment_after_the_code_went_to_someone_else_keeps_its_discount(shop: Shop) -> None:
    promo_id = await promo_code(shop, "LAST", max_activations=1)
    ann, bob = await new_customer(shop.db, 908), await new_customer(shop.db, 909)
    await shop.promos.redeem(ann, "LAST")
    ann_order, _ = await checkout(shop, ann)
    shop.clock.advance(timedelta(hours=1))
    await shop.promos.release_expired()
    await shop.promos.redeem(bob, "LAST")
    await checkout(shop, bob)
    assert await used(shop, promo_id) == 1

    # Ann paid the discounted invoice just before it expired: the money is kept, the use recorded
    assert (await shop.settlement.settle(event(ann_order, amount=17910))).outcome is Outcome.CREDITED
    assert (await activation(shop, promo_id, ann.id)).status == "consumed"
    assert await used(shop, promo_id) == 1  # beyond the limit: not counted twice


async def test_many_customers_share_a_limit_of_three(shop: Shop) -> None:
    promo_id = await promo_code(shop, "THREE", max_activations=3)
    customers = [await new_customer(shop.db, 910 + n) for n in range(5)]
    for customer in customers:  # all remember it before anyone checks out
        await shop.promos.redeem(customer, "THREE")
    outcomes = [(await checkout(shop, customer))[1].refused for customer in customers]
    assert outcomes == [None, None, None, "promo-used-up", "promo-used-up"]
    assert await used(shop, promo_id) == 3


# validity


async def test_codes_are_refused_outside_their_window_or_when_switched_off(shop: Shop) -> None:
    ann = await new_customer(shop.db, 920)
    await promo_code(shop, "SOON", valid_from=NOW + timedelta(seconds=1))
    await promo_code(shop, "STARTS", valid_from=NOW)
    await promo_code(shop, "OVER", valid_until=NOW)
    await promo_code(shop, "LASTSEC", valid_until=NOW + timedelta(seconds=1))
    await promo_code(shop, "OFF", is_active=False)

    assert await refused(shop, ann, "SOON") == "promo-not-started"
    assert await refused(shop, ann, "OVER") == "promo-expired"
    assert await refused(shop, ann, "OFF") == "promo-inactive"
    assert await refused(shop, ann, "NOSUCHCODE") == "promo-not-found"
    assert await refused(shop, ann, "no good!") == "promo-not-found"
    assert (await shop.promos.redeem(ann, "STARTS")).discount is not None
    assert (await shop.promos.redeem(ann, "LASTSEC")).discount is not None


async def test_a_code_that_expired_after_it_was_remembered_is_refused_at_checkout(shop: Shop) -> None:
    promo_id = await promo_code(shop, "BRIEF", valid_until=NOW + timedelta(minutes=1))
    ann = await new_customer(shop.db, 921)
    await shop.promos.redeem(ann, "BRIEF")
    assert await shop.promos.offer(ann, "standard") is not None
    shop.clock.advance(timedelta(minutes=1))
    assert await shop.promos.offer(ann, "standard") is None
    order_id, reservation = await checkout(shop, ann)
    assert reservation == Reservation(refused="promo-expired")
    assert (await shop.get(order_id)).amount_minor == 19900 and await used(shop, promo_id) == 0
    assert await pending_code(shop, ann.id) is None


async def test_a_first_purchase_code_is_refused_to_a_customer_who_paid_before(shop: Shop) -> None:
    await promo_code(shop, "WELCOME", first_purchase_only=True)
    ann, bob = await new_customer(shop.db, 922), await new_customer(shop.db, 923)
    paid = await shop.order(bob.id)
    await shop.settlement.settle(event(paid))
    assert await refused(shop, bob, "WELCOME") == "promo-first-purchase-only"
    assert (await shop.promos.redeem(ann, "WELCOME")).discount is not None


async def test_a_discount_for_other_tariffs_is_neither_offered_nor_reserved(shop: Shop) -> None:
    promo_id = await promo_code(shop, "FAMILY", tariff_codes=["family"])
    ann = await new_customer(shop.db, 924)
    await shop.promos.redeem(ann, "FAMILY")
    assert await shop.promos.offer(ann, "standard") is None
    assert await shop.promos.offer(ann, "family") is not None
    order_id, reservation = await checkout(shop, ann, "standard")
    assert reservation == Reservation() and (await shop.get(order_id)).amount_minor == 19900
    assert await used(shop, promo_id) == 0 and await pending_code(shop, ann.id) == "FAMILY"


async def test_a_fixed_discount_in_another_currency_changes_nothing(shop: Shop) -> None:
    promo_id = await promo_code(shop, "FIVEUSD", kind="fixed", value=500, currency="USD")
    ann = await new_customer(shop.db, 925)
    await shop.promos.redeem(ann, "FIVEUSD")
    order_id, reservation = await checkout(shop, ann)
    assert reservation == Reservation() and (await shop.get(order_id)).amount_minor == 19900
    assert await used(shop, promo_id) == 0


# balance and bonus-day codes


async def test_a_balance_code_credits_once_per_customer_within_its_limit(shop: Shop) -> None:
    promo_id = await promo_code(shop, "GIFT50", kind="balance", value=5000, currency="RUB", max_activations=2)
    customers = [await new_customer(shop.db, 930 + n) for n in range(3)]
    redeemed = await shop.promos.redeem(customers[0], "GIFT50")
    assert redeemed.credit == Money(5000, "RUB")
    assert await refused(shop, customers[0], "GIFT50") == "promo-already-used"
    await shop.promos.redeem(customers[1], "GIFT50")
    assert await refused(shop, customers[2], "GIFT50") == "promo-used-up"
    async with shop.db.session() as session:
        balances = [(await session.get(Customer, c.id)).balance_minor for c in customers]  # type: ignore[union-attr]
    assert balances == [5000, 5000, 0] and await used(shop, promo_id) == 2
    applied = await activation(shop, promo_id, customers[0].id)
    assert (applied.status, applied.reserved_until) == ("applied", None)  # used at once: nothing held


async def test_a_balance_code_in_another_currency_is_refused(shop: Shop) -> None:
    promo_id = await promo_code(shop, "GIFTUSD", kind="balance", value=500, currency="USD")
    ann = await new_customer(shop.db, 935)
    assert await refused(shop, ann, "GIFTUSD") == "promo-balance-off"
    assert await used(shop, promo_id) == 0


async def test_bonus_days_are_given_once_from_the_current_expiry(shop: Shop) -> None:
    promo_id = await promo_code(shop, "WEEK", kind="days", value=7, max_activations=1)
    ann, bob = await new_customer(shop.db, 936), await new_customer(shop.db, 937)
    shop.panel.add(936, NOW + timedelta(days=10))
    redeemed = await shop.promos.redeem(ann, "WEEK")
    assert (redeemed.days, redeemed.expires_at) == (7, NOW + timedelta(days=17))
    assert shop.panel.users[1].expire_at == NOW + timedelta(days=17)
    assert (await activation(shop, promo_id, ann.id)).status == "applied"
    assert await refused(shop, ann, "WEEK") == "promo-already-used"
    shop.panel.add(937, NOW)
    assert await refused(shop, bob, "WEEK") == "promo-used-up"
    assert shop.panel.users[1].expire_at == NOW + timedelta(days=17)


async def test_bonus_days_need_a_subscription_and_give_the_use_back_without_one(shop: Shop) -> None:
    promo_id = await promo_code(shop, "NOSUB", kind="days", value=3, max_activations=1)
    ann = await new_customer(shop.db, 938)
    assert await refused(shop, ann, "NOSUB") == "promo-needs-subscription"
    assert await used(shop, promo_id) == 0
    shop.panel.add(938, NOW - timedelta(days=1))  # expired: the days count from now
    redeemed = await shop.promos.redeem(ann, "NOSUB")
    assert redeemed.expires_at == NOW + timedelta(days=3) and await used(shop, promo_id) == 1


async def test_bonus_days_the_panel_failed_are_finished_later_and_given_once(shop: Shop) -> None:
    promo_id = await promo_code(shop, "LATER", kind="days", value=5)
    ann = await new_customer(shop.db, 939)
    shop.panel.add(939, NOW + timedelta(days=1))
    shop.panel.lose_replies = 1  # applied, the reply lost
    with pytest.raises(ServiceUnavailable, match="error-panel-unavailable"):
        await shop.promos.redeem(ann, "LATER")
    assert (await activation(shop, promo_id, ann.id)).status == "reserved"
    shop.clock.advance(shop.promos.reservation + timedelta(seconds=1))
    assert await shop.promos.release_expired() == 0  # a grant, not a reservation: finished, not released
    assert (await activation(shop, promo_id, ann.id)).status == "applied"
    assert shop.panel.users[1].expire_at == NOW + timedelta(days=6) and await used(shop, promo_id) == 1


async def test_a_days_code_for_other_tariffs_is_refused(shop: Shop) -> None:
    await promo_code(shop, "FAMDAYS", kind="days", value=3, tariff_codes=["family"])
    ann = await new_customer(shop.db, 940)
    shop.panel.add(940, NOW + timedelta(days=1))
    assert await refused(shop, ann, "FAMDAYS") == "promo-not-for-tariff"


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
    assert await shop.promos.offer(ann, "standard") is not None  # the use is hers, not used up
    order_id, reservation = await checkout(shop, ann)
    assert reservation.discount is not None and (await shop.get(order_id)).amount_minor == 17910
    assert await used(shop, promo_id) == 1
