"""Promo codes and their activations.

Activation counting is atomic: :meth:`PromoRepository.take_activation` increments the counter only
while it is below the limit, in one ``UPDATE``, so parallel customers cannot exceed ``max_activations``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from remnastore.db.models import Customer, Order, OrderStatus, PromoActivation, PromoCode, utcnow
from remnastore.db.session import dialect_insert


def normalize_promo_code(code: str) -> str:
    """The lookup form of a code: surrounding blanks removed, upper case."""
    return code.strip().upper()


def _rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount


class PromoRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, promo_id: int) -> PromoCode | None:
        return await self.session.get(PromoCode, promo_id)

    async def get_by_code(self, code: str) -> PromoCode | None:
        normalized = normalize_promo_code(code)
        if not normalized:
            return None
        query = select(PromoCode).where(PromoCode.code_normalized == normalized)
        return (await self.session.execute(query)).scalars().first()

    async def create(
        self,
        code: str,
        *,
        kind: str,
        value: int,
        currency: str | None = None,
        max_activations: int | None = None,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        first_purchase_only: bool = False,
        tariff_codes: Sequence[str] | None = None,
        is_active: bool = True,
        created_by: int | None = None,
    ) -> PromoCode:
        """A new code; raises ``sqlalchemy.exc.IntegrityError`` if its normalised form exists."""
        typed = code.strip()
        if not typed:
            raise ValueError("a promo code cannot be empty")
        promo = PromoCode(
            code=typed,
            code_normalized=normalize_promo_code(typed),
            kind=kind,
            value=value,
            currency=currency,
            max_activations=max_activations,
            valid_from=valid_from,
            valid_until=valid_until,
            first_purchase_only=first_purchase_only,
            tariff_codes=[*tariff_codes] if tariff_codes is not None else None,
            is_active=is_active,
            created_by=created_by,
        )
        self.session.add(promo)
        await self.session.flush()
        return promo

    async def set_active(self, promo: PromoCode, active: bool) -> None:
        promo.is_active = active
        await self.session.flush()

    async def take_activation(self, promo_id: int) -> bool:
        """Count one activation if the limit allows it; ``False`` when the code is used up."""
        statement = (
            update(PromoCode)
            .where(
                PromoCode.id == promo_id,
                or_(
                    PromoCode.max_activations.is_(None),
                    PromoCode.activations_count < PromoCode.max_activations,
                ),
            )
            .values(activations_count=PromoCode.activations_count + 1)
            .execution_options(synchronize_session="fetch")
        )
        return _rowcount(await self.session.execute(statement)) == 1

    async def give_back_activation(self, promo_id: int) -> None:
        """Undo :meth:`take_activation` (a reservation was released)."""
        statement = (
            update(PromoCode)
            .where(PromoCode.id == promo_id, PromoCode.activations_count > 0)
            .values(activations_count=PromoCode.activations_count - 1)
            .execution_options(synchronize_session="fetch")
        )
        await self.session.execute(statement)

    async def add_activation(
        self,
        promo_id: int,
        customer_id: int,
        *,
        status: str,
        order_id: str | None = None,
        reserved_until: datetime | None = None,
    ) -> PromoActivation | None:
        """Record the customer's activation; ``None`` if they already have one for this code."""
        now = utcnow()
        statement = (
            dialect_insert(self.session, PromoActivation)
            .values(
                promo_id=promo_id,
                customer_id=customer_id,
                status=status,
                order_id=order_id,
                reserved_until=reserved_until,
                created_at=now,
                consumed_at=now if status in ("consumed", "applied") else None,
            )
            .on_conflict_do_nothing()
            .returning(PromoActivation.id)
        )
        activation_id = (await self.session.execute(statement)).scalar_one_or_none()
        if activation_id is None:
            return None
        return await self.session.get(PromoActivation, activation_id)

    async def get_activation(self, promo_id: int, customer_id: int) -> PromoActivation | None:
        query = select(PromoActivation).where(
            PromoActivation.promo_id == promo_id, PromoActivation.customer_id == customer_id
        )
        return (await self.session.execute(query)).scalars().first()

    async def set_activation_status(
        self, activation: PromoActivation, status: str, *, now: datetime, order_id: str | None = None
    ) -> None:
        activation.status = status
        if order_id is not None:
            activation.order_id = order_id
        if status in ("consumed", "applied"):
            activation.consumed_at = now
            activation.reserved_until = None
        await self.session.flush()

    async def reopen_activation(
        self, activation: PromoActivation, *, order_id: str | None, reserved_until: datetime
    ) -> bool:
        """Reserve a released activation again (compare-and-set on the status); False if it moved on."""
        statement = (
            update(PromoActivation)
            .where(PromoActivation.id == activation.id, PromoActivation.status == "released")
            .values(status="reserved", order_id=order_id, reserved_until=reserved_until)
            .execution_options(synchronize_session="fetch")
        )
        return _rowcount(await self.session.execute(statement)) == 1

    async def mark_applied(self, activation_id: int, now: datetime) -> bool:
        """A reserved (bonus-days) activation was given: compare-and-set, so only one caller wins."""
        statement = (
            update(PromoActivation)
            .where(PromoActivation.id == activation_id, PromoActivation.status == "reserved")
            .values(status="applied", consumed_at=now, reserved_until=None)
            .execution_options(synchronize_session="fetch")
        )
        return _rowcount(await self.session.execute(statement)) == 1

    async def release_activation(self, activation: PromoActivation) -> bool:
        """A reservation that was not paid: the activation is released and the count given back, once."""
        statement = (
            update(PromoActivation)
            .where(PromoActivation.id == activation.id, PromoActivation.status == "reserved")
            .values(status="released", reserved_until=None)
            .execution_options(synchronize_session="fetch")
        )
        if _rowcount(await self.session.execute(statement)) != 1:
            return False
        await self.give_back_activation(activation.promo_id)
        return True

    async def has_paid_order(self, customer_id: int) -> bool:
        """Whether the customer ever paid for something other than a balance top-up."""
        query = (
            select(Order.id)
            .where(
                Order.customer_id == customer_id,
                Order.kind != "topup",
                Order.status.in_(
                    [OrderStatus.PAID.value, OrderStatus.FULFILLED.value, OrderStatus.REFUNDED.value]
                ),
            )
            .limit(1)
        )
        return (await self.session.execute(query)).first() is not None

    async def page(self, *, limit: int, offset: int) -> Sequence[PromoCode]:
        query = select(PromoCode).order_by(PromoCode.id.desc()).limit(limit).offset(offset)
        return (await self.session.execute(query)).scalars().all()

    async def activations_page(
        self, promo_id: int, *, limit: int, offset: int
    ) -> Sequence[tuple[PromoActivation, int]]:
        """The code's activations, newest first, each with the customer's Telegram id."""
        query = (
            select(PromoActivation, Customer.telegram_id)
            .join(Customer, Customer.id == PromoActivation.customer_id)
            .where(PromoActivation.promo_id == promo_id)
            .order_by(PromoActivation.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [(row[0], int(row[1])) for row in (await self.session.execute(query)).all()]

    async def count_by_status(self, promo_id: int) -> dict[str, int]:
        query = (
            select(PromoActivation.status, func.count())
            .where(PromoActivation.promo_id == promo_id)
            .group_by(PromoActivation.status)
        )
        return {str(status): int(n) for status, n in (await self.session.execute(query)).all()}

    async def stale_grants(self, now: datetime, limit: int = 100) -> Sequence[PromoActivation]:
        """Bonus-day activations still reserved after their time (the panel failed): to be finished."""
        query = (
            select(PromoActivation)
            .where(
                PromoActivation.status == "reserved",
                PromoActivation.order_id.is_(None),
                PromoActivation.reserved_until < now,
            )
            .limit(limit)
        )
        return (await self.session.execute(query)).scalars().all()

    async def expired_reservations(self, now: datetime, limit: int = 100) -> Sequence[PromoActivation]:
        query = (
            select(PromoActivation)
            .where(PromoActivation.status == "reserved", PromoActivation.reserved_until < now)
            .order_by(PromoActivation.reserved_until)
            .limit(limit)
        )
        return (await self.session.execute(query)).scalars().all()
