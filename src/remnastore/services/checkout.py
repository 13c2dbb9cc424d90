"""Checkout: what can be bought, with which method, and turning a choice into an order and an invoice.

Prices come from the catalogue, looked up by the ids a button carried; the customer never names a price.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from remnastore.db.models import Customer, OrderStatus
from remnastore.db.repositories.customers import CustomerRepository, InsufficientBalance
from remnastore.db.repositories.orders import OrderRepository
from remnastore.db.repositories.subscriptions import SubscriptionRepository
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


BALANCE = "balance"


@dataclass(frozen=True)
class TariffChange:
    current_name: str
    current_expires_at: datetime


@dataclass(frozen=True)
class PaidFromBalance:
    order_id: str
    amount: Money
    tariff: Tariff
    period: Period


@dataclass(frozen=True)
class TopUp:
    order_id: str
    provider: str
    amount: Money
    pay_url: str


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
        balance_currency: str | None = None,
        on_paid: Callable[[str], None] | None = None,
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
        #: None when balances are off; else the currency customers hold and pay from
        self.balance_currency = balance_currency
        self.on_paid = on_paid

    def item(self, tariff_code: str, period_code: str) -> tuple[Tariff, Period]:
        found = self.catalogue.item(tariff_code, period_code)
        if found is None:
            raise DomainError("checkout-unknown-item")
        return found

    def methods(self, period: Period) -> list[MethodOption]:
        """Enabled providers, in the configured order, that can bill one of this period's currencies
        (and the customer's balance, when balances are on and the period has a price in its currency)."""
        options: list[MethodOption] = []
        if self.balance_currency is not None and self.balance_currency in period.prices:
            options.append(MethodOption(BALANCE, period.prices[self.balance_currency]))
        for name in self._order:
            provider = self._providers[name]
            price = next(
                (period.prices[c] for c in period.prices if c in provider.currencies),
                None,
            )
            if price is not None:
                options.append(MethodOption(name, price))
        return options

    async def tariff_change(self, customer: CustomerView, tariff: Tariff) -> TariffChange | None:
        """Buying ``tariff`` while another paid tariff is active switches to it from now: say so first."""
        async with self._db.session() as session:
            current = await SubscriptionRepository(session).get_current(customer.id)
        if (
            current is None
            or current.kind != "paid"
            or current.tariff_code in (None, tariff.code)
            or current.expires_at <= self._clock.now()
        ):
            return None
        old = self.catalogue.tariff(current.tariff_code or "")
        return TariffChange(
            old.name(customer.language) if old else str(current.tariff_code), current.expires_at
        )

    def topup_methods(self, amount: Money) -> list[str]:
        """Providers that can take a top-up in the balance currency (never the balance itself)."""
        return [name for name in self._order if amount.currency in self._providers[name].currencies]

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
    ) -> PendingPayment | PaidFromBalance:
        """Create (or reuse) a pending order for this item and method, and get its invoice."""
        tariff, period = self.item(tariff_code, period_code)
        option = next((m for m in self.methods(period) if m.provider == provider_name), None)
        if option is None:
            raise DomainError("checkout-method-unavailable")
        if provider_name == BALANCE:
            return await self._pay_from_balance(customer, tariff, period, option.price)
        provider = self.provider(provider_name)
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
        pay_url = await self._invoice(
            provider,
            InvoiceRequest(
                order_id=order_id,
                amount=option.price,
                description=description[:128],
                telegram_user_id=customer.telegram_id,
                idempotency_key=idempotency_key,
                language=customer.language,
                tariff_code=tariff.code,
                period_code=period.code,
            ),
        )
        return PendingPayment(order_id, provider_name, option.price, pay_url, tariff, period)

    async def start_topup(
        self, customer: CustomerView, amount: Money, provider_name: str, *, description: str
    ) -> TopUp:
        if self.balance_currency is None or amount.currency != self.balance_currency:
            raise DomainError("checkout-method-unavailable")
        if provider_name not in self.topup_methods(amount):
            raise DomainError("checkout-method-unavailable")
        provider = self.provider(provider_name)
        async with self._db.session() as session:
            order = await OrderRepository(session).create(
                customer.id,
                kind="topup",
                amount=amount,
                provider=provider_name,
                expires_at=self._clock.now() + self._ttl,
            )
            order_id, idempotency_key = order.id, order.idempotency_key
        pay_url = await self._invoice(
            provider,
            InvoiceRequest(
                order_id=order_id,
                amount=amount,
                description=description[:128],
                telegram_user_id=customer.telegram_id,
                idempotency_key=idempotency_key,
                language=customer.language,
            ),
        )
        return TopUp(order_id, provider_name, amount, pay_url)

    async def _invoice(self, provider: Provider, request: InvoiceRequest) -> str:
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
        log.info("order created", extra={"order_id": request.order_id, "provider": provider.name})
        return invoice.pay_url

    async def _pay_from_balance(
        self, customer: CustomerView, tariff: Tariff, period: Period, price: Money
    ) -> PaidFromBalance:
        """Debit the balance and mark the order paid in one transaction; fulfilment follows."""
        async with self._db.session() as session:
            orders = OrderRepository(session)
            order = await orders.create(
                customer.id,
                kind="subscription",
                amount=price,
                provider=BALANCE,
                tariff_code=tariff.code,
                period_code=period.code,
                days=period.approx_days,
            )
            try:
                await CustomerRepository(session).change_balance(
                    customer.id,
                    -price,
                    reason="purchase",
                    idempotency_key=f"order:{order.id}",
                    order_id=order.id,
                )
            except InsufficientBalance:
                raise DomainError("balance-insufficient") from None
            await orders.set_provider_payment(order, provider_payment_id=order.id)
            await orders.set_status(order, OrderStatus.PAID, now=self._clock.now())
            order_id = order.id
        log.info("order paid from balance", extra={"order_id": order_id, "customer_id": customer.id})
        if self.on_paid is not None:
            self.on_paid(order_id)
        return PaidFromBalance(order_id, price, tariff, period)

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
