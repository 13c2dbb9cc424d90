"""A refund undoes what the order gave, exactly once, whenever it arrives (found by attacking the shop):
a refunded gift's link no longer works (a used one: the recipient's access is taken back); a refunded
top-up that was already spent takes back what was bought with it; a refund arriving while fulfilment's
panel call is in flight leaves no access behind."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from remnastore.db.models import BalanceEntry, Order
from remnastore.domain.money import Money
from remnastore.emulators.telegram import FakeUser
from remnastore.services.accounts import CustomerView
from remnastore.services.checkout import PendingPayment
from tests.fixtures.renew_shop import RenewShop, eventually

GIFT_LINK = re.compile(r"start=(gift_[A-Za-z0-9_-]+)")


@pytest.fixture
def renew_shop_env() -> dict[str, str]:
    return {"BALANCE_ENABLED": "true", "BALANCE_TOPUP_AMOUNTS": "199,300"}


def texts(user: FakeUser, needle: str) -> list[str]:
    return [m.text for m in user.history if needle in m.text]


def panel_status(shop: RenewShop, telegram_id: int) -> str | None:
    user = shop.panel.user_by_telegram_id(telegram_id)
    return None if user is None else str(user["status"])


async def started(shop: RenewShop, telegram_id: int, name: str) -> tuple[FakeUser, CustomerView]:
    user = shop.user(telegram_id, first_name=name, language_code="en")
    await user.wait_reply(await user.send("/start"))
    return user, CustomerView.of(await shop.customer(telegram_id))


async def paid_by_card(shop: RenewShop, order_id: str) -> str:
    async with shop.db.session() as session:
        order = await session.get(Order, order_id)
    assert order is not None and order.provider_payment_id
    assert (await shop.yookassa.deliver(shop.yookassa.pay(order.provider_payment_id))).status == 200
    return order.provider_payment_id


async def refund(shop: RenewShop, payment_id: str) -> None:
    assert (await shop.yookassa.deliver(shop.yookassa.refund(payment_id))).status == 200


async def status_of(shop: RenewShop, order_id: str) -> str:
    async with shop.db.session() as session:
        order = await session.get(Order, order_id)
    assert order is not None
    return order.status


async def buy_gift(shop: RenewShop, buyer_id: int) -> tuple[FakeUser, str, str]:
    buyer, customer = await started(shop, buyer_id, "Giver")
    pending = await shop.app.checkout.start(customer, "standard", "1m", "yookassa", description="", gift=True)
    payment_id = await paid_by_card(shop, pending.order_id)
    await shop.telegram.wait_until(lambda: bool(texts(buyer, "gift is paid")), timeout=10)
    found = GIFT_LINK.search(texts(buyer, "gift is paid")[0])
    assert found is not None
    return buyer, payment_id, found.group(1)


async def test_a_refunded_gift_link_can_no_longer_be_activated(renew_shop: RenewShop) -> None:
    shop = renew_shop
    buyer, payment_id, payload = await buy_gift(shop, 9901)
    await refund(shop, payment_id)
    await shop.telegram.wait_until(lambda: bool(texts(buyer, "refund")), timeout=10)
    await shop.app.inflight.drain(10)

    friend, _ = await started(shop, 9902, "Friend")
    reply = await friend.wait_reply(await friend.send(f"/start {payload}"))
    assert "refunded" in reply.text and "no longer works" in reply.text
    assert not texts(friend, "Gift accepted")
    assert shop.panel.user_by_telegram_id(9902) is None


async def test_a_gift_refunded_after_its_activation_takes_the_recipients_access_back(
    renew_shop: RenewShop,
) -> None:
    shop = renew_shop
    _, payment_id, payload = await buy_gift(shop, 9911)
    friend, _ = await started(shop, 9912, "Friend")
    await friend.wait_reply(await friend.send(f"/start {payload}"))
    await shop.telegram.wait_until(lambda: bool(texts(friend, "gift is active")), timeout=10)
    assert panel_status(shop, 9912) == "ACTIVE"

    await refund(shop, payment_id)
    await shop.telegram.wait_until(lambda: panel_status(shop, 9912) == "DISABLED", timeout=10)
    async with shop.db.session() as session:
        activation = (await session.scalars(select(Order).where(Order.provider == "gift"))).one()
    assert activation.status == "refunded"
    assert not texts(friend, "refund")  # the recipient paid nothing: no refund notice for them


async def test_a_refunded_top_up_already_spent_takes_back_what_it_bought(renew_shop: RenewShop) -> None:
    shop = renew_shop
    user, customer = await started(shop, 9921, "Spender")
    topup = await shop.app.checkout.start_topup(customer, Money(19900, "RUB"), "yookassa", description="")
    payment_id = await paid_by_card(shop, topup.order_id)
    await eventually(lambda: _balance(shop, 9921))
    bought = await shop.app.checkout.start(customer, "standard", "1m", "balance", description="")
    await shop.telegram.wait_until(lambda: bool(texts(user, "Payment received")), timeout=10)
    assert panel_status(shop, 9921) == "ACTIVE"

    await refund(shop, payment_id)
    await shop.telegram.wait_until(lambda: panel_status(shop, 9921) == "DISABLED", timeout=10)
    assert await status_of(shop, bought.order_id) == "refunded"
    assert await status_of(shop, topup.order_id) == "refunded"
    assert await _balance(shop, 9921) == 0
    # one refund notice: the card payment's; the balance purchase gave no money back
    await shop.telegram.wait_until(lambda: len(texts(user, "refund")) >= 1, timeout=10)
    await shop.app.inflight.drain(10)
    assert len(texts(user, "refund")) == 1


async def test_a_refund_during_the_fulfilments_panel_call_leaves_no_access(renew_shop: RenewShop) -> None:
    shop = renew_shop
    user, customer = await started(shop, 9931, "Racer")
    # the panel creates the user at once but its reply takes a while: the refund arrives meanwhile
    shop.panel.set_latency(1.5, path_prefix="/api/users", method="POST", count=1)
    pending = await shop.app.checkout.start(customer, "standard", "1m", "yookassa", description="")
    payment_id = await paid_by_card(shop, pending.order_id)
    await shop.telegram.wait_until(lambda: panel_status(shop, 9931) == "ACTIVE", timeout=10)
    assert isinstance(pending, PendingPayment)
    assert await status_of(shop, pending.order_id) == "paid"  # the call is still in flight

    await refund(shop, payment_id)
    await shop.app.inflight.drain(10)  # the fulfilment and the revocation have both finished

    assert await status_of(shop, pending.order_id) == "refunded"
    assert panel_status(shop, 9931) == "DISABLED"
    disables = [r for r in shop.panel.requests if r.method == "POST" and r.path.endswith("/actions/disable")]
    assert len(disables) == 1
    assert not texts(user, "Payment received")


async def _balance(shop: RenewShop, telegram_id: int) -> int:
    customer = await shop.customer(telegram_id)
    async with shop.db.session() as session:
        rows = await session.scalars(
            select(BalanceEntry.delta_minor).where(BalanceEntry.customer_id == customer.id)
        )
        return sum(rows)
