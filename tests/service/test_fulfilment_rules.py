"""Fulfilment's own rules at the service level: the registry of order kinds, the back-off between
attempts, the stuck-order alert, the batch of due orders, and what a failing kind leaves behind. The
subscription kind is the real one (around the in-process panel); ``Kind`` stands for any other kind a
seller registers, answering as told."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from remnastore.db.models import Order
from remnastore.db.repositories.orders import OrderRepository
from remnastore.domain.money import Money
from remnastore.services.fulfilment import (
    ALERT_AFTER_ATTEMPTS,
    CONFIGURATION_RETRY,
    MAX_BACKOFF,
    OrderKinds,
    backoff,
)
from tests.service.fakes import new_customer
from tests.service.logs import lines
from tests.service.shop import NOW, Shop

LOGGER = "remnastore.services.fulfilment"


@dataclass
class Kind:
    """An order kind that answers as told and remembers what it was asked."""

    result: bool = True
    error: Exception | None = None
    fulfilled: list[str] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)

    async def fulfil(self, order_id: str) -> bool:
        self.fulfilled.append(order_id)
        if self.error is not None:
            raise self.error
        return self.result

    async def revoke(self, order_id: str) -> None:
        self.revoked.append(order_id)
        if self.error is not None:
            raise self.error


async def paid_order(shop: Shop, customer_id: int, kind: str = "gift", *, paid: bool = True) -> str:
    async with shop.db.session() as session:
        order = await OrderRepository(session).create(
            customer_id, kind=kind, amount=Money(100, "RUB"), provider="yookassa"
        )
        if paid:
            await shop.lifecycle.mark_paid(session, order, payment_id=f"pay-{order.id}")
        return order.id


def stuck_alerts(shop: Shop) -> list[dict[str, object]]:
    return [
        args for name, args in shop.notices.sent if name == "alert" and args["key"] == "alert-order-stuck"
    ]


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [(0, 10), (1, 10), (2, 20), (3, 40), (4, 80), (9, 2560), (10, 3600), (30, 3600)],
)
def test_the_back_off_doubles_from_ten_seconds_up_to_an_hour(attempts: int, seconds: int) -> None:
    assert backoff(attempts) == timedelta(seconds=seconds)
    assert timedelta(hours=1) == MAX_BACKOFF and timedelta(hours=6) == CONFIGURATION_RETRY


def test_the_registry_knows_only_the_kinds_registered() -> None:
    kinds = OrderKinds()
    gift = Kind()
    kinds.register("gift", gift)
    assert "gift" in kinds and "subscription" not in kinds and 1 not in kinds
    assert kinds.get("gift") is gift and kinds.get("subscription") is None


async def test_each_failure_is_counted_and_scheduled_and_the_fifth_alerts_once(shop: Shop) -> None:
    customer = await new_customer(shop.db, 801)
    order_id = await paid_order(shop, customer.id)
    for attempt in range(1, 7):
        await shop.failures(order_id, f"timeout {attempt}")
        order = await shop.get(order_id)
        assert (order.fulfilment_attempts, order.last_error) == (attempt, f"timeout {attempt}")
        assert order.next_attempt_at == NOW + backoff(attempt)
        assert len(stuck_alerts(shop)) == (0 if attempt < ALERT_AFTER_ATTEMPTS else 1)
    assert ALERT_AFTER_ATTEMPTS == 5
    assert stuck_alerts(shop) == [{"key": "alert-order-stuck", "order": order_id, "attempts": 5}]


async def test_a_failure_with_its_own_retry_time_waits_so_long_and_raises_no_stuck_alert(
    shop: Shop,
) -> None:
    customer = await new_customer(shop.db, 802)
    order_id = await paid_order(shop, customer.id)
    for _ in range(ALERT_AFTER_ATTEMPTS):
        await shop.failures(order_id, "squads missing", retry_in=CONFIGURATION_RETRY)
    order = await shop.get(order_id)
    assert order.fulfilment_attempts == 5 and order.next_attempt_at == NOW + CONFIGURATION_RETRY
    assert stuck_alerts(shop) == []


async def test_a_failure_of_an_order_no_longer_paid_is_not_counted(shop: Shop) -> None:
    customer = await new_customer(shop.db, 803)
    pending_id = await paid_order(shop, customer.id, paid=False)
    await shop.failures(pending_id, "late")
    await shop.failures("no-such-order", "gone")
    order = await shop.get(pending_id)
    assert (order.fulfilment_attempts, order.last_error, order.next_attempt_at) == (0, None, None)


async def test_a_kind_that_fails_leaves_the_order_paid_with_the_error_and_a_retry(shop: Shop) -> None:
    customer = await new_customer(shop.db, 804)
    order_id = await paid_order(shop, customer.id)
    broken = Kind(error=RuntimeError("the gift service is down"))
    shop.fulfilment.kinds.register("gift", broken)

    assert await shop.fulfilment.fulfil(order_id) is False
    order = await shop.get(order_id)
    assert (order.status, order.fulfilment_attempts) == ("paid", 1)
    assert order.last_error == "RuntimeError: the gift service is down"
    assert order.next_attempt_at == NOW + timedelta(seconds=10)


async def test_fulfil_answers_what_the_kind_answers(shop: Shop) -> None:
    customer = await new_customer(shop.db, 805)
    order_id = await paid_order(shop, customer.id)
    shop.fulfilment.kinds.register("gift", Kind(result=True))
    assert await shop.fulfilment.fulfil(order_id) is True
    shop.fulfilment.kinds.register("gift", Kind(result=False))
    assert await shop.fulfilment.fulfil(order_id) is False
    assert await shop.fulfilment.fulfil("no-such-order") is False


async def test_only_due_orders_are_fulfilled_up_to_the_limit(shop: Shop) -> None:
    customer = await new_customer(shop.db, 806)
    gifts = Kind()
    shop.fulfilment.kinds.register("gift", gifts)
    due = [await paid_order(shop, customer.id) for _ in range(3)]
    later = await paid_order(shop, customer.id)
    await paid_order(shop, customer.id, paid=False)
    await shop.failures(later, "timeout")  # next attempt in 10 s

    assert await shop.fulfilment.fulfil_due(limit=2) == 2
    assert len(set(gifts.fulfilled)) == 2 and set(gifts.fulfilled) < set(due)
    assert await shop.fulfilment.fulfil_due() == 3  # the kind leaves them paid: they stay due
    assert later not in gifts.fulfilled
    shop.clock.advance(timedelta(seconds=10))
    gifts.fulfilled.clear()
    assert await shop.fulfilment.fulfil_due() == 4 and later in gifts.fulfilled


async def test_a_batch_counts_only_the_orders_fulfilled(shop: Shop) -> None:
    customer = await new_customer(shop.db, 807)
    shop.fulfilment.kinds.register("gift", Kind(result=False))
    for _ in range(2):
        await paid_order(shop, customer.id)
    assert await shop.fulfilment.fulfil_due() == 0


async def test_a_batch_takes_fifty_orders_at_most(shop: Shop) -> None:
    customer = await new_customer(shop.db, 808)
    shop.fulfilment.kinds.register("gift", Kind())
    async with shop.db.session() as session:
        orders = OrderRepository(session)
        for _ in range(51):
            order: Order = await orders.create(
                customer.id, kind="gift", amount=Money(100, "RUB"), provider="yookassa"
            )
            await shop.lifecycle.mark_paid(session, order, payment_id=f"pay-{order.id}")
    assert await shop.fulfilment.fulfil_due() == 50


async def test_revoke_asks_the_kind_once_and_alerts_when_it_fails(shop: Shop) -> None:
    customer = await new_customer(shop.db, 809)
    order_id = await paid_order(shop, customer.id)
    gifts = Kind()
    shop.fulfilment.kinds.register("gift", gifts)
    await shop.fulfilment.revoke(order_id)
    await shop.fulfilment.revoke("no-such-order")
    assert gifts.revoked == [order_id] and shop.notices.sent == []

    shop.fulfilment.kinds.register("gift", Kind(error=RuntimeError("refused")))
    await shop.fulfilment.revoke(order_id)
    assert shop.notices.sent == [("alert", {"key": "alert-revoke-failed", "order": order_id})]


async def test_an_order_of_a_kind_nobody_registered_is_neither_fulfilled_nor_revoked(shop: Shop) -> None:
    customer = await new_customer(shop.db, 810)
    order_id = await paid_order(shop, customer.id, kind="lottery")
    shop.fulfilment.kinds.register("gift", Kind(error=RuntimeError("must not be called")))
    assert await shop.fulfilment.fulfil(order_id) is False
    await shop.fulfilment.revoke(order_id)
    order = await shop.get(order_id)
    assert (order.status, order.fulfilment_attempts) == ("paid", 0) and shop.notices.sent == []


async def test_failures_are_logged_for_the_seller_with_the_order(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    customer = await new_customer(shop.db, 811)
    order_id = await paid_order(shop, customer.id)
    shop.fulfilment.kinds.register("gift", Kind(error=RuntimeError("down")))
    await shop.fulfilment.fulfil(order_id)
    await shop.fulfilment.revoke(order_id)
    assert lines(caplog, LOGGER) == [
        ("ERROR", "fulfilment of a gift order failed", {"order_id": order_id}),
        ("WARNING", "fulfilment failed: RuntimeError: down", {"order_id": order_id}),
        ("ERROR", "revoking a gift order failed", {"order_id": order_id}),
    ]
    assert all(r.exc_info is not None for r in caplog.records if r.levelname == "ERROR")
