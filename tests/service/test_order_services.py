"""Settlement, Fulfilment and Checkout at the service level: the real database, an in-process panel, a
recording subscriber of the order events. Each rule of the lifecycle in milliseconds."""

from __future__ import annotations

from datetime import timedelta

import pytest

from remnastore.db.repositories.orders import OrderRepository
from remnastore.domain.catalogue import add_months
from remnastore.domain.errors import DomainError
from remnastore.domain.money import Money
from remnastore.payments.base import EventKind
from remnastore.services.lifecycle import (
    OrderFailed,
    OrderFulfilled,
    OrderPaid,
    OrderRefunded,
)
from remnastore.services.settlement import Outcome
from tests.service.fakes import new_customer
from tests.service.shop import CATALOGUE, NOW, Shop, event


async def test_settlement_publishes_one_paid_event_per_payment(shop: Shop) -> None:
    customer = await new_customer(shop.db, 601)
    order_id = await shop.order(customer.id)
    assert (await shop.settlement.settle(event(order_id))).outcome is Outcome.CREDITED
    assert (await shop.settlement.settle(event(order_id))).outcome is Outcome.DUPLICATE
    [paid] = shop.recorder.of(OrderPaid)
    assert paid.order.order_id == order_id and paid.order.customer.telegram_id == 601 and not paid.late
    assert (await shop.get(order_id)).status == "paid"


async def test_a_wrong_amount_publishes_nothing(shop: Shop) -> None:
    customer = await new_customer(shop.db, 602)
    order_id = await shop.order(customer.id)
    assert (await shop.settlement.settle(event(order_id, amount=100))).outcome is Outcome.MISMATCH
    assert shop.recorder.events == []
    assert (
        "alert",
        {"key": "alert-payment-mismatch", "order": order_id, "provider": "yookassa", "reason": "amount"},
    ) in shop.notices.sent


async def test_failed_and_refunded_payments_publish_their_events(shop: Shop) -> None:
    customer = await new_customer(shop.db, 603)
    failed_id, refunded_id = await shop.order(customer.id), await shop.order(customer.id)
    await shop.settlement.settle(event(failed_id, EventKind.FAILED))
    await shop.settlement.settle(event(refunded_id))
    await shop.settlement.settle(event(refunded_id, EventKind.REFUNDED))
    assert [type(e) for e in shop.recorder.events] == [OrderFailed, OrderPaid, OrderRefunded]
    assert shop.recorder.of(OrderRefunded)[0].was_fulfilled is False


async def test_fulfilment_gives_the_period_once_and_publishes_fulfilled(shop: Shop) -> None:
    customer = await new_customer(shop.db, 604)
    order_id = await shop.order(customer.id)
    await shop.settlement.settle(event(order_id))
    assert await shop.fulfilment.fulfil(order_id)
    assert not await shop.fulfilment.fulfil(order_id)  # a repeat does nothing
    [user] = shop.panel.users.values()
    assert user.expire_at == add_months(NOW, 1)
    [done] = shop.recorder.of(OrderFulfilled)
    assert done.expires_at == add_months(NOW, 1) and done.link == user.subscription_url
    assert (await shop.get(order_id)).status == "fulfilled"


async def test_a_panel_outage_schedules_a_retry_and_the_retry_adds_nothing_twice(shop: Shop) -> None:
    customer = await new_customer(shop.db, 605)
    order_id = await shop.order(customer.id)
    await shop.settlement.settle(event(order_id))
    shop.panel.lose_replies = 1  # the user is created, the reply lost
    assert not await shop.fulfilment.fulfil(order_id)
    stuck = await shop.get(order_id)
    assert stuck.status == "paid" and stuck.fulfilment_attempts == 1 and stuck.next_attempt_at is not None
    shop.clock.advance(timedelta(minutes=1))
    assert await shop.fulfilment.fulfil_due() == 1
    [user] = shop.panel.users.values()
    assert user.expire_at == add_months(NOW, 1)


async def test_a_refund_while_the_panel_call_is_in_flight_takes_the_access_back_once(shop: Shop) -> None:
    customer = await new_customer(shop.db, 606)
    order_id = await shop.order(customer.id)
    await shop.settlement.settle(event(order_id))
    panel = shop.panel
    create = panel.create_user

    async def refunded_meanwhile(req):  # the refund is settled while the create call is under way
        user = await create(req)
        await shop.settlement.settle(event(order_id, EventKind.REFUNDED))
        return user

    panel.create_user = refunded_meanwhile  # type: ignore[method-assign]
    assert not await shop.fulfilment.fulfil(order_id)
    [refunded] = shop.recorder.of(OrderRefunded)
    assert refunded.was_fulfilled  # its target was stored: the access may be on the panel
    await shop.fulfilment.revoke(order_id)  # what the subscriber does, after the fact: nothing more
    assert panel.calls.count("disable") == 1
    [user] = panel.users.values()
    assert user.status == "DISABLED" and shop.recorder.of(OrderFulfilled) == []


async def test_an_order_kind_nobody_registered_is_left_for_later(shop: Shop) -> None:
    customer = await new_customer(shop.db, 607)
    async with shop.db.session() as session:
        order = await OrderRepository(session).create(
            customer.id, kind="lottery", amount=Money(100, "RUB"), provider="yookassa"
        )
        order_id = order.id
    assert not await shop.fulfilment.fulfil(order_id)
    assert shop.panel.calls == []


async def test_checkout_balance_payment_is_marked_paid_through_the_lifecycle(shop: Shop) -> None:
    from remnastore.services.checkout import Checkout, PaidFromBalance
    from remnastore.services.effective_settings import Defaults, EffectiveSettings, TrialOptions

    defaults = Defaults(
        catalogue=CATALOGUE,
        trial=TrialOptions(False, 3, 0, 1),
        trial_strategy="NO_RESET",
        trial_squads=(),
        methods=("balance",),
        links={},
    )
    checkout = Checkout(
        shop.db,
        EffectiveSettings(shop.db, defaults, shop.clock),
        {},
        shop.clock,
        lifecycle=shop.lifecycle,
        balance_currency="RUB",
    )
    poor = await new_customer(shop.db, 608, balance=100)
    with pytest.raises(DomainError, match="balance-insufficient"):
        await checkout.start(poor, "standard", "1m", "balance", description="")
    assert shop.recorder.events == []
    rich = await new_customer(shop.db, 609, balance=50000)
    paid = await checkout.start(rich, "standard", "1m", "balance", description="")
    assert isinstance(paid, PaidFromBalance)
    [event_] = shop.recorder.of(OrderPaid)
    assert (event_.order.order_id, event_.order.provider, event_.order.amount) == (
        paid.order_id,
        "balance",
        Money(19900, "RUB"),
    )
