"""Every rule of settlement at the service level (the real database, recording fakes around it): what is
credited, what is a duplicate, a mismatch with an alert, ignored or unknown; what is kept on record; what
the tax receipt queue and the metrics are told. Milliseconds per rule, so that mutation testing can run
them for every planted bug (the end-to-end tests hold the same rules through a running shop)."""

from __future__ import annotations

from remnastore.db.models import OrderStatus
from remnastore.db.repositories.orders import OrderRepository
from remnastore.domain.money import Money
from remnastore.payments.base import EventKind
from remnastore.services.lifecycle import OrderFailed, OrderPaid, OrderRefunded
from remnastore.services.settlement import Outcome, Settled
from tests.service.fakes import new_customer
from tests.service.settlement_support import alert
from tests.service.shop import NOW, Shop, event

# paying


async def test_a_payment_is_credited_once_kept_on_record_and_queues_one_receipt(shop: Shop) -> None:
    customer = await new_customer(shop.db, 701)
    order_id = await shop.order(customer.id)
    raw = {"id": f"pay-{order_id}", "status": "succeeded"}

    assert await shop.settlement.settle(event(order_id, raw=raw)) == Settled(Outcome.CREDITED, order_id)
    assert await shop.settlement.settle(event(order_id, raw=raw)) == Settled(Outcome.DUPLICATE, order_id)

    order = await shop.get(order_id)
    assert (order.status, order.provider_payment_id, order.paid_at) == ("paid", f"pay-{order_id}", NOW)
    assert await shop.events("yookassa", f"pay-{order_id}") == [("paid", order_id, Money(19900, "RUB"), raw)]
    assert shop.receipts.calls == [("paid", order_id, NOW)]
    assert shop.receipts.seen == ["paid"]  # queued in the transaction that marks the order paid
    assert shop.outcomes == [("yookassa", "credited"), ("yookassa", "duplicate")]
    [paid] = shop.recorder.of(OrderPaid)
    assert not paid.late and paid.order.amount == Money(19900, "RUB")
    assert shop.notices.sent == []


async def test_a_payment_without_an_amount_is_credited_and_recorded_at_the_orders_amount(shop: Shop) -> None:
    customer = await new_customer(shop.db, 702)
    order_id = await shop.order(customer.id)
    settled = await shop.settlement.settle(event(order_id, amount=None))
    assert settled == Settled(Outcome.CREDITED, order_id)
    assert await shop.events("yookassa", f"pay-{order_id}") == [("paid", order_id, Money(19900, "RUB"), {})]


async def test_a_payment_in_another_currency_is_a_mismatch_even_with_the_same_number(shop: Shop) -> None:
    customer = await new_customer(shop.db, 703)
    order_id = await shop.order(customer.id)
    usd = event(order_id, currency="USD")

    assert await shop.settlement.settle(usd) == Settled(Outcome.MISMATCH, order_id)
    assert await shop.settlement.settle(usd) == Settled(
        Outcome.DUPLICATE, order_id
    )  # a redelivery: no 2nd alert

    order = await shop.get(order_id)
    assert (order.status, order.meta.get("mismatch")) == ("pending", "amount")
    assert shop.notices.sent == [alert(order_id, "amount")]
    assert shop.recorder.events == [] and shop.receipts.calls == []
    assert shop.outcomes == [("yookassa", "mismatch"), ("yookassa", "duplicate")]
    # kept on record under a key of its own: the payment's own key stays free ...
    assert await shop.events("yookassa", f"pay-{order_id}") == [
        ("amount_mismatch", order_id, Money(19900, "USD"), {"reason": "amount", "event": "paid"})
    ]
    # ... so the genuine notification of that payment is still credited
    assert (await shop.settlement.settle(event(order_id))).outcome is Outcome.CREDITED


async def test_a_smaller_amount_in_the_right_currency_is_a_mismatch(shop: Shop) -> None:
    customer = await new_customer(shop.db, 704)
    order_id = await shop.order(customer.id)
    assert (await shop.settlement.settle(event(order_id, amount=19899))).outcome is Outcome.MISMATCH
    assert (await shop.get(order_id)).status == "pending"
    assert shop.notices.sent == [alert(order_id, "amount")]


async def test_a_second_different_payment_for_a_paid_order_is_a_mismatch_with_an_alert(shop: Shop) -> None:
    customer = await new_customer(shop.db, 705)
    order_id = await shop.order(customer.id)
    await shop.settlement.settle(event(order_id, payment_id="pay-A"))

    second = event(order_id, payment_id="pay-B")
    assert await shop.settlement.settle(second) == Settled(Outcome.MISMATCH, order_id)
    assert await shop.settlement.settle(second) == Settled(Outcome.DUPLICATE, order_id)

    order = await shop.get(order_id)
    assert (order.status, order.provider_payment_id) == ("paid", "pay-A")
    assert order.meta.get("mismatch") == "second payment"
    assert shop.notices.sent == [alert(order_id, "second payment")]
    assert len(shop.recorder.of(OrderPaid)) == 1 and shop.receipts.calls == [("paid", order_id, NOW)]
    assert [kind for kind, *_ in await shop.events("yookassa", "pay-B")] == ["amount_mismatch"]


async def test_a_payment_other_than_the_invoices_is_a_mismatch_even_for_a_pending_order(shop: Shop) -> None:
    customer = await new_customer(shop.db, 706)
    order_id = await shop.order(customer.id, payment_id="pay-invoice")
    assert (await shop.settlement.settle(event(order_id, payment_id="pay-other"))).outcome is Outcome.MISMATCH
    assert (await shop.get(order_id)).status == "pending"
    assert (
        await shop.settlement.settle(event(order_id, payment_id="pay-invoice"))
    ).outcome is Outcome.CREDITED


async def test_a_notification_of_another_provider_is_a_mismatch_and_never_credits(shop: Shop) -> None:
    customer = await new_customer(shop.db, 707)
    order_id = await shop.order(customer.id)
    foreign = event(order_id, provider="platega", payment_id="pl-1")
    assert await shop.settlement.settle(foreign) == Settled(Outcome.MISMATCH, order_id)
    order = await shop.get(order_id)
    assert (order.status, order.meta.get("mismatch")) == ("pending", "provider")
    assert shop.notices.sent == [alert(order_id, "provider", provider="platega")]
    assert await shop.events("platega", "pl-1") == [
        ("amount_mismatch", order_id, Money(19900, "RUB"), {"reason": "provider", "event": "paid"})
    ]
    # not even a refund of the other provider touches the order
    refund = event(order_id, EventKind.REFUNDED, provider="platega", payment_id="pl-2")
    assert (await shop.settlement.settle(refund)).outcome is Outcome.MISMATCH


async def test_a_payment_for_an_expired_order_is_credited_late(shop: Shop) -> None:
    customer = await new_customer(shop.db, 708)
    order_id = await shop.order(customer.id)
    async with shop.db.session() as session:
        orders = OrderRepository(session)
        order = await orders.get(order_id)
        assert order is not None
        await orders.set_status(order, OrderStatus.EXPIRED, now=NOW)

    assert (await shop.settlement.settle(event(order_id))).outcome is Outcome.CREDITED
    [paid] = shop.recorder.of(OrderPaid)
    assert paid.late
    order = await shop.get(order_id)
    assert (order.status, order.meta.get("late_payment")) == ("paid", True)
    assert shop.receipts.calls == [("paid", order_id, NOW)]


async def test_a_payment_for_a_failed_order_is_credited_late(shop: Shop) -> None:
    customer = await new_customer(shop.db, 709)
    order_id = await shop.order(customer.id)
    assert (await shop.settlement.settle(event(order_id, EventKind.FAILED))).outcome is Outcome.FAILED
    assert (await shop.settlement.settle(event(order_id))).outcome is Outcome.CREDITED
    assert [type(e) for e in shop.recorder.events] == [OrderFailed, OrderPaid]
    assert shop.recorder.of(OrderPaid)[0].late and (await shop.get(order_id)).status == "paid"


async def test_a_notification_for_an_order_already_paid_another_way_is_ignored(shop: Shop) -> None:
    # auto-renewal and the balance mark an order paid themselves, under the order's payment id
    customer = await new_customer(shop.db, 710)
    order_id = await shop.order(customer.id)
    async with shop.db.session() as session:
        order = await OrderRepository(session).get_for_update(order_id)
        assert order is not None
        await shop.lifecycle.mark_paid(session, order, payment_id=f"pay-{order_id}")

    assert await shop.settlement.settle(event(order_id)) == Settled(Outcome.IGNORED, order_id)
    assert shop.receipts.calls == [] and shop.recorder.events == [] and shop.notices.sent == []
    assert shop.outcomes == [("yookassa", "ignored")]


async def test_a_payment_whose_key_was_recorded_without_effect_is_credited_now(shop: Shop) -> None:
    customer = await new_customer(shop.db, 711)
    order_id = await shop.order(customer.id)
    async with shop.db.session() as session:
        orders = OrderRepository(session)
        order = await orders.get(order_id)
        assert order is not None
        await orders.set_provider_payment(order, provider_payment_id=f"pay-{order_id}")  # the invoice's
        await orders.record_event(
            provider="yookassa",
            provider_payment_id=f"pay-{order_id}",
            kind="paid",
            amount=Money(19900, "RUB"),
            raw={},
            order_id=order_id,
        )
    assert await shop.settlement.settle(event(order_id)) == Settled(Outcome.CREDITED, order_id)
    assert (await shop.get(order_id)).status == "paid" and len(shop.recorder.of(OrderPaid)) == 1


async def test_a_recorded_key_without_the_invoices_payment_id_is_a_duplicate(shop: Shop) -> None:
    customer = await new_customer(shop.db, 712)
    order_id = await shop.order(customer.id)
    async with shop.db.session() as session:
        await OrderRepository(session).record_event(
            provider="yookassa",
            provider_payment_id=f"pay-{order_id}",
            kind="paid",
            amount=Money(19900, "RUB"),
            raw={},
            order_id=order_id,
        )
    assert await shop.settlement.settle(event(order_id)) == Settled(Outcome.DUPLICATE, order_id)
    assert (await shop.get(order_id)).status == "pending"


# failures, refunds and the rest


async def test_a_failed_or_cancelled_payment_fails_a_pending_order_once(shop: Shop) -> None:
    customer = await new_customer(shop.db, 713)
    failed_id, cancelled_id = await shop.order(customer.id), await shop.order(customer.id)

    assert await shop.settlement.settle(event(failed_id, EventKind.FAILED)) == Settled(
        Outcome.FAILED, failed_id
    )
    assert await shop.settlement.settle(event(failed_id, EventKind.FAILED)) == Settled(
        Outcome.DUPLICATE, failed_id
    )
    assert (await shop.settlement.settle(event(cancelled_id, EventKind.CANCELED))).outcome is Outcome.FAILED

    assert [(await shop.get(i)).status for i in (failed_id, cancelled_id)] == ["failed", "failed"]
    assert [e.order.order_id for e in shop.recorder.of(OrderFailed)] == [failed_id, cancelled_id]
    assert [kind for kind, *_ in await shop.events("yookassa", f"pay-{failed_id}")] == ["failed"]
    assert shop.receipts.calls == []


async def test_a_failure_reported_after_the_payment_changes_nothing(shop: Shop) -> None:
    customer = await new_customer(shop.db, 714)
    order_id = await shop.order(customer.id)
    await shop.settlement.settle(event(order_id))
    assert await shop.settlement.settle(event(order_id, EventKind.CANCELED)) == Settled(
        Outcome.IGNORED, order_id
    )
    assert (await shop.get(order_id)).status == "paid" and shop.recorder.of(OrderFailed) == []


async def test_a_refund_of_a_paid_order_is_recorded_once_and_cancels_its_receipt(shop: Shop) -> None:
    customer = await new_customer(shop.db, 715)
    order_id = await shop.order(customer.id)
    await shop.settlement.settle(event(order_id))
    shop.clock.set(NOW.replace(hour=15))

    refund = event(order_id, EventKind.REFUNDED)
    assert await shop.settlement.settle(refund) == Settled(Outcome.REFUNDED, order_id)
    assert await shop.settlement.settle(refund) == Settled(Outcome.DUPLICATE, order_id)

    assert (await shop.get(order_id)).status == "refunded"
    assert shop.receipts.calls == [("paid", order_id, NOW), ("refunded", order_id, NOW.replace(hour=15))]
    assert shop.receipts.seen == ["paid", "refunded"]
    [refunded] = shop.recorder.of(OrderRefunded)
    assert refunded.order.order_id == order_id and not refunded.was_fulfilled


async def test_a_chargeback_of_a_fulfilled_order_takes_it_back(shop: Shop) -> None:
    customer = await new_customer(shop.db, 716)
    order_id = await shop.order(customer.id)
    await shop.settlement.settle(event(order_id))
    assert await shop.fulfilment.fulfil(order_id)

    chargeback = event(order_id, EventKind.CHARGEBACK)
    assert await shop.settlement.settle(chargeback) == Settled(Outcome.REFUNDED, order_id)
    assert (await shop.get(order_id)).status == "refunded"
    [refunded] = shop.recorder.of(OrderRefunded)
    assert refunded.was_fulfilled
    assert [call[0] for call in shop.receipts.calls] == ["paid", "refunded"]


async def test_a_refund_of_an_unpaid_order_is_ignored(shop: Shop) -> None:
    customer = await new_customer(shop.db, 717)
    order_id = await shop.order(customer.id)
    assert await shop.settlement.settle(event(order_id, EventKind.REFUNDED)) == Settled(
        Outcome.IGNORED, order_id
    )
    assert (await shop.get(order_id)).status == "pending"
    assert shop.receipts.calls == [] and shop.recorder.events == []


async def test_a_pending_notification_is_recorded_and_changes_nothing(shop: Shop) -> None:
    customer = await new_customer(shop.db, 718)
    order_id = await shop.order(customer.id)
    pending = event(order_id, EventKind.PENDING)
    assert await shop.settlement.settle(pending) == Settled(Outcome.IGNORED, order_id)
    assert await shop.settlement.settle(pending) == Settled(Outcome.DUPLICATE, order_id)
    assert (await shop.get(order_id)).status == "pending" and shop.recorder.events == []
    assert (await shop.settlement.settle(event(order_id))).outcome is Outcome.CREDITED


# finding the order


async def test_an_event_for_an_unknown_order_is_not_recorded_so_a_redelivery_can_settle(shop: Shop) -> None:
    unknown = event("no-such-order", payment_id="pay-ghost")
    assert await shop.settlement.settle(unknown) == Settled(Outcome.UNKNOWN_ORDER, None)
    assert await shop.events("yookassa", "pay-ghost") == []
    assert shop.outcomes == [("yookassa", "unknown_order")] and shop.notices.sent == []

    customer = await new_customer(shop.db, 719)
    order_id = await shop.order(customer.id, payment_id="pay-ghost")  # the invoice turns up
    assert await shop.settlement.settle(unknown) == Settled(Outcome.CREDITED, order_id)


async def test_an_event_without_our_order_id_is_found_by_the_providers_payment_id(shop: Shop) -> None:
    customer = await new_customer(shop.db, 720)
    order_id = await shop.order(customer.id, payment_id="pay-77")
    other_provider = await shop.order(customer.id, provider="platega", payment_id="pay-78")
    assert await shop.settlement.settle(event(None, payment_id="pay-77")) == Settled(
        Outcome.CREDITED, order_id
    )
    # the payment id is the provider's own: another provider's id finds nothing
    assert (await shop.settlement.settle(event(None, payment_id="pay-78"))).outcome is Outcome.UNKNOWN_ORDER
    assert (await shop.get(other_provider)).status == "pending"


# notices


async def test_an_alert_that_cannot_be_sent_does_not_undo_the_mismatch(shop: Shop) -> None:
    customer = await new_customer(shop.db, 726)
    order_id = await shop.order(customer.id)

    async def broken(text_key: str, **args: str | int) -> None:
        raise RuntimeError("the admin chat is unreachable")

    shop.notices.alert = broken  # type: ignore[method-assign]
    assert await shop.settlement.settle(event(order_id, amount=1)) == Settled(Outcome.MISMATCH, order_id)
    assert (await shop.get(order_id)).meta.get("mismatch") == "amount"


async def test_a_card_saved_with_the_payment_is_remembered_on_the_order(shop: Shop) -> None:
    customer = await new_customer(shop.db, 727)
    order_id = await shop.order(customer.id)
    await shop.settlement.settle(event(order_id, saved_method_id="card-42"))
    assert (await shop.get(order_id)).meta.get("saved_method_id") == "card-42"
    [paid] = shop.recorder.of(OrderPaid)
    assert paid.order.meta.get("saved_method_id") == "card-42"


async def test_a_second_payment_without_an_amount_is_kept_at_the_orders_amount(shop: Shop) -> None:
    customer = await new_customer(shop.db, 728)
    order_id = await shop.order(customer.id)
    await shop.settlement.settle(event(order_id, payment_id="pay-A"))
    second = event(order_id, payment_id="pay-B", amount=None)
    assert (await shop.settlement.settle(second)).outcome is Outcome.MISMATCH
    assert await shop.events("yookassa", "pay-B") == [
        ("amount_mismatch", order_id, Money(19900, "RUB"), {"reason": "second payment", "event": "paid"})
    ]
