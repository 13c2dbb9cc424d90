"""YooMoney quickpay: payments to the seller's personal YooMoney wallet.

There is no API to create a payment: the customer is sent to the quickpay form
(``https://yoomoney.ru/quickpay/confirm``) with the wallet number (``receiver``), the amount (``sum``) and
our order id as ``label``. When money arrives, YooMoney POSTs an HTTP notification (form-encoded) to the
address set on the wallet's "HTTP notifications" page. It is authenticated by ``sha1_hash``: the SHA-1 hex
digest of nine values joined by ``&`` in this order::

    notification_type&operation_id&amount&currency&datetime&sender&codepro&notification_secret&label

Rules kept here:

* a notification whose hash does not match is refused (401) and changes nothing; the comparison is
  constant-time;
* ``codepro=true`` (a protected transfer waiting for a code) and ``unaccepted=true`` (money frozen until the
  wallet accepts it) are acknowledged and ignored: the money has not arrived; the "Test" button's
  notifications (``test_notification=true``) and transfers without a label (not made from our form) too;
* **commission**: the payer is charged ``sum`` (``withdraw_amount`` in the notification); YooMoney keeps its
  commission from the seller, so ``amount`` (what the wallet receives) is lower. The order is compared with
  ``withdraw_amount``. That field is not covered by the hash, so it is believed only while the signed
  ``amount`` is consistent with it (not above it, and not more than ``YOOMONEY_MAX_COMMISSION_PERCENT``
  below it); otherwise the signed ``amount`` is what settlement compares, and the payment is recorded as a
  mismatch instead of being credited;
* the idempotency key is ``operation_id``; settlement records it only for an authenticated notification
  whose label names one of our orders;
* YooMoney expects HTTP 200; anything else makes it deliver again later.

There is no refund and no status API (outside OAuth applications), so neither is offered.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Literal
from urllib.parse import parse_qsl, urlencode

from pydantic import SecretStr, field_validator

from remnastore.domain.money import Money
from remnastore.payments.base import (
    EventKind,
    Invoice,
    InvoiceRequest,
    NotificationRejected,
    PaymentEvent,
    ProviderContext,
    ProviderError,
    RawRequest,
    WebhookReply,
)
from remnastore.settings_base import SettingsGroup, env, http_url

NAME = "yoomoney"
#: ISO 4217 numeric code of the rouble, the only currency of notifications
RUB_NUMERIC = "643"
#: the values covered by sha1_hash, in order; the notification secret goes between codepro and label
SIGNED_FIELDS = ("notification_type", "operation_id", "amount", "currency", "datetime", "sender", "codepro")
INCOMING_TYPES = frozenset({"p2p-incoming", "card-incoming"})

logger = logging.getLogger("remnastore.payments.yoomoney")


class Settings(SettingsGroup):
    enabled: bool = env(
        "YOOMONEY_ENABLED", False, description="Offer payment to a YooMoney wallet (quickpay)"
    )
    wallet: str | None = env(
        "YOOMONEY_WALLET", None, description="Number of the YooMoney wallet that receives payments (receiver)"
    )
    notification_secret: SecretStr | None = env(
        "YOOMONEY_NOTIFICATION_SECRET",
        None,
        description="Secret from the wallet's HTTP-notifications page; it signs notifications (sha1_hash)",
    )
    quickpay_url: str = env(
        "YOOMONEY_QUICKPAY_URL",
        "https://yoomoney.ru/quickpay/confirm",
        description="Address of the quickpay payment form",
    )
    payment_type: Literal["AC", "PC"] = env(
        "YOOMONEY_PAYMENT_TYPE",
        "AC",
        description="How the customer pays: AC = bank card, PC = YooMoney wallet",
    )
    max_commission_percent: Decimal = env(
        "YOOMONEY_MAX_COMMISSION_PERCENT",
        Decimal("5"),
        ge=0,
        lt=100,
        description="Largest commission YooMoney may keep, percent; a credited amount below it is a mismatch",
    )

    @field_validator("wallet", "notification_secret", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("wallet")
    @classmethod
    def _wallet(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not value.isdigit() or not 11 <= len(value) <= 20:
            raise ValueError("must be the wallet number (11 to 20 digits, e.g. 4100118012345678)")
        return value

    @field_validator("quickpay_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return http_url(value)

    def missing(self) -> list[str]:
        if not self.enabled:
            return []
        required = {"YOOMONEY_WALLET": self.wallet, "YOOMONEY_NOTIFICATION_SECRET": self.notification_secret}
        return [name for name, value in required.items() if value is None]


def notification_hash(fields: Mapping[str, str], secret: str) -> str:
    """sha1_hash of a notification: the nine values joined by ``&`` (missing ones as empty text)."""
    values = [fields.get(name, "") for name in SIGNED_FIELDS]
    text = "&".join([*values, secret, fields.get("label", "")])
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        return None
    return value if value.is_finite() else None


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class YooMoneyProvider:
    name: ClassVar[str] = NAME
    supports_status_poll: ClassVar[bool] = False
    uses_webhook: ClassVar[bool] = True

    def __init__(self, settings: Settings, context: ProviderContext) -> None:
        self._settings = settings
        self._context = context
        self.currencies: frozenset[str] = frozenset({"RUB"})

    async def create_invoice(self, request: InvoiceRequest) -> Invoice:
        """The quickpay form as a link (no API call: nothing can fail here but our own settings)."""
        if request.amount.currency != "RUB":
            raise ProviderError("yoomoney takes roubles only", transient=False)
        if self._settings.wallet is None:
            raise ProviderError("YOOMONEY_WALLET is not set", transient=False)
        fields = {
            "receiver": self._settings.wallet,
            "quickpay-form": "button",
            "sum": format(request.amount.to_decimal(), "f"),
            "label": request.order_id,
            "paymentType": self._settings.payment_type,
        }
        return_url = request.return_url or self._context.return_url
        if return_url:
            fields["successURL"] = return_url
        return Invoice(provider_payment_id=None, pay_url=f"{self._settings.quickpay_url}?{urlencode(fields)}")

    @staticmethod
    def _fields(request: RawRequest) -> dict[str, str]:
        if request.method.upper() != "POST":
            raise NotificationRejected("notifications are POSTed", status=405)
        try:
            pairs = parse_qsl(request.body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            raise NotificationRejected("body is not a form", status=400) from None
        fields: dict[str, str] = {}
        for key, value in pairs:
            if key in fields:
                raise NotificationRejected(f"field {key} given twice", status=400)
            fields[key] = value
        return fields

    async def parse_notification(self, request: RawRequest) -> list[PaymentEvent]:
        fields = self._fields(request)
        given = fields.get("sha1_hash", "").strip().lower()
        if not given:
            logger.warning("yoomoney notification without sha1_hash", extra={"peer": request.peer_ip})
            raise NotificationRejected("missing sha1_hash", status=401)
        secret = self._settings.notification_secret
        if secret is None:
            raise NotificationRejected("YOOMONEY_NOTIFICATION_SECRET is not set", status=403)
        expected = notification_hash(fields, secret.get_secret_value())
        if not hmac.compare_digest(expected.encode(), given.encode()):
            logger.warning("yoomoney notification with a wrong sha1_hash", extra={"peer": request.peer_ip})
            raise NotificationRejected("wrong sha1_hash", status=401)
        operation_id = fields.get("operation_id", "").strip()
        label = fields.get("label", "").strip()
        if fields.get("test_notification", "").lower() == "true":
            logger.info("yoomoney test notification received")
            return []
        if fields.get("notification_type") not in INCOMING_TYPES or not operation_id:
            raise NotificationRejected("not an incoming transfer", status=400)
        if fields.get("currency") != RUB_NUMERIC:
            raise NotificationRejected(f"currency {fields.get('currency')!r} is not 643", status=400)
        for flag in ("codepro", "unaccepted"):
            if fields.get(flag, "").lower() == "true":
                logger.warning(
                    "yoomoney transfer not credited (%s=true): the money has not arrived",
                    flag,
                    extra={"order_id": label, "operation_id": operation_id},
                )
                return []
        if not label:
            logger.warning("yoomoney transfer without a label ignored", extra={"operation_id": operation_id})
            return []
        credited = _decimal(fields.get("amount", ""))
        if credited is None or credited <= 0:
            raise NotificationRejected("amount is not an amount", status=400)
        paid = self._charged(credited, _decimal(fields.get("withdraw_amount", "")), operation_id)
        try:
            amount = Money.from_decimal(paid, "RUB")
        except ValueError:
            raise NotificationRejected("amount has more than two decimal places", status=400) from None
        return [
            PaymentEvent(
                provider=NAME,
                provider_payment_id=operation_id,
                kind=EventKind.PAID,
                order_id=label,
                amount=amount,
                occurred_at=_moment(fields.get("datetime", "")),
                raw={key: value for key, value in fields.items() if key != "sha1_hash"},
            )
        ]

    def _charged(self, credited: Decimal, withdrawn: Decimal | None, operation_id: str) -> Decimal:
        """What the payer paid: ``withdraw_amount`` when the signed ``amount`` agrees with it."""
        if withdrawn is not None:
            lowest = withdrawn * (1 - self._settings.max_commission_percent / 100)
            if lowest <= credited <= withdrawn:
                return withdrawn
        logger.warning(
            "yoomoney withdraw_amount does not agree with the signed amount; comparing the amount credited",
            extra={"operation_id": operation_id},
        )
        return credited

    def ack(self, *, accepted: bool) -> WebhookReply:
        if accepted:
            return WebhookReply(status=200, body="ok")
        return WebhookReply(status=500, body="retry later")

    async def fetch_status(self, order_id: str, provider_payment_id: str | None) -> PaymentEvent | None:
        return None

    async def close(self) -> None:
        return None


def create(settings: Settings, context: ProviderContext) -> YooMoneyProvider:
    return YooMoneyProvider(settings, context)
