"""Checkout: what can be bought, with which method, and turning a choice into an order and an invoice.

Prices come from the catalogue, looked up by the ids a button carried; the customer never names a price.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from remnastore.db.models import Customer, OrderStatus
from remnastore.db.repositories.orders import OrderRepository
from remnastore.db.session import Database
from remnastore.domain.catalogue import Catalogue, Period, Tariff
from remnastore.domain.errors import DomainError
from remnastore.domain.money import Money
from remnastore.infra.clock import Clock
from remnastore.payments.base import InvoiceRequest, PaymentEvent, Provider, ProviderError
from remnastore.services.accounts import CustomerView

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MethodOption:
    provider: str
    price: Money


@dataclass(frozen=True)
class PendingPayment:
    order_id: str
    provider: str
    amount: Money
    pay_url: str
    tariff: Tariff
    period: Period


class Checkout:
    def __init__(
        self,
        db: Database,
        catalogue: Catalogue,
        providers: Mapping[str, Provider],
        clock: Clock,
        *,
        method_order: Sequence[str],
        order_ttl: timedelta = timedelta(hours=2),
        settle: Callable[[PaymentEvent], Awaitable[object]] | None = None,
    ) -> None:
        self._db = db
        self.catalogue = catalogue
        self._providers = providers
        self._clock = clock
        self._order = [name for name in method_order if name in providers] + sorted(
            name for name in providers if name not in method_order
        )
        self._ttl = order_ttl
        self.settle = settle

    def item(self, tariff_code: str, period_code: str) -> tuple[Tariff, Period]:
        found = self.catalogue.item(tariff_code, period_code)
        if found is None:
            raise DomainError("checkout-unknown-item")
        return found

    def methods(self, period: Period) -> list[MethodOption]:
        """Enabled providers, in the configured order, that can bill one of this period's currencies."""
        options: list[MethodOption] = []
        for name in self._order:
            provider = self._providers[name]
            price = next(
                (period.prices[c] for c in period.prices if c in provider.currencies),
                None,
            )
            if price is not None:
                options.append(MethodOption(name, price))
        return options

    def provider(self, name: str) -> Provider:
        provider = self._providers.get(name)
        if provider is None:
            raise DomainError("checkout-method-unavailable")
        return provider

    async def start(
        self,
        customer: CustomerView,
        tariff_code: str,
        period_code: str,
        provider_name: str,
        *,
        description: str,
    ) -> PendingPayment:
        """Create (or reuse) a pending order for this item and method, and get its invoice."""
        tariff, period = self.item(tariff_code, period_code)
        provider = self.provider(provider_name)
        option = next((m for m in self.methods(period) if m.provider == provider_name), None)
        if option is None:
            raise DomainError("checkout-method-unavailable")
        now = self._clock.now()
        async with self._db.session() as session:
            orders = OrderRepository(session)
            reusable = await orders.list(
                customer_id=customer.id, status=OrderStatus.PENDING, provider=provider_name, limit=20
            )
            for order in reusable:
                if (
                    order.tariff_code == tariff.code
                    and order.period_code == period.code
                    and order.pay_url
                    and order.amount_minor == option.price.minor
                    and order.currency == option.price.currency
                    and (order.expires_at is None or order.expires_at > now + timedelta(minutes=5))
                ):
                    return PendingPayment(
                        order.id, provider_name, option.price, order.pay_url, tariff, period
                    )
            order = await orders.create(
                customer.id,
                kind="subscription",
                amount=option.price,
                provider=provider_name,
                tariff_code=tariff.code,
                period_code=period.code,
                days=period.approx_days,
                expires_at=now + self._ttl,
            )
            order_id, idempotency_key = order.id, order.idempotency_key
        # The order is committed before the provider hears of it: a notification can never find no order.
        request = InvoiceRequest(
            order_id=order_id,
            amount=option.price,
            description=description[:128],
            telegram_user_id=customer.telegram_id,
            idempotency_key=idempotency_key,
            language=customer.language,
            tariff_code=tariff.code,
            period_code=period.code,
        )
        try:
            invoice = await provider.create_invoice(request)
        except ProviderError as exc:
            log.warning(
                "invoice creation failed: %s", exc, extra={"order_id": order_id, "provider": provider_name}
            )
            raise DomainError("checkout-provider-unavailable") from exc
        async with self._db.session() as session:
            orders = OrderRepository(session)
            stored = await orders.get(order_id)
            if stored is not None:
                if invoice.provider_payment_id:
                    await orders.set_provider_payment(
                        stored, provider_payment_id=invoice.provider_payment_id, pay_url=invoice.pay_url
                    )
                else:
                    stored.pay_url = invoice.pay_url
        log.info("order created", extra={"order_id": order_id, "provider": provider_name})
        return PendingPayment(order_id, provider_name, option.price, invoice.pay_url, tariff, period)

    async def precheckout_ok(self, *, order_id: str, telegram_id: int, amount: int, currency: str) -> bool:
        """Telegram's pre-checkout question for a Stars invoice: one cheap read, answered in time."""
        async with self._db.session() as session:
            order = await OrderRepository(session).get(order_id)
            if order is None or order.status != OrderStatus.PENDING:
                return False
            customer = await session.get(Customer, order.customer_id)
            return (
                customer is not None
                and customer.telegram_id == telegram_id
                and order.currency == currency
                and order.amount_minor == amount
            )

    async def refresh(self, customer: CustomerView, order_id: str) -> str:
        """The customer pressed "I have paid": ask the provider, settle what it says, return the status."""
        async with self._db.session() as session:
            order = await OrderRepository(session).get(order_id)
            if order is None or order.customer_id != customer.id:
                raise DomainError("checkout-unknown-item")
            status, provider_name, payment_id = order.status, order.provider, order.provider_payment_id
        provider = self._providers.get(provider_name)
        if status == OrderStatus.PENDING and provider is not None and provider.supports_status_poll:
            try:
                event = await provider.fetch_status(order_id, payment_id)
            except ProviderError as exc:
                log.warning("status query failed: %s", exc, extra={"order_id": order_id})
                event = None
            if event is not None and self.settle is not None:
                await self.settle(event)
                async with self._db.session() as session:
                    refreshed = await OrderRepository(session).get(order_id)
                    status = refreshed.status if refreshed is not None else status
        return str(status)
