"""Admin refunds through every provider that can refund (YooKassa, FreeKassa, Telegram Stars): the money
goes back through the provider's API, the access is taken back once, a second refund is refused; a
provider without refunds is refused with its reason and nothing changes. Before, only Stars refunded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from remnastore.db.models import Order
from remnastore.domain.errors import DomainError
from remnastore.payments.stars import event_from_payment
from tests.e2e.test_purchase_providers import buy, paid_notification, wait_fulfilled
from tests.e2e.test_purchase_stars import open_invoice
from tests.fixtures.providers import PaymentEmulators
from tests.fixtures.shop import ADMIN_ID, Shop


@pytest.fixture
def shop_env(payment_emulators: PaymentEmulators) -> dict[str, str]:
    return payment_emulators.settings()


@pytest.fixture
def providers(shop: Shop, payment_emulators: PaymentEmulators) -> PaymentEmulators:
    payment_emulators.point_at(f"http://127.0.0.1:{shop.app.port}")
    return payment_emulators


def panel_state(shop: Shop, user_id: int) -> tuple[str, datetime]:
    user = shop.panel.user_by_telegram_id(user_id)
    assert user is not None
    return user["status"], datetime.fromisoformat(user["expireAt"].replace("Z", "+00:00"))


async def order_of(shop: Shop, order_id: str) -> Order:
    async with shop.db.session() as session:
        order = await session.get(Order, order_id)
    assert order is not None
    return order


async def pay(shop: Shop, providers: PaymentEmulators, method: str, user_id: int) -> Order:
    if method == "stars":
        buyer = shop.user(user_id, first_name="Buyer", language_code="en")
        await buyer.pay_invoice(link=await open_invoice(shop, user_id))
        return await wait_fulfilled(shop, user_id)
    order = await buy(shop, user_id, method)
    delivery = await providers.all()[method].deliver(paid_notification(providers, method, order, user_id))
    assert delivery.status == 200, delivery.reply
    return await wait_fulfilled(shop, user_id)


def refunded_at_provider(shop: Shop, providers: PaymentEmulators, method: str, order: Order) -> bool:
    if method == "yookassa":
        return any(r["payment_id"] == order.provider_payment_id for r in providers.yookassa.refunds.values())
    if method == "freekassa":
        return int(str(order.provider_payment_id)) in providers.freekassa.refunds
    return any(call.ok for call in shop.telegram.calls_for("refundStarPayment"))


@pytest.mark.parametrize("method", ["yookassa", "freekassa", "stars"])
async def test_admin_refund_returns_the_money_and_takes_the_access_back_once(
    shop: Shop, providers: PaymentEmulators, method: str
) -> None:
    user_id = 9400 + ["yookassa", "freekassa", "stars"].index(method)
    order = await pay(shop, providers, method, user_id)
    assert panel_state(shop, user_id)[0] == "ACTIVE"
    row = await shop.app.order_admin.get(order.id)
    assert row.refundable

    refunded = await shop.app.order_admin.refund(order.id, actor_telegram_id=ADMIN_ID)

    assert refunded.status == "refunded" and not refunded.refundable
    assert refunded_at_provider(shop, providers, method, order)
    # the only period was this one: the panel user is switched off (in the background), once
    await shop.telegram.wait_until(lambda: panel_state(shop, user_id)[0] == "DISABLED", timeout=10)
    disables = [r for r in shop.panel.requests if r.method == "POST" and r.path.endswith("/actions/disable")]
    assert len(disables) == 1
    buyer = shop.user(user_id)
    await shop.telegram.wait_until(lambda: any("refund" in m.text.lower() for m in buyer.messages), 10)

    with pytest.raises(DomainError) as second:
        await shop.app.order_admin.refund(order.id, actor_telegram_id=ADMIN_ID)
    assert second.value.text_key == "admin-refund-not-refundable"
    assert (await order_of(shop, order.id)).status == "refunded"
    if method == "stars":  # Telegram's own refunded_payment message for it changes nothing more
        await shop.app.settlement.settle(
            event_from_payment(
                telegram_user_id=user_id,
                payload=order.id,
                charge_id=str(order.provider_payment_id),
                total_amount=order.amount_minor,
                currency=order.currency,
                refunded=True,
            )
        )
    if method == "yookassa":  # YooKassa's refund.succeeded notification for it changes nothing more
        refund_id = next(iter(providers.yookassa.refunds))
        refund = providers.yookassa.refunds[refund_id]
        await providers.yookassa.deliver(providers.yookassa.notification("refund.succeeded", refund))
    disables = [r for r in shop.panel.requests if r.method == "POST" and r.path.endswith("/actions/disable")]
    assert len(disables) == 1


@pytest.mark.parametrize("method", ["severpay", "cryptobot"])
async def test_a_provider_without_refunds_is_refused_with_its_reason(
    shop: Shop, providers: PaymentEmulators, method: str
) -> None:
    user_id = 9410 + ["severpay", "cryptobot"].index(method)
    order = await pay(shop, providers, method, user_id)
    assert not (await shop.app.order_admin.get(order.id)).refundable
    before = panel_state(shop, user_id)
    with pytest.raises(DomainError) as refused:
        await shop.app.order_admin.refund(order.id, actor_telegram_id=ADMIN_ID)
    assert refused.value.text_key == "admin-refund-provider-cannot"
    text = shop.app.locales.get("en")(refused.value.text_key, **refused.value.args_for_text)
    assert method in text and "dashboard" in text
    assert (await order_of(shop, order.id)).status == "fulfilled"
    assert panel_state(shop, user_id) == before


async def test_an_unpaid_order_cannot_be_refunded(shop: Shop, providers: PaymentEmulators) -> None:
    order = await buy(shop, 9420, "yookassa")
    with pytest.raises(DomainError) as refused:
        await shop.app.order_admin.refund(order.id, actor_telegram_id=ADMIN_ID)
    assert refused.value.text_key == "admin-refund-not-refundable"
    assert not providers.yookassa.refunds
    async with shop.db.session() as session:
        assert (await session.scalars(select(Order))).one().status == "pending"
    assert datetime.now(UTC) - order.created_at < timedelta(hours=1)
