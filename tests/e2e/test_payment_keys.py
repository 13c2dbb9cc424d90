"""A payment's idempotency key can be taken by no one but the payment itself.

Every webhook provider: the genuine notification of one paid order, re-sent with another order's payment id,
neither credits anything nor keeps the other order's genuine notification from crediting it; a notification
that does not match its order leaves the key free; and reconciliation repairs an order whose payment the
provider reports as paid even when its key is already on record.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from sqlalchemy import func, select

from remnastore.db.models import Order, PaymentEvent
from remnastore.db.repositories.orders import OrderRepository
from remnastore.domain.money import Money
from remnastore.emulators.provider_base import Delivery
from remnastore.services.reconciliation import Reconciliation
from tests.e2e.test_purchase_providers import ACK, buy, paid_notification
from tests.fixtures.providers import PaymentEmulators
from tests.fixtures.shop import Shop


@pytest.fixture
def shop_env(payment_emulators: PaymentEmulators) -> dict[str, str]:
    return payment_emulators.settings()


@pytest.fixture
def providers(shop: Shop, payment_emulators: PaymentEmulators) -> PaymentEmulators:
    payment_emulators.point_at(f"http://127.0.0.1:{shop.app.port}")
    return payment_emulators


def _json_with(body: bytes, path: tuple[str, ...], value: Any) -> bytes:
    document = json.loads(body)
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def _form_with(body: bytes, field: str, value: str) -> bytes:
    return urlencode({**dict(parse_qsl(body.decode())), field: value}).encode()


#: how each provider's notification names its payment, rewritten to another payment's id (signatures kept)
RETARGET: dict[str, Callable[[bytes, str], bytes]] = {
    "yookassa": lambda body, key: _json_with(body, ("object", "id"), key),
    "cryptobot": lambda body, key: _json_with(body, ("payload", "invoice_id"), int(key)),
    "heleket": lambda body, key: _json_with(body, ("uuid",), key),
    "freekassa": lambda body, key: _form_with(body, "intid", key),
    "platega": lambda body, key: _json_with(body, ("id",), key),
    "severpay": lambda body, key: _json_with(body, ("data", "id"), int(key)),
}


async def _order(shop: Shop, order_id: str) -> Order:
    async with shop.db.session() as session:
        order = await session.get(Order, order_id)
    assert order is not None
    return order


async def _credited(shop: Shop) -> int:
    async with shop.db.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(Order).where(Order.status.in_(("paid", "fulfilled")))
        )
    return int(count or 0)


async def _wait_credited(shop: Shop, order_id: str) -> Order:
    """The order after its payment was settled (settlement completes before the provider gets its answer)."""
    order = await _order(shop, order_id)
    assert order.status in ("paid", "fulfilled"), order.status
    return order


@pytest.mark.parametrize("method", list(RETARGET))
async def test_a_notification_re_sent_with_another_payments_id_takes_no_key(
    shop: Shop, providers: PaymentEmulators, method: str
) -> None:
    emulator = providers.all()[method]
    first = await buy(shop, 9600 + list(RETARGET).index(method) * 2, method)
    genuine_first = paid_notification(providers, method, first, 0)
    assert (await emulator.deliver(genuine_first)).status == 200
    await _wait_credited(shop, first.id)
    second = await buy(shop, 9601 + list(RETARGET).index(method) * 2, method)
    genuine_second = paid_notification(providers, method, second, 0)  # paid; its notification is late

    key = str(second.provider_payment_id)
    retargeted = Delivery(genuine_first.url, RETARGET[method](genuine_first.body, key), genuine_first.headers)
    await emulator.deliver(retargeted)
    reply = await emulator.deliver(genuine_second)

    assert reply.status == 200
    if method in ACK:
        assert reply.reply.replace(" ", "") == ACK[method].replace(" ", "")
    assert (await _wait_credited(shop, second.id)).provider_payment_id == key
    assert (await _order(shop, first.id)).status in ("paid", "fulfilled")
    assert await _credited(shop) == 2


async def test_a_mismatched_notification_leaves_the_key_to_the_matching_one(
    shop: Shop, providers: PaymentEmulators
) -> None:
    """A signed notification for a wrong amount is recorded and alerted, but the correct one still credits."""
    order = await buy(shop, 9650, "freekassa")
    wrong = await providers.freekassa.deliver(providers.freekassa.pay(order.id, amount="1.00"))
    assert (wrong.status, wrong.reply) == (200, "YES")
    assert (await _order(shop, order.id)).status == "pending"
    right = await providers.freekassa.deliver(providers.freekassa.pay(order.id))
    assert (right.status, right.reply) == (200, "YES")
    await _wait_credited(shop, order.id)
    async with shop.db.session() as session:
        kinds = sorted((await session.scalars(select(PaymentEvent.kind))).all())
    assert kinds == ["amount_mismatch", "paid"]


async def test_reconciliation_repairs_an_order_whose_key_was_taken(
    shop: Shop, providers: PaymentEmulators
) -> None:
    """An order left pending with its payment's key already on record (taken by a notification of another
    order) is credited once the provider confirms that the payment is this order's."""
    victim = await buy(shop, 9660, "freekassa")
    other = await buy(shop, 9661, "freekassa")
    providers.freekassa.pay(victim.id)  # paid at FreeKassa; the notification is lost
    async with shop.db.session() as session:
        taken = await OrderRepository(session).record_event(
            provider="freekassa",
            provider_payment_id=str(victim.provider_payment_id),
            kind="paid",
            amount=Money(other.amount_minor, other.currency),
            raw={"MERCHANT_ORDER_ID": other.id},
            order_id=other.id,
        )
        await session.commit()
    assert taken
    reconciliation = Reconciliation(
        shop.db, shop.app.providers, shop.app.clock, shop.app.settlement.settle, min_age=timedelta(0)
    )
    await reconciliation.poll_pending()
    await _wait_credited(shop, victim.id)
    assert (await _order(shop, other.id)).status == "pending"
    await reconciliation.poll_pending()
    assert await _credited(shop) == 1
