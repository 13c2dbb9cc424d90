"""Platega: transactions through POST /transaction/process and GET /transaction/{id}.

Every request carries our ``X-MerchantId`` and ``X-Secret`` headers; callbacks carry the same two headers
(a shared secret, not a signature), so a callback is only a hint: the transaction is fetched again and
the state Platega reports there is the one we act on. Refunds have no API.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import quote

import aiohttp
from pydantic import SecretStr, field_validator

from remnastore.domain.money import Money
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
from remnastore.settings_base import SettingsGroup, env, http_url

NAME = "platega"
DESCRIPTION_LIMIT = 64
STATES = {
    "CONFIRMED": EventKind.PAID,
    "PENDING": EventKind.PENDING,
    "CANCELED": EventKind.CANCELED,
    "CANCELLED": EventKind.CANCELED,
    "CHARGEBACKED": EventKind.CHARGEBACK,
    "CHARGEBACK": EventKind.CHARGEBACK,
    "FAILED": EventKind.FAILED,
    "EXPIRED": EventKind.FAILED,
}

logger = logging.getLogger("remnastore.payments.platega")


class Settings(SettingsGroup):
    enabled: bool = env("PLATEGA_ENABLED", False, description="Offer Platega at checkout")
    merchant_id: str | None = env("PLATEGA_MERCHANT_ID", None, description="Merchant id (X-MerchantId)")
    secret: SecretStr | None = env("PLATEGA_SECRET", None, description="API secret (X-Secret)")
    api_url: str = env("PLATEGA_API_URL", "https://app.platega.io", description="Base URL of the Platega API")
    payment_method: int = env(
        "PLATEGA_PAYMENT_METHOD",
        2,
        description="Payment method of transactions (2 SBP QR, 11 RU cards, 12 foreign cards, 13 crypto)",
    )

    @field_validator("merchant_id", "secret", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        if isinstance(value, str):
            return value.strip() or None
        return value

    @field_validator("api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return http_url(value)

    def missing(self) -> list[str]:
        if not self.enabled:
            return []
        required = {"PLATEGA_MERCHANT_ID": self.merchant_id, "PLATEGA_SECRET": self.secret}
        return [name for name, value in required.items() if value is None]


def pick(data: Mapping[str, Any], *names: str) -> Any:
    """The first of ``names`` present in ``data``, matching keys regardless of case (id/Id/ID)."""
    folded = {str(key).lower(): value for key, value in data.items()}
    for name in names:
        if name in data:
            return data[name]
        if name.lower() in folded:
            return folded[name.lower()]
    return None


def _dump(value: Any) -> str:
    """Compact JSON in which Decimal amounts are exact numbers."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{_dump(v)}" for k, v in value.items()) + "}"
    return json.dumps(value, ensure_ascii=False)


class PlategaProvider:
    name: ClassVar[str] = NAME
    supports_status_poll: ClassVar[bool] = True
    uses_webhook: ClassVar[bool] = True

    def __init__(self, settings: Settings, context: ProviderContext) -> None:
        self._settings = settings
        self._context = context
        self.currencies: frozenset[str] = frozenset({"RUB"})
        self._sessions = LazySession()

    def _credentials(self) -> tuple[str, str]:
        if self._settings.merchant_id is None or self._settings.secret is None:
            raise ProviderError("platega is not configured", transient=False)
        return self._settings.merchant_id, self._settings.secret.get_secret_value()

    def _http(self) -> aiohttp.ClientSession:
        return self._sessions.get()

    async def _request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, Any]:
        merchant_id, secret = self._credentials()
        headers = {"X-MerchantId": merchant_id, "X-Secret": secret, "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        timeout = aiohttp.ClientTimeout(total=self._context.timeout)
        url = f"{self._settings.api_url}{path}"
        try:
            async with self._http().request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as reply:
                status, text = reply.status, await reply.text()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ProviderError(f"platega {path}: {type(exc).__name__}", transient=True) from exc
        try:
            data = json.loads(text, parse_float=Decimal) if text.strip() else None
        except ValueError:
            data = None
        if status >= 300 and status != 404:
            message = pick(data, "message", "error") if isinstance(data, dict) else None
            raise ProviderError(
                f"platega {path} failed ({status}): {message or 'unexpected reply'}",
                transient=status >= 500 or status == 429,
                status=status,
            )
        return status, data

    async def create_invoice(self, request: InvoiceRequest) -> Invoice:
        if request.amount.currency not in self.currencies:
            raise ProviderError("platega bills in RUB only", transient=False)
        return_url = request.return_url or self._context.return_url
        fields: dict[str, Any] = {
            "paymentMethod": self._settings.payment_method,
            "paymentDetails": {"amount": request.amount.to_decimal(), "currency": request.amount.currency},
            "description": request.description[:DESCRIPTION_LIMIT],
            "return": return_url,
            "failedUrl": return_url,
            "payload": request.order_id,
        }
        status, data = await self._request("POST", "/transaction/process", _dump(fields).encode())
        if status == 404 or not isinstance(data, dict):
            raise ProviderError(
                "platega /transaction/process answered without a transaction", transient=False
            )
        transaction_id = pick(data, "transactionId", "id")
        pay_url = pick(data, "redirect", "url")
        if not transaction_id or not isinstance(pay_url, str) or not pay_url:
            raise ProviderError("platega answered without transactionId/redirect", transient=False)
        lifetime = _duration(pick(data, "expiresIn"))
        expires_at = datetime.now(UTC) + lifetime if lifetime is not None else None
        return Invoice(str(transaction_id), pay_url, expires_at, raw=_plain(data))

    async def _transaction(self, transaction_id: str) -> dict[str, Any] | None:
        status, data = await self._request("GET", f"/transaction/{quote(transaction_id, safe='')}")
        if status == 404 or not isinstance(data, dict):
            return None
        return data

    def _event(self, transaction: Mapping[str, Any], hint: Mapping[str, Any]) -> PaymentEvent | None:
        state = str(pick(transaction, "status") or "").upper()
        kind = STATES.get(state)
        transaction_id = pick(transaction, "id", "transactionId") or pick(hint, "id", "transactionId")
        if kind is None or not transaction_id:
            logger.warning("platega transaction in an unknown state", extra={"state": state})
            return None
        details = pick(transaction, "paymentDetails")
        source = (
            details if isinstance(details, Mapping) and pick(details, "amount") is not None else transaction
        )
        amount_value, currency = pick(source, "amount"), pick(source, "currency") or "RUB"
        amount = None
        if amount_value is not None:
            try:
                amount = Money.from_decimal(str(amount_value), str(currency))
            except ValueError:
                raise ProviderError(
                    f"platega amount {amount_value!r} {currency!r}", transient=False
                ) from None
        order_id = pick(transaction, "payload") or pick(hint, "payload")
        return PaymentEvent(
            provider=NAME,
            provider_payment_id=str(transaction_id),
            kind=kind,
            order_id=str(order_id) if order_id else None,
            amount=amount,
            occurred_at=datetime.now(UTC),
            raw=_plain(transaction),
        )

    async def parse_notification(self, request: RawRequest) -> list[PaymentEvent]:
        merchant = request.headers.get("x-merchantid", "")
        secret = request.headers.get("x-secret", "")
        if not request.body.strip() and not merchant and not secret:
            return []  # Platega checks that the callback URL answers
        expected_merchant, expected_secret = self._credentials()
        merchant_ok = hmac.compare_digest(merchant.encode(), expected_merchant.encode())
        secret_ok = hmac.compare_digest(secret.encode(), expected_secret.encode())
        if not (merchant_ok and secret_ok):
            logger.warning("platega callback with wrong credentials", extra={"peer": request.peer_ip})
            raise NotificationRejected("wrong X-MerchantId/X-Secret", status=401)
        if not request.body.strip():
            return []
        try:
            body = load_untrusted(request.body, parse_float=Decimal)
        except ValueError:
            raise NotificationRejected("body is not JSON", status=400) from None
        if not isinstance(body, dict):
            raise NotificationRejected("body is not a JSON object", status=400)
        transaction_id = pick(body, "id", "transactionId")
        if not isinstance(transaction_id, str | int) or not str(transaction_id).strip():
            raise NotificationRejected("callback without a transaction id", status=400)
        transaction = await self._transaction(str(transaction_id))
        if transaction is None:
            logger.warning("platega callback for an unknown transaction", extra={"id": str(transaction_id)})
            return []
        # Only the transaction as Platega reports it counts: the callback body merely names it.
        event = self._event(transaction, {"id": str(transaction_id)})
        return [] if event is None else [event]

    def ack(self, *, accepted: bool) -> WebhookReply:
        if accepted:
            return WebhookReply(status=200, body="ok")
        return WebhookReply(status=500, body="retry later")

    async def fetch_status(self, order_id: str, provider_payment_id: str | None) -> PaymentEvent | None:
        if not provider_payment_id:
            return None
        transaction = await self._transaction(provider_payment_id)
        if transaction is None:
            return None
        return self._event(transaction, {"id": provider_payment_id, "payload": order_id})

    async def close(self) -> None:
        await self._sessions.close()


_DURATION = re.compile(r"^(?:(\d{1,3})\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.\d+)?$")


def _duration(value: Any) -> timedelta | None:
    """``expiresIn`` as Platega writes it, a .NET TimeSpan ("00:15:00", "1.00:00:00"); None if unreadable."""
    match = _DURATION.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        return None
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def _plain(value: Any) -> Any:
    """A JSON-ready copy of an API object (Decimal numbers become strings)."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return format(value, "f") if isinstance(value, Decimal) else value


def create(settings: Settings, context: ProviderContext) -> PlategaProvider:
    return PlategaProvider(settings, context)
