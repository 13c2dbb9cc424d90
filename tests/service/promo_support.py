"""Helpers of the promo service tests: codes, a checkout as the shop does it, what the database holds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from remnastore.db.models import Customer, PromoActivation, PromoCode
from remnastore.db.repositories.orders import OrderRepository
from remnastore.db.repositories.promos import PromoRepository
from remnastore.domain.errors import DomainError
from remnastore.domain.money import Money
from remnastore.services.accounts import CustomerView
from remnastore.services.promos import Reservation
from tests.service.shop import Shop

TTL = timedelta(hours=1)  # how long checkout keeps an order payable


async def promo_code(shop: Shop, code: str, kind: str = "percent", value: int = 10, **options: object) -> int:
    async with shop.db.session() as session:
        promo = await PromoRepository(session).create(code, kind=kind, value=value, **options)  # type: ignore[arg-type]
        return promo.id


async def checkout(
    shop: Shop,
    customer: CustomerView,
    tariff: str = "standard",
    *,
    ttl: timedelta | None = TTL,
    meanwhile: Callable[[], Awaitable[object]] | None = None,
) -> tuple[str, Reservation]:
    """What checkout does: a new 199 RUB order payable for ``ttl``, the customer's pending code reserved
    for it. ``meanwhile``: another checkout that commits after this one has read the code and the
    customer's activation, and before it claims (two checkouts at once, deterministically)."""
    now = shop.clock.now()
    async with shop.db.session() as session:
        if meanwhile is not None:
            promos = PromoRepository(session)
            code = await pending_code(shop, customer.id)
            promo = await promos.get_by_code(code or "")
            assert promo is not None
            seen = await promos.get_activation(promo.id, customer.id)  # held: the session keeps what it read
            await meanwhile()
            assert seen is None or seen.promo_id == promo.id
        order = await OrderRepository(session).create(
            customer.id,
            kind="subscription",
            amount=Money(19900, "RUB"),
            provider="yookassa",
            tariff_code=tariff,
            period_code="1m",
            days=30,
            expires_at=now + ttl if ttl is not None else None,
        )
        return order.id, await shop.promos.reserve(session, order, now)


async def used(shop: Shop, promo_id: int) -> int:
    async with shop.db.session() as session:
        promo = await session.get(PromoCode, promo_id)
        assert promo is not None
        return promo.activations_count


async def activation(shop: Shop, promo_id: int, customer_id: int) -> PromoActivation:
    async with shop.db.session() as session:
        found = await PromoRepository(session).get_activation(promo_id, customer_id)
    assert found is not None
    return found


async def pending_code(shop: Shop, customer_id: int) -> str | None:
    async with shop.db.session() as session:
        row = await session.get(Customer, customer_id)
        assert row is not None
        return row.pending_promo_code


async def refused(shop: Shop, customer: CustomerView, code: str) -> str:
    with pytest.raises(DomainError) as refusal:
        await shop.promos.redeem(customer, code)
    return refusal.value.text_key
