"""Settlement of fixed products (no invoice of ours), two deliveries racing for one order, and the seller's
log line of every outcome, at the service level."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import func, select

from remnastore.db.models import Order
from remnastore.db.repositories.orders import OrderRepository
from remnastore.domain.money import Money
from remnastore.payments.base import EventKind
from remnastore.services.lifecycle import OrderPaid
from remnastore.services.settlement import Outcome, Settled, Settlement
from tests.service.fakes import new_customer
from tests.service.logs import lines
from tests.service.settlement_support import LOGGER, alert, orders_of, product_event
from tests.service.shop import CATALOGUE, NOW, PRODUCTS, Shop, event

# fixed products (no invoice of ours)


async def test_a_product_payment_makes_its_order_from_the_catalogue_once(shop: Shop) -> None:
    customer = await new_customer(shop.db, 721)
    settled = await shop.settlement.settle(product_event(721))
    assert settled.outcome is Outcome.CREDITED
    assert (await shop.settlement.settle(product_event(721))).outcome is Outcome.DUPLICATE

    [order] = await orders_of(shop, customer.id)
    assert settled.order_id == order.id
    assert (
        order.kind,
        order.provider,
        order.provider_payment_id,
        order.tariff_code,
        order.period_code,
        order.days,
        Money(order.amount_minor, order.currency),
        order.meta.get("product_ref"),
        order.status,
    ) == (
        "subscription",
        "tribute",
        "trb-1",
        "standard",
        "1m",
        30,
        Money(19900, "RUB"),
        "prod-standard-1m",
        "paid",
    )
    assert shop.receipts.calls == [("paid", order.id, NOW)]


async def test_a_product_is_priced_in_the_currency_paid(shop: Shop) -> None:
    customer = await new_customer(shop.db, 722)
    assert (
        await shop.settlement.settle(product_event(722, amount=Money(250, "USD")))
    ).outcome is Outcome.CREDITED
    [order] = await orders_of(shop, customer.id)
    assert Money(order.amount_minor, order.currency) == Money(250, "USD")


async def test_a_product_paid_in_a_currency_it_has_no_price_in_is_a_mismatch(shop: Shop) -> None:
    customer = await new_customer(shop.db, 723)
    settled = await shop.settlement.settle(product_event(723, amount=Money(19900, "EUR")))
    assert settled.outcome is Outcome.MISMATCH
    [order] = await orders_of(shop, customer.id)
    # priced by the catalogue (its first price), never by the event
    assert (Money(order.amount_minor, order.currency), order.status) == (Money(19900, "RUB"), "pending")
    assert shop.notices.sent == [alert(order.id, "amount", provider="tribute")]


async def test_product_events_that_cannot_make_an_order_are_unknown(shop: Shop) -> None:
    customer = await new_customer(shop.db, 724)
    for refused in (
        product_event(724, "prod-unknown"),  # a product nobody mapped
        product_event(724, "prod-nowhere"),  # mapped to an item the catalogue does not hold
        product_event(999_999),  # a buyer who is no customer
        product_event(None),  # no buyer
        product_event(724, amount=None),  # no amount
        product_event(724, kind=EventKind.REFUNDED),  # only a payment makes an order
        product_event(724, provider="yookassa"),  # a provider without products
    ):
        assert await shop.settlement.settle(refused) == Settled(Outcome.UNKNOWN_ORDER, None), refused
    assert await orders_of(shop, customer.id) == []


def racing(shop: Shop) -> Settlement:
    """Settlement as the shop wires it, whose first credited payment holds its transaction open until a
    second delivery has looked for the order too (and found none): a race, every time."""
    looked_up: list[str] = []
    both = asyncio.Event()

    def lookup(ref: str) -> tuple[str, str] | None:
        looked_up.append(ref)
        if len(looked_up) == 2:
            both.set()
        return PRODUCTS.get(ref)

    shop.receipts.pause = lambda: asyncio.wait_for(both.wait(), timeout=10)
    return Settlement(
        shop.db,
        shop.clock,
        CATALOGUE,
        lifecycle=shop.lifecycle,
        admins=shop.notices,
        product_lookups={"tribute": lookup},
        tax_receipts=shop.receipts,
    )


async def test_two_deliveries_of_one_product_payment_at_once_make_one_order(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    customer = await new_customer(shop.db, 725)
    settlement = racing(shop)
    results = await asyncio.gather(*(settlement.settle(product_event(725)) for _ in range(2)))
    assert sorted(r.outcome for r in results) == [Outcome.CREDITED, Outcome.DUPLICATE]
    [order] = await orders_of(shop, customer.id)
    assert {r.order_id for r in results} == {order.id} and order.status == "paid"
    assert len(shop.recorder.of(OrderPaid)) == 1
    async with shop.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Order)) == 1
    # the loser hit the unique key and was settled again, as the duplicate
    raced = [line for line in lines(caplog, LOGGER) if line[1] == "payment event raced a duplicate"]
    assert raced == [("INFO", "payment event raced a duplicate", {"provider": "tribute"})]


# the seller's log


async def test_each_outcome_is_logged_with_the_order_provider_and_kind(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    customer = await new_customer(shop.db, 729)
    order_id = await shop.order(customer.id)
    await shop.settlement.settle(event(order_id))
    await shop.settlement.settle(event(order_id, EventKind.REFUNDED))
    await shop.settlement.settle(event("no-such-order", payment_id="pay-ghost", provider="platega"))
    fields = {"provider": "yookassa", "order_id": order_id}
    assert lines(caplog, LOGGER) == [
        ("INFO", "payment event settled: credited", {**fields, "kind": "paid"}),
        ("INFO", "payment event settled: refunded", {**fields, "kind": "refunded"}),
        ("ERROR", "payment event for an unknown order", {"provider": "platega"}),
        (
            "INFO",
            "payment event settled: unknown_order",
            {"order_id": None, "provider": "platega", "kind": "paid"},
        ),
    ]


async def test_a_mismatch_is_logged_as_an_error_naming_what_differs(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    customer = await new_customer(shop.db, 730)
    order_id = await shop.order(customer.id)
    await shop.settlement.settle(event(order_id, currency="USD"))
    assert lines(caplog, LOGGER)[0] == (
        "ERROR",
        "payment does not match its order: amount",
        {"order_id": order_id},
    )


async def test_a_repaired_payment_and_a_lost_alert_are_logged(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    customer = await new_customer(shop.db, 731)
    order_id = await shop.order(customer.id, payment_id="pay-repair")
    async with shop.db.session() as session:
        await OrderRepository(session).record_event(
            provider="yookassa",
            provider_payment_id="pay-repair",
            kind="paid",
            amount=Money(19900, "RUB"),
            raw={},
            order_id=order_id,
        )
    await shop.settlement.settle(event(order_id, payment_id="pay-repair"))
    other_id = await shop.order(customer.id)

    async def broken(text_key: str, **args: str | int) -> None:
        raise RuntimeError("the admin chat is unreachable")

    shop.notices.alert = broken  # type: ignore[method-assign]
    await shop.settlement.settle(event(other_id, amount=1))
    logged = lines(caplog, LOGGER)
    assert logged[0] == (
        "WARNING",
        "crediting a payment whose key was recorded without effect",
        {"order_id": order_id},
    )
    assert logged[-1] == ("ERROR", "could not send a payment notice", {"order_id": other_id})
    assert caplog.records[-1].exc_info is not None
