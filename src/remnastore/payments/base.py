"""The provider interface and the normalised data that crosses it.

A provider module turns our order into the provider's invoice, and the provider's notification (or status
reply) into :class:`PaymentEvent` objects. It never touches the database: settlement does that, once per
event, whatever the number, order or timing of notifications.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Protocol, runtime_checkable

from remnastore.domain.money import Money


class EventKind(StrEnum):
    PAID = "paid"
    FAILED = "failed"
    CANCELED = "canceled"
    REFUNDED = "refunded"
    CHARGEBACK = "chargeback"
    PENDING = "pending"


@dataclass(frozen=True)
class PaymentEvent:
    """What a provider says happened to one of its payments.

    ``provider_payment_id`` is the provider's own unique id of the payment (the idempotency key);
    ``order_id`` is ours, when the provider echoes it; ``amount`` is what the provider says was paid
    (``None`` when it does not say). ``raw`` is the provider's object, kept for the audit trail.
    """

    provider: str
    provider_payment_id: str
    kind: EventKind
    order_id: str | None
    amount: Money | None
    occurred_at: datetime
    telegram_user_id: int | None = None
    saved_method_id: str | None = None
    #: for providers that sell fixed products instead of invoices (Tribute): the product's id
    product_ref: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class ProviderContext:
    """What the shop tells every provider when it is built (read it at call time: ``return_url`` is
    completed once the bot knows its own username)."""

    #: public https base URL under which /webhooks/<name> is reachable (None in long-polling set-ups)
    public_url: str | None
    #: where the customer returns after paying (the bot's t.me link)
    return_url: str
    #: timeout of one provider API call, seconds
    timeout: float = 15.0


@dataclass(frozen=True)
class InvoiceRequest:
    """Everything a provider may need to bill one order; the amount was computed by the server."""

    order_id: str
    amount: Money
    #: a short line naming what is bought (the payment's description; the title of a Stars invoice)
    description: str
    telegram_user_id: int
    idempotency_key: str
    return_url: str | None = None
    notification_url: str | None = None
    email: str | None = None
    save_payment_method: bool = False
    language: str = "ru"
    #: catalogue ids of what is bought (for providers that sell fixed products)
    tariff_code: str | None = None
    period_code: str | None = None
    #: what the customer gets, in their language (a Stars invoice's description; "" = ``description``)
    details: str = ""


@dataclass(frozen=True)
class Invoice:
    """The provider's answer: where the customer pays (a URL) and the provider's payment id if known."""

    provider_payment_id: str | None
    pay_url: str
    expires_at: datetime | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RawRequest:
    """A notification exactly as it reached us. ``headers`` keys are lower-case; ``peer_ip`` is the client
    address already resolved through trusted reverse proxies."""

    method: str
    path: str
    headers: Mapping[str, str]
    query: Mapping[str, str]
    body: bytes
    peer_ip: str


@dataclass(frozen=True)
class WebhookReply:
    status: int = 200
    body: str = "ok"
    content_type: str = "text/plain"


class ProviderError(Exception):
    """The provider refused or could not be reached; ``transient`` says whether retrying may help."""

    def __init__(self, message: str, *, transient: bool = True, status: int | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.status = status


class NotificationRejected(Exception):
    """A notification failed authentication or could not be parsed; nothing may change.

    ``status`` is the HTTP status to answer (401/403 for authentication, 400 for malformed input).
    """

    def __init__(self, reason: str, *, status: int = 401) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@runtime_checkable
class Provider(Protocol):
    """One payment provider. Implementations live in ``payments/<name>.py``."""

    name: ClassVar[str]
    #: ISO codes this provider can bill in (e.g. {"RUB"}); the checkout offers it only for those prices.
    currencies: frozenset[str]
    supports_status_poll: ClassVar[bool]
    #: True when notifications come to /webhooks/<name> (False for Telegram Stars).
    uses_webhook: ClassVar[bool]

    async def create_invoice(self, request: InvoiceRequest) -> Invoice:
        """Create a payment at the provider. Must reuse ``request.idempotency_key`` where the provider
        supports idempotency. Raises :class:`ProviderError`."""

    async def parse_notification(self, request: RawRequest) -> list[PaymentEvent]:
        """Authenticate and parse a notification into events (empty for irrelevant ones). Raises
        :class:`NotificationRejected` for forged or malformed input; for providers without signatures it
        confirms the state through the provider's API."""

    def ack(self, *, accepted: bool) -> WebhookReply:
        """The reply the provider expects: ``accepted`` (processed, duplicate or ignored) or a reply that
        makes the provider deliver the notification again (our transient failure)."""

    async def fetch_status(self, order_id: str, provider_payment_id: str | None) -> PaymentEvent | None:
        """Ask the provider about one payment (reconciliation); None when it knows nothing useful."""

    async def close(self) -> None:
        """Release HTTP sessions."""
