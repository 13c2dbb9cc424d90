"""Promo codes for customers: typed in or from a ``promo_`` link; applied once, counted atomically.

* Bonus days: claimed (the activation counted and recorded) before the panel is touched; the target
  expiry is fixed once in the activation, so a retry sets the same absolute expiry and never adds twice
  (the days are given by ``promo_days.py``).
* Balance credit: counted, recorded and credited in one transaction, keyed on the code and customer.
* Discounts (percent or fixed): remembered as the customer's pending code and shown at checkout. Creating
  an order *reserves* the code for that order (counted atomically, with an expiry, the order expiring with
  it); settlement *consumes* it in the transaction that marks the order paid; an order that fails or
  expires *releases* it, giving the count back.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from remnastore.db.models import (
    Customer,
    Order,
    OrderStatus,
    PromoActivation,
    PromoActivationStatus,
    PromoCode,
)
from remnastore.db.repositories.customers import CustomerRepository
from remnastore.db.repositories.orders import InvalidTransition, OrderRepository
from remnastore.db.repositories.promos import PromoRepository, normalize_promo_code
from remnastore.db.repositories.subscriptions import SubscriptionRepository
from remnastore.db.session import Database
from remnastore.domain.errors import DomainError
from remnastore.domain.money import Money
from remnastore.domain.promos import DISCOUNT_KINDS, Discount, PromoKindName, valid_code
from remnastore.infra.clock import Clock
from remnastore.services.access_grant import AccessGrant
from remnastore.services.accounts import CustomerView
from remnastore.services.panel_link import PanelLink
from remnastore.services.promo_days import PromoDays
from remnastore.services.promo_outcomes import RESERVED, USED, Redeemed, Reservation, discount_of

log = logging.getLogger(__name__)


class PromoService:
    def __init__(
        self,
        db: Database,
        link: PanelLink,
        clock: Clock,
        *,
        access: AccessGrant,
        reservation: timedelta = timedelta(minutes=15),
        balance_currency: str | None = None,
    ) -> None:
        """``balance_currency``: None when balances are off (then balance codes are refused); ``access``:
        gives bonus days."""
        self._db = db
        self._clock = clock
        self._days = PromoDays(db, link, clock, access=access)
        self.reservation = reservation
        self._balance_currency = balance_currency

    # entering a code

    async def redeem(self, customer: CustomerView, typed: str) -> Redeemed:
        """Apply a typed code; a DomainError names why it cannot be used."""
        code = normalize_promo_code(typed[:64])
        if not valid_code(code):
            raise DomainError("promo-not-found")
        return await self._redeem(customer, code)

    async def redeem_pending(self, customer: CustomerView) -> Redeemed | None:
        """Apply the code a ``promo_`` deep link left; a code that cannot be used is forgotten."""
        async with self._db.session() as session:
            row = await CustomerRepository(session).get(customer.id)
            code = row.pending_promo_code if row is not None else None
        if not code:
            return None
        try:
            return await self.redeem(customer, code)
        except DomainError:
            await self._forget_pending(customer.id, code)
            raise

    async def _redeem(self, customer: CustomerView, code: str) -> Redeemed:
        now = self._clock.now()
        async with self._db.session() as session:
            promos = PromoRepository(session)
            promo = await promos.get_by_code(code)
            activation = await self._validate(session, promo, customer.id, now)
            assert promo is not None
            if promo.kind in DISCOUNT_KINDS:
                row = await CustomerRepository(session).get(customer.id)
                assert row is not None
                row.pending_promo_code = promo.code_normalized
                log.info("discount code remembered", extra={"customer_id": customer.id, "promo_id": promo.id})
                return Redeemed(promo.code, promo.kind, discount=discount_of(promo))
            if promo.kind == PromoKindName.BALANCE:
                return await self._credit(session, promo, customer)
            if promo.kind != PromoKindName.DAYS:
                raise DomainError("promo-not-found")
            if promo.tariff_codes:
                current = await SubscriptionRepository(session).get_current(customer.id)
                if current is None or current.tariff_code not in promo.tariff_codes:
                    raise DomainError("promo-not-for-tariff")
            if activation is None or activation.status != RESERVED:
                activation = await self._claim(promos, promo, customer.id, activation, now)
            activation_id = activation.id
        return await self._days.grant(activation_id)

    async def _validate(
        self, session: AsyncSession, promo: PromoCode | None, customer_id: int, now: datetime
    ) -> PromoActivation | None:
        """The customer's existing activation of a code they may use; else a DomainError saying why."""
        if promo is None:
            raise DomainError("promo-not-found")
        if not promo.is_active:
            raise DomainError("promo-inactive")
        if promo.valid_from is not None and now < promo.valid_from:
            raise DomainError("promo-not-started")
        if promo.valid_until is not None and now >= promo.valid_until:
            raise DomainError("promo-expired")
        promos = PromoRepository(session)
        activation = await promos.get_activation(promo.id, customer_id)
        if activation is not None and activation.status in USED:
            raise DomainError("promo-already-used")
        own = activation is not None and activation.status == RESERVED
        if not own and promo.max_activations is not None and promo.activations_count >= promo.max_activations:
            raise DomainError("promo-used-up")
        if promo.first_purchase_only and await promos.has_paid_order(customer_id):
            raise DomainError("promo-first-purchase-only")
        return activation

    async def _claim(
        self,
        promos: PromoRepository,
        promo: PromoCode,
        customer_id: int,
        previous: PromoActivation | None,
        now: datetime,
        *,
        status: str = RESERVED,
        order_id: str | None = None,
    ) -> PromoActivation:
        """Count one activation (atomically, within the limit) and record it for the customer."""
        until = now + self.reservation if status == RESERVED else None
        if not await promos.take_activation(promo.id):
            raise DomainError("promo-used-up")
        if previous is not None:  # released earlier: reserve it again
            reopened = (
                status == RESERVED
                and until is not None
                and await promos.reopen_activation(previous, order_id=order_id, reserved_until=until)
            )
            if reopened:
                await promos.session.refresh(previous)
                return previous
            await promos.give_back_activation(promo.id)
            raise DomainError("promo-already-used")
        activation = await promos.add_activation(
            promo.id, customer_id, status=status, order_id=order_id, reserved_until=until
        )
        if activation is None:  # the same customer, twice at once: the other attempt holds it
            await promos.give_back_activation(promo.id)
            raise DomainError("promo-already-used")
        return activation

    async def _credit(self, session: AsyncSession, promo: PromoCode, customer: CustomerView) -> Redeemed:
        if self._balance_currency is None or promo.currency != self._balance_currency:
            raise DomainError("promo-balance-off")
        promos = PromoRepository(session)
        await self._claim(
            promos, promo, customer.id, None, self._clock.now(), status=PromoActivationStatus.APPLIED.value
        )
        credit = Money(promo.value, promo.currency)
        await CustomerRepository(session).change_balance(
            customer.id, credit, reason="promo", idempotency_key=f"promo:{promo.id}:{customer.id}"
        )
        log.info("promo credit added", extra={"customer_id": customer.id, "promo_id": promo.id})
        return Redeemed(promo.code, promo.kind, credit=credit)

    async def _forget_pending(self, customer_id: int, code: str) -> None:
        async with self._db.session() as session:
            row = await CustomerRepository(session).get(customer_id)
            if row is not None and row.pending_promo_code == code:
                row.pending_promo_code = None

    # checkout

    async def offer(self, customer: CustomerView, tariff_code: str) -> Discount | None:
        """The discount the customer's pending code would give on ``tariff_code`` now (nothing reserved).

        A customer without a pending code costs no statement (``CustomerView`` carries it, and a change of
        the customer's row drops the cached view)."""
        if customer.pending_promo_code is None:
            return None
        async with self._db.session() as session:
            row = await CustomerRepository(session).get(customer.id)
            code = row.pending_promo_code if row is not None else None
            if not code:
                return None
            promo = await PromoRepository(session).get_by_code(code)
            try:
                await self._validate(session, promo, customer.id, self._clock.now())
            except DomainError:
                return None
            assert promo is not None
            if promo.kind not in DISCOUNT_KINDS:
                return None
            discount = discount_of(promo)
            return discount if discount.applies_to(tariff_code) else None

    async def reserve(self, session: AsyncSession, order: Order, now: datetime) -> Reservation:
        """Apply the customer's pending discount to a new order (in the transaction creating it)."""
        customer = await session.get(Customer, order.customer_id)
        code = customer.pending_promo_code if customer is not None else None
        if customer is None or not code:
            return Reservation()
        promos = PromoRepository(session)
        promo = await promos.get_by_code(code)
        try:
            activation = await self._validate(session, promo, customer.id, now)
        except DomainError as refusal:
            customer.pending_promo_code = None
            return Reservation(refused=refusal.text_key)
        assert promo is not None
        if promo.kind not in DISCOUNT_KINDS:
            return Reservation()
        discount = discount_of(promo)
        full = Money(order.amount_minor, order.currency)
        price = discount.price(full)
        if not discount.applies_to(order.tariff_code or "") or price == full:
            return Reservation()
        until = now + self.reservation
        if activation is not None and activation.status == RESERVED:
            await self._expire_previous(session, activation, order.id, now)
            activation.order_id, activation.reserved_until = order.id, until
        else:
            try:
                await self._claim(promos, promo, customer.id, activation, now, order_id=order.id)
            except DomainError as refusal:
                customer.pending_promo_code = None
                return Reservation(refused=refusal.text_key)
        order.amount_minor = price.minor
        order.discount_minor = full.minor - price.minor
        order.promo_code_id = promo.id
        order.expires_at = min(order.expires_at, until) if order.expires_at is not None else until
        order.meta = {**order.meta, "promo": promo.code}
        await session.flush()
        log.info("promo reserved", extra={"order_id": order.id, "promo_id": promo.id})
        return Reservation(discount=discount, full_price=full)

    async def hold(self, session: AsyncSession, order: Order, until: datetime) -> None:
        """Keep the order's reservation (and the order) until ``until``, the last moment an invoice made
        for it can still be paid: a payment arriving then must find the code still reserved for it."""
        if order.promo_code_id is None:
            return
        activation = await PromoRepository(session).get_activation(order.promo_code_id, order.customer_id)
        if activation is None or activation.status != RESERVED or activation.order_id != order.id:
            return
        if activation.reserved_until is None or activation.reserved_until < until:
            activation.reserved_until = until
        if order.expires_at is None or order.expires_at < until:
            order.expires_at = until
        await session.flush()
        log.info("promo reservation held for the invoice", extra={"order_id": order.id})

    async def _expire_previous(
        self, session: AsyncSession, activation: PromoActivation, order_id: str, now: datetime
    ) -> None:
        """The reservation moves to a new order: the previous unpaid one can no longer use the discount."""
        if activation.order_id is None or activation.order_id == order_id:
            return
        orders = OrderRepository(session)
        previous = await orders.get_for_update(activation.order_id)
        if previous is not None and previous.status == OrderStatus.PENDING:
            with contextlib.suppress(InvalidTransition):
                await orders.set_status(previous, OrderStatus.EXPIRED, now=now)

    async def consume(self, session: AsyncSession, order: Order, now: datetime) -> None:
        """The order was paid: its reservation becomes the code's use (in the settling transaction)."""
        if order.promo_code_id is None:
            return
        promos = PromoRepository(session)
        activation = await promos.get_activation(order.promo_code_id, order.customer_id)
        if activation is None:
            log.error("paid order with a promo but no activation", extra={"order_id": order.id})
            return
        if activation.status in USED:
            if activation.order_id != order.id:
                log.warning("a promo reservation was paid by two orders", extra={"order_id": order.id})
            return
        if activation.status != RESERVED and not await promos.take_activation(order.promo_code_id):
            log.warning("a late payment used a promo code beyond its limit", extra={"order_id": order.id})
        await promos.set_activation_status(
            activation, PromoActivationStatus.CONSUMED.value, now=now, order_id=order.id
        )
        customer = await session.get(Customer, order.customer_id)
        promo = await promos.get(order.promo_code_id)
        if (
            customer is not None
            and promo is not None
            and customer.pending_promo_code == promo.code_normalized
        ):
            customer.pending_promo_code = None
        log.info("promo consumed", extra={"order_id": order.id, "promo_id": order.promo_code_id})

    async def release(self, session: AsyncSession, order: Order) -> None:
        """The order failed or expired unpaid: its reservation is given back."""
        if order.promo_code_id is None:
            return
        promos = PromoRepository(session)
        activation = await promos.get_activation(order.promo_code_id, order.customer_id)
        if (
            activation is not None
            and activation.status == RESERVED
            and activation.order_id == order.id
            and await promos.release_activation(activation)
        ):
            log.info("promo reservation released", extra={"order_id": order.id})

    async def release_expired(self) -> int:
        """Scheduled: reservations past their time are released with their (now expired) orders;
        bonus-day grants the panel failed are finished."""
        now = self._clock.now()
        released = 0
        async with self._db.session() as session:
            orders = OrderRepository(session)
            for activation in await PromoRepository(session).expired_reservations(now):
                if activation.order_id is None:
                    continue
                order = await orders.get_for_update(activation.order_id)
                if order is not None and order.status == OrderStatus.PENDING:
                    if order.expires_at is not None and order.expires_at > now:
                        continue
                    try:
                        await orders.set_status(order, OrderStatus.EXPIRED, now=now)
                    except InvalidTransition:
                        continue
                if order is not None and order.status in (OrderStatus.PAID, OrderStatus.FULFILLED):
                    await self.consume(session, order, now)
                    continue
                if await PromoRepository(session).release_activation(activation):
                    released += 1
            grants = [a.id for a in await PromoRepository(session).stale_grants(now)]
        for activation_id in grants:
            try:
                await self._days.grant(activation_id)
            except DomainError as exc:
                log.warning("promo days still not given: %s", exc.text_key)
        if released:
            log.info("released %d promo reservations", released)
        return released
