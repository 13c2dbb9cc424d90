"""The promo service's limits at the service level: validity, the activation limit counted atomically by
reservations, given back by unpaid orders and consumed by payments, one use per customer, the balance
and bonus-day codes. The real database; settlement and the lifecycle as the shop wires them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from remnastore.db.models import Customer
from remnastore.db.repositories.orders import OrderRepository
from remnastore.domain.errors import ServiceUnavailable
from remnastore.domain.money import Money
from remnastore.payments.base import EventKind
from remnastore.services.promos import Reservation
from remnastore.services.settlement import Outcome
from tests.service.fakes import customer_view, new_customer
from tests.service.promo_support import activation, checkout, pending_code, promo_code, refused, used
from tests.service.shop import NOW, Shop, event

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
    ann = await customer_view(shop.db, ann.telegram_id)  # the next update: with the pending code
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
    ann = await customer_view(shop.db, ann.telegram_id)
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
