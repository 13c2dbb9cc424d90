"""Placing an order: a pending order with its provider invoice (a recent unpaid one reused), or an order
paid from the balance in one transaction. Checkout (services/checkout.py) decides what is bought with
which method; this module writes the order and asks the provider."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from remnastore.db.models import Customer, Order, OrderStatus
from remnastore.db.repositories.customers import CustomerRepository, InsufficientBalance
from remnastore.db.repositories.orders import OrderRepository
from remnastore.db.session import Database
from remnastore.domain.errors import DomainError
from remnastore.domain.money import Money
from remnastore.infra.clock import Clock
from remnastore.payments.base import InvoiceRequest, Provider, ProviderError
from remnastore.services.accounts import CustomerView
from remnastore.services.lifecycle import Lifecycle
from remnastore.services.promo_outcomes import Reservation
from remnastore.services.promos import PromoService

log = logging.getLogger(__name__)
#: how long after an invoice stops being payable its notification may still arrive
PAYMENT_GRACE = timedelta(minutes=10)


@dataclass(frozen=True)
class OrderFields:
    """What an order is for; the same for a new order and for recognising a reusable pending one."""

    kind: str
    tariff_code: str | None = None
    period_code: str | None = None
    days: int | None = None
    meta: Mapping[str, str] = field(default_factory=dict)

    def matches(self, order: Order) -> bool:
        return (
            order.kind == self.kind
            and order.tariff_code == self.tariff_code
            and order.period_code == self.period_code
            and all(order.meta.get(k) == v for k, v in self.meta.items())
            # an invoice that keeps the card is reused only for a purchase that asked for it
            and order.meta.get("autorenew") == self.meta.get("autorenew")
        )

    async def create(
        self,
        orders: OrderRepository,
        customer_id: int,
        amount: Money,
        provider: str,
        *,
        expires_at: datetime | None = None,
    ) -> Order:
        return await orders.create(
            customer_id,
            kind=self.kind,
            amount=amount,
            provider=provider,
            tariff_code=self.tariff_code,
            period_code=self.period_code,
            days=self.days,
            expires_at=expires_at,
            meta=dict(self.meta) or None,
        )


@dataclass(frozen=True)
class Invoiced:
    """A pending order with its pay URL (and the discount reserved for it)."""

    order_id: str
    pay_url: str
    amount: Money
    promo: Reservation


@dataclass(frozen=True)
class MethodOption:
    provider: str
    price: Money


class OrderPlacement:
    """Writes orders and gets their invoices; the part of Checkout that touches orders and providers."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        lifecycle: Lifecycle,
        order_ttl: timedelta,
        promos: PromoService | None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._lifecycle = lifecycle
        self._ttl = order_ttl
        self._promos = promos

    async def pending(
        self,
        customer: CustomerView,
        provider: Provider,
        option: MethodOption,
        fields: OrderFields,
        description: str,
        details: str = "",
        *,
        discount: bool = False,
        save_method: bool = False,
        return_url: str | None = None,
    ) -> Invoiced:
        """A pending order for these fields and method with its pay URL: a recent unpaid one is reused
        (not while a discount code is pending: the new order reserves it)."""
        now = self._clock.now()
        promo = Reservation()
        async with self._db.session() as session:
            orders = OrderRepository(session)
            pending_code = discount and await self._has_pending_code(session, customer.id)
            reusable = await orders.list(
                customer_id=customer.id, status=OrderStatus.PENDING, provider=option.provider, limit=20
            )
            for order in reusable if not pending_code else ():
                if (
                    fields.matches(order)
                    and order.pay_url
                    and order.amount_minor == option.price.minor
                    and order.currency == option.price.currency
                    and (order.expires_at is None or order.expires_at > now + timedelta(minutes=5))
                ):
                    return Invoiced(order.id, order.pay_url, option.price, promo)
            order = await fields.create(
                orders, customer.id, option.price, option.provider, expires_at=now + self._ttl
            )
            if pending_code and self._promos is not None:
                promo = await self._promos.reserve(session, order, now)
            order_id, idempotency_key, amount = order.id, order.idempotency_key, order.amount
        pay_url = await self.invoice(
            provider,
            InvoiceRequest(
                order_id=order_id,
                amount=amount,
                description=description[:128],
                details=details,
                telegram_user_id=customer.telegram_id,
                idempotency_key=idempotency_key,
                language=customer.language,
                tariff_code=fields.tariff_code,
                period_code=fields.period_code,
                save_payment_method=save_method,
                return_url=return_url,
            ),
        )
        return Invoiced(order_id, pay_url, amount, promo)

    @staticmethod
    async def _has_pending_code(session: AsyncSession, customer_id: int) -> bool:
        customer = await session.get(Customer, customer_id)
        return customer is not None and bool(customer.pending_promo_code)

    async def invoice(self, provider: Provider, request: InvoiceRequest) -> str:
        """Ask the provider for an invoice of an order that is already committed (so a notification can
        never find no order), and store the provider's payment id and URL."""
        try:
            invoice = await provider.create_invoice(request)
        except ProviderError as exc:
            log.warning(
                "invoice creation failed: %s",
                exc,
                extra={"order_id": request.order_id, "provider": provider.name},
            )
            raise DomainError("checkout-provider-unavailable") from exc
        async with self._db.session() as session:
            orders = OrderRepository(session)
            stored = await orders.get(request.order_id)
            if stored is not None:
                if invoice.provider_payment_id:
                    await orders.set_provider_payment(
                        stored, provider_payment_id=invoice.provider_payment_id, pay_url=invoice.pay_url
                    )
                else:
                    stored.pay_url = invoice.pay_url
                if stored.promo_code_id is not None and self._promos is not None and provider.uses_webhook:
                    # A provider's invoice may stay payable beyond the reservation (its own lifetime, or
                    # the order's when it names none): the code stays reserved until then, so a late
                    # payment never uses it twice. (Telegram Stars asks the pre-checkout question first,
                    # which refuses an order past its time: those invoices end with the reservation.)
                    payable_until = invoice.expires_at or self._clock.now() + self._ttl
                    await self._promos.hold(session, stored, payable_until + PAYMENT_GRACE)
        log.info("order created", extra={"order_id": request.order_id, "provider": provider.name})
        return invoice.pay_url

    async def pay_from_balance(
        self, customer: CustomerView, option: MethodOption, fields: OrderFields, *, discount: bool = False
    ) -> tuple[str, Money, Reservation]:
        """Debit the balance and mark the order paid in one transaction (a pending discount is reserved
        and consumed in it too); fulfilment follows."""
        promo = Reservation()
        now = self._clock.now()
        async with self._db.session() as session:
            orders = OrderRepository(session)
            order = await fields.create(orders, customer.id, option.price, option.provider)
            if discount and self._promos is not None:
                promo = await self._promos.reserve(session, order, now)
            amount = order.amount
            try:
                await CustomerRepository(session).change_balance(
                    customer.id,
                    -amount,
                    reason="purchase",
                    idempotency_key=f"order:{order.id}",
                    order_id=order.id,
                )
            except InsufficientBalance:
                raise DomainError("balance-insufficient") from None
            paid = await self._lifecycle.mark_paid(session, order, payment_id=order.id)
            order_id = order.id
        log.info("order paid from balance", extra={"order_id": order_id, "customer_id": customer.id})
        await self._lifecycle.publish(paid)
        return order_id, amount, promo
