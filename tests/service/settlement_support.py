"""Helpers of the settlement tests: the mismatch alert, a product payment, the orders a customer has."""

from __future__ import annotations

from sqlalchemy import select

from remnastore.db.models import Order
from remnastore.domain.money import Money
from remnastore.payments.base import EventKind, PaymentEvent
from tests.service.shop import NOW, Shop

LOGGER = "remnastore.services.settlement"


def alert(order_id: str, reason: str, provider: str = "yookassa") -> tuple[str, dict[str, object]]:
    return (
        "alert",
        {"key": "alert-payment-mismatch", "order": order_id, "provider": provider, "reason": reason},
    )


async def orders_of(shop: Shop, customer_id: int) -> list[Order]:
    async with shop.db.session() as session:
        return list((await session.scalars(select(Order).where(Order.customer_id == customer_id))).all())


#: what the product costs in roubles
PRICE = Money(19900, "RUB")


def product_event(
    telegram_id: int | None,
    product: str = "prod-standard-1m",
    *,
    amount: Money | None = PRICE,
    kind: EventKind = EventKind.PAID,
    provider: str = "tribute",
    payment_id: str = "trb-1",
) -> PaymentEvent:
    """A notification of a provider selling fixed products: no order of ours, the buyer and the product."""
    return PaymentEvent(
        provider=provider,
        provider_payment_id=payment_id,
        kind=kind,
        order_id=None,
        amount=amount,
        occurred_at=NOW,
        telegram_user_id=telegram_id,
        product_ref=product,
    )
