"""Pure rules of the lifecycle: event delivery to subscribers, traffic on renewal."""

from __future__ import annotations

import pytest

from remnastore.domain.catalogue import GIB, renewal_traffic_limit
from remnastore.domain.money import Money
from remnastore.services.lifecycle import OrderEvents, OrderFacts, OrderPaid, OrderRefunded
from remnastore.services.notifications import Recipient


def facts(order_id: str = "o-1") -> OrderFacts:
    return OrderFacts(
        order_id=order_id,
        customer_id=1,
        customer=Recipient(42, "en"),
        kind="subscription",
        provider="stars",
        amount=Money(150, "XTR"),
        tariff_code="standard",
        period_code="1m",
        meta={},
    )


async def test_a_failing_subscriber_does_not_stop_the_others_or_the_publisher() -> None:
    events = OrderEvents()
    heard: list[str] = []

    async def broken(event: OrderPaid) -> None:
        raise RuntimeError("the log chat is down")

    async def fulfil(event: OrderPaid) -> None:
        heard.append(event.order.order_id)

    events.subscribe(OrderPaid, "log-chat", broken)
    events.subscribe(OrderPaid, "fulfilment", fulfil)
    await events.publish(OrderPaid(facts()), None, OrderRefunded(facts("o-2"), was_fulfilled=False))
    assert heard == ["o-1"]  # refunded events have no subscriber here; None is skipped
    assert events.subscribers(OrderPaid) == ["log-chat", "fulfilment"]
    assert OrderPaid(facts()).order.item == "standard/1m"


@pytest.mark.parametrize(
    ("policy", "expected_gb"),
    [("reset", 100), ("keep_addons", 150), ("carry_over", 130)],
)
def test_renewal_traffic_of_a_limited_tariff(policy: str, expected_gb: int) -> None:
    # a 100 GB tariff with a 50 GB add-on (150 GB recorded and on the panel), 120 GB used
    limit = renewal_traffic_limit(
        policy, 100 * GIB, recorded_limit=150 * GIB, panel_limit=150 * GIB, panel_used=120 * GIB
    )
    assert limit == expected_gb * GIB


def test_renewal_traffic_edges() -> None:
    # unlimited stays unlimited; an overdrawn limit carries nothing; no add-on keeps the tariff's limit
    assert renewal_traffic_limit("carry_over", 0, recorded_limit=None, panel_limit=0, panel_used=5) == 0
    assert (
        renewal_traffic_limit("carry_over", 100, recorded_limit=100, panel_limit=100, panel_used=180) == 100
    )
    assert renewal_traffic_limit("keep_addons", 100, recorded_limit=None, panel_limit=0, panel_used=0) == 100
