"""Checkout: what can be bought, with which method, and turning a choice into an order and an invoice.

Prices come from the catalogue, looked up by the ids a button carried; the customer never names a price.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from remnastore.db.models import Customer, OrderStatus, Subscription
from remnastore.db.repositories.orders import OrderRepository
from remnastore.db.repositories.subscriptions import SubscriptionRepository
from remnastore.db.session import Database
from remnastore.domain.catalogue import Addon, Catalogue, Period, Tariff
from remnastore.domain.errors import DomainError
from remnastore.domain.money import Money
from remnastore.infra.clock import Clock
from remnastore.payments.base import InvoiceRequest, PaymentEvent, Provider, ProviderError
from remnastore.payments.capabilities import InChatPayments, ProductLinks, SavedMethodCharges
from remnastore.services.accounts import CustomerView
from remnastore.services.effective_settings import EffectiveSettings
from remnastore.services.lifecycle import Lifecycle
from remnastore.services.order_placement import MethodOption, OrderFields, OrderPlacement
from remnastore.services.promo_outcomes import Reservation
from remnastore.services.promos import PromoService

log = logging.getLogger(__name__)


#: the method (and the order's provider) of paying from the balance
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
    promo: Reservation = field(default_factory=Reservation)


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
    promo: Reservation = field(default_factory=Reservation)


@dataclass(frozen=True)
class AddonPayment:
    """An add-on order: to be paid at ``pay_url``, or (``pay_url`` None) already paid from the balance."""

    order_id: str
    provider: str
    amount: Money
    pay_url: str | None
    addon: Addon


def _applicable(addon: Addon, current: Subscription) -> bool:
    """More traffic only on limited traffic; more devices only on a device limit of the shop's own."""
    if addon.kind == "traffic":
        return current.traffic_limit_bytes > 0
    return bool(current.device_limit)


class Checkout:
    def __init__(
        self,
        db: Database,
        settings: EffectiveSettings,
        providers: Mapping[str, Provider],
        clock: Clock,
        *,
        lifecycle: Lifecycle,
        order_ttl: timedelta = timedelta(hours=2),
        settle: Callable[[PaymentEvent], Awaitable[object]] | None = None,
        balance_currency: str | None = None,
        promos: PromoService | None = None,
    ) -> None:
        """``promos``: applies a customer's pending discount code to subscription orders (None: off);
        ``lifecycle``: marks balance payments paid (its subscribers fulfil them)."""
        self._db = db
        self._settings = settings
        self._providers = providers
        self._clock = clock
        self._ttl = order_ttl
        self.settle = settle
        #: None when balances are off; else the currency customers hold and pay from
        self.balance_currency = balance_currency
        self._promos = promos
        self._placement = OrderPlacement(db, clock, lifecycle=lifecycle, order_ttl=order_ttl, promos=promos)

    def pays_in_telegram(self, provider_name: str) -> bool:
        """Whether this method is paid inside Telegram (no payment page to follow)."""
        provider = self._providers.get(provider_name)
        return isinstance(provider, InChatPayments)

    def discountable(self, provider_name: str) -> bool:
        """Whether a promo discount can lower this method's price (fixed-price product links cannot)."""
        if self._promos is None:
            return False
        provider = self._providers.get(provider_name)
        return provider_name == BALANCE or (provider is not None and not isinstance(provider, ProductLinks))

    @property
    def catalogue(self) -> Catalogue:
        """What is on sale now (prices and tariffs in force, see EffectiveSettings)."""
        return self._settings.current.catalogue

    @property
    def _order(self) -> list[str]:
        """Enabled payment providers in the order in force."""
        return [name for name in self._settings.current.enabled_methods if name in self._providers]

    def item(self, tariff_code: str, period_code: str) -> tuple[Tariff, Period]:
        found = self.catalogue.item(tariff_code, period_code)
        if found is None:
            raise DomainError("checkout-unknown-item")
        return found

    def methods(self, period: Period) -> list[MethodOption]:
        """Enabled providers, in the configured order, that can bill one of this period's currencies
        (and the customer's balance, when balances are on and the period has a price in its currency)."""
        return self._options(period.prices, fixed_products=True)

    def _options(self, prices: Mapping[str, Money], *, fixed_products: bool) -> list[MethodOption]:
        options: list[MethodOption] = []
        if self.balance_currency is not None and self.balance_currency in prices:
            options.append(MethodOption(BALANCE, prices[self.balance_currency]))
        for name in self._order:
            provider = self._providers[name]
            if not fixed_products and isinstance(provider, ProductLinks):
                continue
            price = next((prices[c] for c in prices if c in provider.currencies), None)
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
        old = self._settings.current.full_catalogue.tariff(current.tariff_code or "")
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
        details: str = "",
        gift: bool = False,
        save_method: bool = False,
        return_url: str | None = None,
    ) -> PendingPayment | PaidFromBalance:
        """Create (or reuse) a pending order for this item and method, and get its invoice.

        ``gift``: the period is bought for somebody else (an order of kind "gift"); ``save_method``: the
        provider keeps the card for auto-renewal (only providers that can charge saved methods);
        ``return_url``: where the payment page sends the payer back (None: the shop's return address).
        """
        tariff, period = self.item(tariff_code, period_code)
        if save_method:
            options = self.card_saving_methods(period)
        elif gift:
            options = self.gift_methods(period)
        else:
            options = self.methods(period)
        option = next((m for m in options if m.provider == provider_name), None)
        if option is None:
            raise DomainError("checkout-method-unavailable")
        fields = OrderFields(
            kind="gift" if gift else "subscription",
            tariff_code=tariff.code,
            period_code=period.code,
            days=period.approx_days,
            meta={"autorenew": "card"} if save_method else {},
        )
        discount = self.discountable(provider_name) and not gift
        if provider_name == BALANCE:
            order_id, amount, promo = await self._placement.pay_from_balance(
                customer, option, fields, discount=discount
            )
            return PaidFromBalance(order_id, amount, tariff, period, promo)
        invoiced = await self._placement.pending(
            customer,
            self.provider(provider_name),
            option,
            fields,
            description,
            details,
            discount=discount,
            save_method=save_method,
            return_url=return_url,
        )
        return PendingPayment(
            invoiced.order_id,
            provider_name,
            invoiced.amount,
            invoiced.pay_url,
            tariff,
            period,
            invoiced.promo,
        )

    def gift_methods(self, period: Period) -> list[MethodOption]:
        """Like :meth:`methods`, for a gift (providers that sell only fixed products are left out)."""
        return self._options(period.prices, fixed_products=False)

    def card_saving_methods(self, period: Period) -> list[MethodOption]:
        """The providers that can keep the card for auto-renewal and bill this period."""
        return [
            option
            for option in self._options(period.prices, fixed_products=False)
            if isinstance(self._providers.get(option.provider), SavedMethodCharges)
        ]

    def addon_methods(self, addon: Addon) -> list[MethodOption]:
        """Like :meth:`methods`, for an add-on; providers that sell only fixed products are left out."""
        return self._options(addon.prices, fixed_products=False)

    async def active_paid(self, customer: CustomerView) -> Subscription | None:
        """The customer's current subscription if it is paid and not expired (add-ons need one)."""
        async with self._db.session() as session:
            current = await SubscriptionRepository(session).get_current(customer.id)
        if current is None or current.kind != "paid" or current.expires_at <= self._clock.now():
            return None
        return current

    async def addons_for(self, customer: CustomerView) -> list[Addon]:
        """The add-ons this customer may buy now: none without an active paid subscription, no traffic
        when the traffic is unlimited, no devices when the device limit is the panel's default."""
        current = await self.active_paid(customer)
        if current is None:
            return []
        return [a for a in self.catalogue.addons if _applicable(a, current) and self.addon_methods(a)]

    async def addon(self, customer: CustomerView, addon_code: str) -> Addon:
        """The add-on ``addon_code`` if this customer may buy it; else a DomainError saying why."""
        addon = self.catalogue.addon(addon_code)
        if addon is None:
            raise DomainError("checkout-unknown-item")
        current = await self.active_paid(customer)
        if current is None:
            raise DomainError("addon-needs-subscription")
        if not _applicable(addon, current):
            raise DomainError("addon-not-applicable")
        return addon

    async def start_addon(
        self,
        customer: CustomerView,
        addon_code: str,
        provider_name: str,
        *,
        description: str,
        details: str = "",
        return_url: str | None = None,
    ) -> AddonPayment:
        """Create (or reuse) a pending order for an add-on, or pay it from the balance; a payment page
        sends the payer back to ``return_url`` (the cabinet's) when given."""
        addon = await self.addon(customer, addon_code)
        option = next((m for m in self.addon_methods(addon) if m.provider == provider_name), None)
        if option is None:
            raise DomainError("checkout-method-unavailable")
        fields = OrderFields(kind=addon.kind, meta={"addon": addon.code})
        if provider_name == BALANCE:
            order_id, _, _ = await self._placement.pay_from_balance(customer, option, fields)
            return AddonPayment(order_id, BALANCE, option.price, None, addon)
        provider = self.provider(provider_name)
        invoiced = await self._placement.pending(
            customer, provider, option, fields, description, details, return_url=return_url
        )
        return AddonPayment(invoiced.order_id, provider_name, option.price, invoiced.pay_url, addon)

    async def start_topup(
        self,
        customer: CustomerView,
        amount: Money,
        provider_name: str,
        *,
        description: str,
        return_url: str | None = None,
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
        pay_url = await self._placement.invoice(
            provider,
            InvoiceRequest(
                order_id=order_id,
                amount=amount,
                description=description[:128],
                telegram_user_id=customer.telegram_id,
                idempotency_key=idempotency_key,
                language=customer.language,
                return_url=return_url,
            ),
        )
        return TopUp(order_id, provider_name, amount, pay_url)

    async def precheckout_ok(self, *, order_id: str, telegram_id: int, amount: int, currency: str) -> bool:
        """Telegram's pre-checkout question for a Stars invoice: one cheap read, answered in time."""
        async with self._db.session() as session:
            order = await OrderRepository(session).get(order_id)
            if order is None or order.status != OrderStatus.PENDING:
                return False
            if order.expires_at is not None and order.expires_at <= self._clock.now():
                return False  # past its time (and its promo reservation): the expiry job has not run yet
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
            expires_at = order.expires_at
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
        if status == OrderStatus.PENDING and expires_at is not None and expires_at <= self._clock.now():
            # Past its expiry and not paid by what the provider says: the invoice is dead for the customer
            # (the expiry job marks it so too; a late payment is still credited).
            return OrderStatus.EXPIRED.value
        return str(status)
