"""Heleket (same protocol as Cryptomus): crypto invoices priced in fiat, webhooks signed inside the body.

Requests carry ``merchant`` and ``sign = md5(base64(body bytes) + payment API key)`` headers. A webhook
holds its ``sign`` in the JSON body, computed over the other fields encoded the way PHP's
``json_encode(..., JSON_UNESCAPED_UNICODE)`` does: compact, ``/`` escaped as ``\\/``, non-ASCII kept.
The idempotency key is the payment ``uuid``; Heleket itself deduplicates invoices by our ``order_id``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

import aiohttp
from pydantic import SecretStr, field_validator
from pydantic_settings import NoDecode

from remnastore.domain.money import Money, UnknownCurrency, is_known_currency
from remnastore.infra.untrusted_json import load_untrusted
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
from remnastore.payments.http import LazySession
from remnastore.settings_base import SettingsGroup, env, split_list

NAME = "heleket"
log = logging.getLogger(__name__)

_KINDS: dict[str, EventKind] = {
    "paid": EventKind.PAID,
    "paid_over": EventKind.PAID,
    "wrong_amount": EventKind.FAILED,
    "cancel": EventKind.FAILED,
    "fail": EventKind.FAILED,
    "system_fail": EventKind.FAILED,
    "refund_paid": EventKind.REFUNDED,
    "check": EventKind.PENDING,
    "process": EventKind.PENDING,
    "confirm_check": EventKind.PENDING,
    "wrong_amount_waiting": EventKind.PENDING,
}
_ORDER_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_ADDITIONAL_DATA_LIMIT = 255


class Settings(SettingsGroup):
    enabled: bool = env("HELEKET_ENABLED", False, description="Accept crypto payments through Heleket")
    merchant_id: str | None = env("HELEKET_MERCHANT_ID", None, description="Heleket merchant UUID")
    api_key: SecretStr | None = env("HELEKET_API_KEY", None, description="Heleket payment API key")
    api_url: str = env(
        "HELEKET_API_URL", "https://api.heleket.com/v1", description="Base URL of the Heleket API"
    )
    currencies: Annotated[list[str], NoDecode] = env(
        "HELEKET_CURRENCIES",
        default_factory=lambda: ["USD"],
        description="Currencies invoices may be priced in, comma-separated",
    )
    to_currency: str | None = env(
        "HELEKET_TO_CURRENCY", None, description="Crypto to convert payments into (e.g. USDT); empty: none"
    )
    network: str | None = env(
        "HELEKET_NETWORK", None, description="Blockchain network to offer (e.g. tron); empty: payer chooses"
    )
    lifetime: int = env("HELEKET_LIFETIME", 3600, ge=300, le=43200, description="Invoice lifetime in seconds")

    @field_validator("currencies", mode="before")
    @classmethod
    def _currencies(cls, value: Any) -> Any:
        items = split_list(value)
        if isinstance(items, list):
            items = [str(item).upper() for item in items]
            for item in items:
                if not is_known_currency(item):
                    raise ValueError(f"'{item}' is not a currency the shop can count")
        return items

    def missing(self) -> list[str]:
        if not self.enabled:
            return []
        problems = []
        if not self.merchant_id:
            problems.append("HELEKET_MERCHANT_ID")
        if self.api_key is None or not self.api_key.get_secret_value():
            problems.append("HELEKET_API_KEY")
        return problems


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def php_json(value: Any) -> bytes:
    """``json_encode($value, JSON_UNESCAPED_UNICODE)`` as PHP writes it (slashes and U+2028/9 escaped)."""
    return (
        _compact(value).replace("/", "\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()
    )


def sign(body: bytes, api_key: str) -> str:
    """``md5(base64(body) + api_key)``, lowercase hex: request headers and webhook bodies alike."""
    return hashlib.md5(base64.b64encode(body) + api_key.encode(), usedforsecurity=False).hexdigest()


def _money(amount: Any, code: Any) -> Money | None:
    try:
        return Money.from_decimal(str(amount), str(code))
    except (ValueError, TypeError, UnknownCurrency):
        return None


def _paid_amount(payment: dict[str, Any]) -> Money | None:
    """What the payer actually sent: in the invoice currency when Heleket says so, else in the payer's."""
    if payment.get("payer_currency") == payment.get("currency"):
        return _money(payment.get("payment_amount"), payment.get("currency"))
    if payment.get("currency") == "USD" and payment.get("payment_amount_usd") is not None:
        return _money(payment["payment_amount_usd"], "USD")
    return _money(payment.get("payment_amount"), payment.get("payer_currency"))


def _telegram_user(additional_data: Any) -> int | None:
    try:
        value = (
            load_untrusted(additional_data)["telegram_user_id"] if isinstance(additional_data, str) else None
        )
    except (ValueError, KeyError, TypeError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class HeleketProvider:
    name: ClassVar[str] = NAME
    supports_status_poll: ClassVar[bool] = True
    uses_webhook: ClassVar[bool] = True

    def __init__(self, settings: Settings, context: ProviderContext) -> None:
        self.settings = settings
        self.context = context
        self.currencies: frozenset[str] = frozenset(settings.currencies)
        self._key = settings.api_key.get_secret_value() if settings.api_key else ""
        self._base = settings.api_url.rstrip("/")
        self._sessions = LazySession()

    def _http(self) -> aiohttp.ClientSession:
        return self._sessions.get()

    async def _call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        data = _compact(body).encode()
        headers = {
            "merchant": self.settings.merchant_id or "",
            "sign": sign(data, self._key),
            "Content-Type": "application/json",
        }
        timeout = aiohttp.ClientTimeout(total=self.context.timeout)
        try:
            async with self._http().post(
                f"{self._base}{path}", data=data, headers=headers, timeout=timeout
            ) as response:
                status = response.status
                try:
                    payload: Any = await response.json(content_type=None)
                except ValueError:
                    payload = None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ProviderError(f"heleket unreachable: {type(exc).__name__}", transient=True) from exc
        result = payload.get("result") if isinstance(payload, dict) else None
        if (
            status < 400
            and isinstance(payload, dict)
            and payload.get("state") == 0
            and isinstance(result, dict)
        ):
            return result
        detail = (payload.get("message") or payload.get("errors")) if isinstance(payload, dict) else None
        transient = status >= 500 or status == 429 or payload is None
        raise ProviderError(f"heleket {path}: {status} {detail}", transient=transient, status=status)

    # -- invoices --------------------------------------------------------------------------------
    def _callback_url(self, request: InvoiceRequest) -> str | None:
        if request.notification_url:
            return request.notification_url
        if self.context.public_url:
            return f"{self.context.public_url.rstrip('/')}/webhooks/{NAME}"
        return None

    async def create_invoice(self, request: InvoiceRequest) -> Invoice:
        if request.amount.currency not in self.currencies:
            raise ProviderError(f"heleket is configured for {sorted(self.currencies)}", transient=False)
        if not _ORDER_ID_RE.match(request.order_id):
            raise ProviderError("heleket order ids allow only letters, digits, '-' and '_'", transient=False)
        return_url = request.return_url or self.context.return_url
        # echoed in every webhook: the customer, and which bot sold (one merchant may serve several bots)
        extra = _compact({"telegram_user_id": request.telegram_user_id, "return_url": return_url})
        if len(extra) > _ADDITIONAL_DATA_LIMIT:
            extra = _compact({"telegram_user_id": request.telegram_user_id})
        body: dict[str, Any] = {
            "amount": str(request.amount.to_decimal()),
            "currency": request.amount.currency,
            "order_id": request.order_id,
            "url_return": return_url,
            "url_success": return_url,
            "lifetime": self.settings.lifetime,
            "additional_data": extra,
        }
        callback = self._callback_url(request)
        if callback:
            body["url_callback"] = callback
        if self.settings.to_currency:
            body["to_currency"] = self.settings.to_currency
        if self.settings.network:
            body["network"] = self.settings.network
        payment = await self._call("/payment", body)
        if not isinstance(payment.get("uuid"), str) or not isinstance(payment.get("url"), str):
            raise ProviderError("heleket answered without a payment uuid or URL", transient=False)
        expires = payment.get("expired_at")
        expires_at = datetime.fromtimestamp(expires, UTC) if isinstance(expires, int) else None
        return Invoice(payment["uuid"], payment["url"], expires_at, payment)

    # -- webhooks --------------------------------------------------------------------------------
    def _reject(self, reason: str, status: int) -> NotificationRejected:
        log.warning("heleket webhook refused: %s", reason)
        return NotificationRejected(reason, status=status)

    async def parse_notification(self, request: RawRequest) -> list[PaymentEvent]:
        try:
            data = load_untrusted(request.body)
        except (ValueError, UnicodeDecodeError):
            raise self._reject("body is not JSON", 400) from None
        if not isinstance(data, dict):
            raise self._reject("body is not a JSON object", 400)
        received = data.pop("sign", None)
        if not isinstance(received, str) or not received:
            raise self._reject("no sign in the body", 401)
        if not self._key:
            raise self._reject("no API key configured", 401)
        if not hmac.compare_digest(received.lower().encode(), sign(php_json(data), self._key).encode()):
            raise self._reject("sign mismatch", 401)
        if data.get("type") != "payment":
            return []
        if not isinstance(data.get("uuid"), str) or not isinstance(data.get("status"), str):
            raise self._reject("webhook without uuid or status", 400)
        event = self._event(data)
        return [event] if event is not None else []

    def _event(self, payment: dict[str, Any]) -> PaymentEvent | None:
        status = str(payment.get("status"))
        kind = _KINDS.get(status)
        if kind is None:
            log.info("heleket status %s carries no event", status)
            return None
        if status == "wrong_amount":
            amount = _paid_amount(payment)
        else:
            amount = _money(payment.get("amount"), payment.get("currency"))
        order_id = payment.get("order_id")
        return PaymentEvent(
            provider=NAME,
            provider_payment_id=str(payment["uuid"]),
            kind=kind,
            order_id=order_id if isinstance(order_id, str) and order_id else None,
            amount=amount,
            occurred_at=datetime.now(UTC),
            telegram_user_id=_telegram_user(payment.get("additional_data")),
            raw=payment,
        )

    def ack(self, *, accepted: bool) -> WebhookReply:
        return WebhookReply(200, "ok") if accepted else WebhookReply(500, "retry")

    # -- reconciliation --------------------------------------------------------------------------
    async def fetch_status(self, order_id: str, provider_payment_id: str | None) -> PaymentEvent | None:
        query = {"uuid": provider_payment_id} if provider_payment_id else {"order_id": order_id}
        try:
            payment = await self._call("/payment/info", query)
        except ProviderError as exc:
            if exc.status == 404:
                return None
            raise
        if not isinstance(payment.get("uuid"), str):
            return None
        return self._event(payment)

    async def close(self) -> None:
        await self._sessions.close()


def create(settings: Settings, context: ProviderContext) -> HeleketProvider:
    return HeleketProvider(settings, context)
