"""A Stars charge whose successful_payment never reached the shop is found in getStarTransactions and
credited exactly once, with the same key as the normal path, however often and concurrently it runs."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from remnastore.db.models import PaymentEvent
from remnastore.payments.stars import StarsProvider
from remnastore.services.stars_reconciliation import StarsReconciliation
from tests.e2e.test_purchase_stars import open_invoice, orders
from tests.fixtures.shop import Shop


def reconciliation(shop: Shop) -> StarsReconciliation:
    """A fresh run of the shop's job (its own cursor), looking at charges of any age."""
    stars = shop.app.providers["stars"]
    assert isinstance(stars, StarsProvider)
    return StarsReconciliation(
        shop.db, stars, shop.app.clock, shop.app.settlement.settle, min_age=timedelta(0)
    )


async def paid_events(shop: Shop) -> list[tuple[str, str | None]]:
    async with shop.db.session() as session:
        rows = (await session.scalars(select(PaymentEvent).where(PaymentEvent.kind == "paid"))).all()
    return [(row.provider_payment_id, row.order_id) for row in rows]


async def test_a_charge_whose_update_was_lost_is_credited_once(shop: Shop) -> None:
    link = await open_invoice(shop, 8701)
    buyer = shop.user(8701)
    paid = await buyer.pay_invoice(link=link, lose_update=True)
    assert paid.approved and paid.payment_update_id is None
    [order] = await orders(shop)
    assert order.status == "pending"

    job = shop.app.stars_reconciliation
    assert job is not None
    assert await job.run() == 0  # younger than a minute: left to the update for now
    job.min_age = timedelta(0)
    assert await job.run() == 1
    await shop.telegram.wait_until(lambda: any("Payment received" in m.text for m in buyer.messages), 10)
    [order] = await orders(shop)
    assert order.status == "fulfilled" and order.provider_payment_id == paid.charge_id
    assert await paid_events(shop) == [(paid.charge_id, order.id)]

    # again, and from scratch (as after a restart): nothing more
    assert await job.run() == 0
    assert await reconciliation(shop).run() == 0
    assert await paid_events(shop) == [(paid.charge_id, order.id)]
    assert sum("Payment received" in m.text for m in buyer.history) == 1


async def test_reconciliation_racing_the_update_credits_once(shop: Shop) -> None:
    link = await open_invoice(shop, 8702)
    buyer = shop.user(8702)
    other = shop.user(8703)
    other_link = await open_invoice(shop, 8703)
    lost = await other.pay_invoice(link=other_link, lose_update=True)
    # the update of this one is delivered while several runs of the job go over both charges
    paid = await buyer.pay_invoice(link=link)
    runs = await asyncio.gather(*(reconciliation(shop).run() for _ in range(4)))
    await shop.telegram.wait_until(
        lambda: (
            any("Payment received" in m.text for m in buyer.messages)
            and any("Payment received" in m.text for m in other.messages)
        ),
        timeout=10,
    )
    assert sum(runs) >= 1  # the lost one, by some run; the delivered one perhaps too (a duplicate then)
    by_order = {o.id: o for o in await orders(shop)}
    events = await paid_events(shop)
    assert sorted(charge for charge, _ in events) == sorted([paid.charge_id, lost.charge_id])
    assert {by_order[order_id].status for _, order_id in events} == {"fulfilled"}
    assert sum("Payment received" in m.text for m in buyer.history) == 1
    assert sum("Payment received" in m.text for m in other.history) == 1
