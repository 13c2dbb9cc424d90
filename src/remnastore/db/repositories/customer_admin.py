"""Queries behind the admin's customer screens: search, pages, the card's figures, full deletion."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from remnastore.db.models import (
    BalanceEntry,
    CampaignAttribution,
    Customer,
    Order,
    OrderStatus,
    PaymentEvent,
    PromoActivation,
    PromoCode,
    Referral,
    ReferralReward,
    ReminderSent,
    Subscription,
    SubscriptionPeriod,
)
from remnastore.domain.typed_numbers import typed_int_or_none

MAX_TELEGRAM_ID = 2**53
PAID_STATUSES = (OrderStatus.PAID.value, OrderStatus.FULFILLED.value)


@dataclass(frozen=True)
class OrderTotals:
    count: int
    paid: list[tuple[str, int]]  # (currency, minor units) of paid, not refunded orders


class CustomerAdminRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def search(self, text: str, limit: int = 20) -> Sequence[Customer]:
        """Customers whose Telegram id, @username (any case) or panel username equals ``text``."""
        value = text.strip()
        name = value.lstrip("@").lower()
        if not name:
            return []
        conditions = [func.lower(Customer.username) == name, Customer.panel_username == value.lstrip("@")]
        telegram_id = typed_int_or_none(value, high=MAX_TELEGRAM_ID - 1)
        if telegram_id is not None:
            conditions.append(Customer.telegram_id == telegram_id)
        query = select(Customer).where(or_(*conditions)).order_by(Customer.id.desc()).limit(limit)
        return (await self.session.execute(query)).scalars().all()

    async def page(self, page: int, size: int) -> tuple[Sequence[Customer], bool]:
        """One page of customers, newest first, and whether another page follows."""
        query = select(Customer).order_by(Customer.id.desc()).limit(size + 1).offset(page * size)
        rows = (await self.session.execute(query)).scalars().all()
        return rows[:size], len(rows) > size

    async def order_totals(self, customer_id: int) -> OrderTotals:
        count = (
            await self.session.execute(
                select(func.count()).select_from(Order).where(Order.customer_id == customer_id)
            )
        ).scalar_one()
        paid = (
            await self.session.execute(
                select(Order.currency, func.sum(Order.amount_minor))
                .where(Order.customer_id == customer_id, Order.status.in_(PAID_STATUSES))
                .group_by(Order.currency)
                .order_by(Order.currency)
            )
        ).all()
        return OrderTotals(count=int(count), paid=[(str(c), int(s)) for c, s in paid])

    async def recent_orders(self, customer_id: int, limit: int = 5) -> Sequence[Order]:
        query = (
            select(Order)
            .where(Order.customer_id == customer_id)
            .order_by(Order.created_at.desc(), Order.id)
            .limit(limit)
        )
        return (await self.session.execute(query)).scalars().all()

    async def refundable_orders(
        self, customer_id: int, providers: Collection[str], limit: int = 10
    ) -> Sequence[Order]:
        query = (
            select(Order)
            .where(
                Order.customer_id == customer_id,
                Order.provider.in_(list(providers)),
                Order.status.in_(PAID_STATUSES),
                Order.provider_payment_id.is_not(None),
            )
            .order_by(Order.created_at.desc(), Order.id)
            .limit(limit)
        )
        return (await self.session.execute(query)).scalars().all()

    async def promo_uses(self, customer_id: int, limit: int = 10) -> list[tuple[str, str]]:
        """``(code, activation status)`` of the customer's promo activations, newest first."""
        query = (
            select(PromoCode.code, PromoActivation.status)
            .join(PromoCode, PromoCode.id == PromoActivation.promo_id)
            .where(PromoActivation.customer_id == customer_id)
            .order_by(PromoActivation.created_at.desc(), PromoActivation.id.desc())
            .limit(limit)
        )
        return [(str(code), str(status)) for code, status in (await self.session.execute(query)).all()]

    async def telegram_id_of(self, customer_id: int | None) -> int | None:
        if customer_id is None:
            return None
        query = select(Customer.telegram_id).where(Customer.id == customer_id)
        value = (await self.session.execute(query)).scalar_one_or_none()
        return int(value) if value is not None else None

    async def delete_everything(self, customer_id: int) -> None:
        """Delete the customer and every row that belongs to them, orders and balance history included.

        Spelled out table by table (rather than relying on ``ON DELETE``) so that the result is the same
        whatever the backend enforces. Invitees of the customer stay, with no referrer.
        """
        orders = select(Order.id).where(Order.customer_id == customer_id).scalar_subquery()
        referrals = (
            select(Referral.id)
            .where(or_(Referral.referrer_id == customer_id, Referral.invitee_id == customer_id))
            .scalar_subquery()
        )
        session = self.session

        async def run(statement: Executable) -> None:
            await session.execute(statement, execution_options={"synchronize_session": False})

        await run(
            delete(ReferralReward).where(
                or_(ReferralReward.referral_id.in_(referrals), ReferralReward.order_id.in_(orders))
            )
        )
        await run(
            update(Referral).where(Referral.first_paid_order_id.in_(orders)).values(first_paid_order_id=None)
        )
        await run(
            delete(Referral).where(
                or_(Referral.referrer_id == customer_id, Referral.invitee_id == customer_id)
            )
        )
        await run(update(Customer).where(Customer.referred_by_id == customer_id).values(referred_by_id=None))
        for model in (ReminderSent, SubscriptionPeriod, Subscription, CampaignAttribution, BalanceEntry):
            await run(delete(model).where(model.customer_id == customer_id))
        await run(delete(PromoActivation).where(PromoActivation.customer_id == customer_id))
        await run(update(PromoActivation).where(PromoActivation.order_id.in_(orders)).values(order_id=None))
        await run(update(PaymentEvent).where(PaymentEvent.order_id.in_(orders)).values(order_id=None))
        await run(
            update(SubscriptionPeriod).where(SubscriptionPeriod.order_id.in_(orders)).values(order_id=None)
        )
        await run(update(BalanceEntry).where(BalanceEntry.order_id.in_(orders)).values(order_id=None))
        await run(delete(Order).where(Order.customer_id == customer_id))
        await run(delete(Customer).where(Customer.id == customer_id))
        session.expunge_all()
