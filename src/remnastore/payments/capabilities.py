"""What a provider can do beyond taking payments, declared as runtime-checkable protocols.

The shop asks ``isinstance(provider, Refunds)`` (never ``hasattr``): a provider module declares a
capability by implementing its protocol, and every caller finds it the same way.

Adding a capability: a protocol here (with the data it needs), its method in the providers that have it,
and the ``isinstance`` check where the shop offers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from remnastore.domain.money import Money
from remnastore.payments.base import Invoice, InvoiceRequest, PaymentEvent


@dataclass(frozen=True)
class RefundRequest:
    """Everything any provider needs to return one payment: the order, the provider's payment and the
    payer (Telegram Stars refunds go to a user id)."""

    order_id: str
    provider_payment_id: str
    amount: Money
    payer_telegram_id: int
    idempotency_key: str


@runtime_checkable
class Refunds(Protocol):
    """Returns a payment to its payer through the provider's API."""

    async def refund_order(self, request: RefundRequest) -> None:
        """Raises ``ProviderError`` (``transient`` says whether a retry may help)."""
        ...


@runtime_checkable
class SavedMethodCharges(Protocol):
    """Charges a saved payment method without the customer (auto-renewal)."""

    name: str

    async def charge_saved(self, method_id: str, request: InvoiceRequest) -> PaymentEvent | Invoice: ...

    async def fetch_status(self, order_id: str, provider_payment_id: str | None) -> PaymentEvent | None: ...


@runtime_checkable
class ProductLinks(Protocol):
    """Sells fixed products through its own links instead of invoices (the order is made from the
    payment's product reference)."""

    def product_for_ref(self, product_ref: str) -> tuple[str, str] | None: ...


@runtime_checkable
class InChatPayments(Protocol):
    """Payments inside the Telegram chat (Stars): the provider needs the bot."""

    def attach(self, bot: Any) -> None: ...
