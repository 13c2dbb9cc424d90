"""One order lifecycle: every way of paying marks the order paid through one operation, so every way
counts the same payment metric and produces the same log-chat line and customer notice.

Before, Stars, reconciliation, "I have paid", balance payments, auto-renewal and gift activations skipped
the payment metric, and balance payments, auto-renewal and gifts never reached the log chat.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from remnastore.db.models import Order
from remnastore.db.repositories.customers import CustomerRepository
from remnastore.domain.money import Money
from remnastore.emulators.telegram import FakeUser
from remnastore.services.accounts import CustomerView
from remnastore.services.checkout import PendingPayment
from remnastore.services.lifecycle import OrderFailed, OrderFulfilled, OrderPaid, OrderRefunded
from tests.fixtures.renew_shop import RenewShop, eventually

LOG_CHAT = -1009876543
PRICE = 19900  # Standard, 1 month, RUB (kopecks)
GIFT_LINK = re.compile(r"start=(gift_[A-Za-z0-9_-]+)")


@pytest.fixture
def renew_shop_env() -> dict[str, str]:
    return {"BALANCE_ENABLED": "true", "BALANCE_TOPUP_AMOUNTS": "100,300", "LOG_CHAT_ID": str(LOG_CHAT)}


def log_payments(shop: RenewShop) -> list[str]:
    return [
        str(call.params.get("text", ""))
        for call in shop.telegram.calls_for("sendMessage")
        if call.chat_id == LOG_CHAT and call.ok and "Payment" in str(call.params.get("text", ""))
    ]


def paid_count(shop: RenewShop, provider: str) -> float:
    value = shop.app.metrics.registry.get_sample_value(
        "remnastore_payments_total", {"provider": provider, "state": "paid"}
    )
    return value or 0.0


def texts(user: FakeUser, needle: str) -> list[str]:
    return [m.text for m in user.history if needle in m.text]


async def customer_of(shop: RenewShop, user: FakeUser) -> CustomerView:
    return CustomerView.of(await shop.customer(user.id))


async def credit(shop: RenewShop, user: FakeUser, minor: int) -> None:
    customer = await shop.customer(user.id)
    async with shop.db.session() as session:
        await CustomerRepository(session).change_balance(
            customer.id, Money(minor, "RUB"), reason="topup", idempotency_key=f"test:{user.id}:{minor}"
        )


async def invoice(shop: RenewShop, user: FakeUser, method: str = "yookassa") -> PendingPayment:
    pending = await shop.app.checkout.start(
        await customer_of(shop, user), "standard", "1m", method, description="Standard, 1 month"
    )
    assert isinstance(pending, PendingPayment)
    return pending


async def fulfilled_orders(shop: RenewShop, user: FakeUser) -> int:
    return sum(o.status == "fulfilled" for o in await shop.orders(user.id))


@dataclass(frozen=True)
class Path:
    """A way of paying: ``prepare`` brings the customer to the moment of paying and returns the step
    that pays (measured alone); ``provider`` is the order's provider; ``notice`` the customer's text."""

    provider: str
    prepare: Callable[[RenewShop, FakeUser], Awaitable[tuple[FakeUser, Callable[[], Awaitable[object]]]]]
    notice: str = "Payment received"


async def notification(shop: RenewShop, user: FakeUser) -> tuple[FakeUser, Callable[[], Awaitable[object]]]:
    pending = await invoice(shop, user)
    payment_id = next(iter(shop.yookassa.payments))

    async def pay() -> object:
        return await shop.yookassa.deliver(shop.yookassa.pay(payment_id))

    assert pending.order_id
    return user, pay


async def reconciliation(shop: RenewShop, user: FakeUser) -> tuple[FakeUser, Callable[[], Awaitable[object]]]:
    await invoice(shop, user)
    shop.yookassa.pay(next(iter(shop.yookassa.payments)))  # paid; the notification is lost

    async def pay() -> object:
        shop.clock.advance(timedelta(minutes=2))
        return await shop.app.reconciliation.poll_pending()

    return user, pay


async def i_have_paid(shop: RenewShop, user: FakeUser) -> tuple[FakeUser, Callable[[], Awaitable[object]]]:
    pending = await invoice(shop, user)
    shop.yookassa.pay(next(iter(shop.yookassa.payments)))
    customer = await customer_of(shop, user)

    async def pay() -> object:
        return await shop.app.checkout.refresh(customer, pending.order_id)

    return user, pay


async def stars(shop: RenewShop, user: FakeUser) -> tuple[FakeUser, Callable[[], Awaitable[object]]]:
    await user.wait_reply(await user.send("/buy"))
    await user.wait_reply(await user.press("Standard"))
    await user.wait_reply(await user.press("1 month"))
    reply = await user.wait_reply(await user.press("Telegram Stars"))
    link = next(b.url for row in reply.buttons for b in row if b.url and b.url.startswith("https://t.me/$"))

    async def pay() -> object:
        return await user.pay_invoice(link=link)

    return user, pay


async def balance(shop: RenewShop, user: FakeUser) -> tuple[FakeUser, Callable[[], Awaitable[object]]]:
    await credit(shop, user, PRICE)
    customer = await customer_of(shop, user)

    async def pay() -> object:
        return await shop.app.checkout.start(customer, "standard", "1m", "balance", description="")

    return user, pay


async def auto_renewal(shop: RenewShop, user: FakeUser) -> tuple[FakeUser, Callable[[], Awaitable[object]]]:
    await credit(shop, user, 2 * PRICE)
    customer = await customer_of(shop, user)
    await shop.app.checkout.start(customer, "standard", "1m", "balance", description="")
    await eventually(lambda: fulfilled_orders(shop, user))
    await shop.telegram.wait_until(lambda: bool(texts(user, "Payment received")), timeout=10)
    await shop.telegram.wait_until(lambda: len(log_payments(shop)) == 1, timeout=10)
    assert shop.app.autorenew is not None
    await shop.app.autorenew.enable_balance(customer)
    subscription = await shop.subscription(user.id)
    assert subscription is not None
    shop.clock.set(subscription.expires_at - timedelta(hours=23))
    autorenew = shop.app.autorenew

    async def pay() -> object:
        return await autorenew.run_due()

    return user, pay


async def gift(shop: RenewShop, user: FakeUser) -> tuple[FakeUser, Callable[[], Awaitable[object]]]:
    await credit(shop, user, PRICE)
    buyer = await customer_of(shop, user)
    await shop.app.checkout.start(buyer, "standard", "1m", "balance", description="", gift=True)
    await shop.telegram.wait_until(lambda: bool(texts(user, "gift is paid")), timeout=10)
    await shop.telegram.wait_until(lambda: len(log_payments(shop)) == 1, timeout=10)
    found = GIFT_LINK.search(texts(user, "gift is paid")[0])
    assert found is not None
    friend = shop.user(user.id + 1, first_name="Friend", language_code="en")
    await friend.wait_reply(await friend.send("/start"))

    async def pay() -> object:
        return await friend.wait_reply(await friend.send(f"/start {found.group(1)}"))

    return friend, pay


PATHS = {
    "provider-notification": Path("yookassa", notification),
    "stars": Path("stars", stars),
    "reconciliation": Path("yookassa", reconciliation),
    "i-have-paid": Path("yookassa", i_have_paid),
    "balance": Path("balance", balance),
    "auto-renewal": Path("balance", auto_renewal, notice="renewed automatically"),
    "gift": Path("gift", gift, notice="gift is active"),
}


@pytest.mark.parametrize("way", list(PATHS))
async def test_every_way_of_paying_counts_and_announces_the_payment_alike(
    renew_shop: RenewShop, way: str
) -> None:
    shop = renew_shop
    shop.telegram.add_chat(LOG_CHAT, title="Shop log")
    path = PATHS[way]
    user = shop.user(9800 + 10 * list(PATHS).index(way), first_name="Payer", language_code="en")
    await user.wait_reply(await user.send("/start"))
    payer, pay = await path.prepare(shop, user)
    metric_before = paid_count(shop, path.provider)
    log_before = len(log_payments(shop))
    notices_before = len(texts(payer, path.notice))
    fulfilled_before = await fulfilled_orders(shop, payer)

    await pay()

    await eventually(lambda: _more(fulfilled_orders(shop, payer), fulfilled_before))
    await shop.telegram.wait_until(lambda: len(texts(payer, path.notice)) == notices_before + 1, timeout=10)
    await shop.telegram.wait_until(lambda: len(log_payments(shop)) == log_before + 1, timeout=10)
    assert paid_count(shop, path.provider) == metric_before + 1
    async with shop.db.session() as session:
        paid = (
            await session.scalars(
                select(Order).where(Order.provider == path.provider).order_by(Order.paid_at.desc())
            )
        ).first()
    assert paid is not None and paid.id in log_payments(shop)[-1]
    # and a second look at the same payment changes nothing
    if way in ("provider-notification", "reconciliation", "i-have-paid"):
        payment_id = next(iter(shop.yookassa.payments))
        await shop.yookassa.deliver(shop.yookassa.notify(payment_id))
        assert paid_count(shop, path.provider) == metric_before + 1


async def _more(count: Awaitable[int], than: int) -> bool:
    return await count > than


async def test_the_subscribers_are_registered_in_one_place_in_their_order(renew_shop: RenewShop) -> None:
    events = renew_shop.app.order_events
    assert events.subscribers(OrderPaid) == ["metrics", "log-chat", "fulfilment", "card-saving"]
    assert events.subscribers(OrderFulfilled) == ["customer-notice", "referral-rewards", "gift-notices"]
    assert events.subscribers(OrderRefunded) == ["metrics", "access", "referral-rewards", "customer-notice"]
    assert events.subscribers(OrderFailed) == ["metrics", "customer-notice"]
