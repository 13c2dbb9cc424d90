"""SeverPay: pay-ins through POST /payin/create and /payin/get, webhooks ``{"type", "data", "sign"}``.

Requests carry ``mid``, a fresh random ``salt`` and ``sign`` = HMAC-SHA256(token, compact JSON of every
other field with sorted keys, non-ASCII kept as UTF-8). Webhooks are signed the same way over every
top-level field but ``sign``; since integrations disagree on whether the keys are sorted or kept in the
order sent, both forms are accepted. The pay-in is then fetched again and its state is what we report.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from hashlib import sha256
from typing import Any, ClassVar

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

NAME = "severpay"
STATES = {
    "success": EventKind.PAID,
    "new": EventKind.PENDING,
    "process": EventKind.PENDING,
    "decline": EventKind.FAILED,
    "fail": EventKind.FAILED,
}

logger = logging.getLogger("remnastore.payments.severpay")


class Settings(SettingsGroup):
    enabled: bool = env("SEVERPAY_ENABLED", False, description="Offer SeverPay at checkout")
    mid: int | None = env("SEVERPAY_MID", None, description="Merchant id (mid) from the SeverPay cabinet")
    token: SecretStr | None = env("SEVERPAY_TOKEN", None, description="Merchant token that signs requests")
    api_url: str = env(
        "SEVERPAY_API_URL", "https://severpay.io/api/merchant", description="Base URL of the merchant API"
    )
    lifetime_minutes: int | None = env(
        "SEVERPAY_LIFETIME_MINUTES",
        None,
        ge=1,
        description="Minutes a pay-in stays payable (unset: SeverPay's default)",
    )

    @field_validator("mid", "token", "lifetime_minutes", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return http_url(value)

    def missing(self) -> list[str]:
        if not self.enabled:
            return []
        required = {"SEVERPAY_MID": self.mid, "SEVERPAY_TOKEN": self.token}
        return [name for name, value in required.items() if value is None]


def canonical(fields: Mapping[str, Any], *, sort: bool = True) -> bytes:
    """The signed text: compact JSON, non-ASCII as UTF-8, keys sorted (or in the order given)."""
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"), sort_keys=sort).encode()


def signature(fields: Mapping[str, Any], token: str, *, sort: bool = True) -> str:
    unsigned = {key: value for key, value in fields.items() if key != "sign"}
    return hmac.new(token.encode(), canonical(unsigned, sort=sort), sha256).hexdigest()


class SeverPayProvider:
    name: ClassVar[str] = NAME
    supports_status_poll: ClassVar[bool] = True
    uses_webhook: ClassVar[bool] = True

    def __init__(self, settings: Settings, context: ProviderContext) -> None:
        self._settings = settings
        self._context = context
        self.currencies: frozenset[str] = frozenset({"RUB"})
        self._sessions = LazySession()

    def _credentials(self) -> tuple[int, str]:
        if self._settings.mid is None or self._settings.token is None:
            raise ProviderError("severpay is not configured", transient=False)
        return self._settings.mid, self._settings.token.get_secret_value()

    def _http(self) -> aiohttp.ClientSession:
        return self._sessions.get()

    async def _call(self, path: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """A signed POST; returns the parsed reply (``status`` true or false) or raises on HTTP failure."""
        mid, token = self._credentials()
        body: dict[str, Any] = dict(sorted({**fields, "mid": mid, "salt": secrets.token_hex(16)}.items()))
        body["sign"] = signature(body, token)
        timeout = aiohttp.ClientTimeout(total=self._context.timeout)
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        url = f"{self._settings.api_url}/{path}"
        try:
            payload = canonical(body, sort=False)
            async with self._http().post(url, data=payload, headers=headers, timeout=timeout) as reply:
                status, text = reply.status, await reply.text()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ProviderError(f"severpay {path}: {type(exc).__name__}", transient=True) from exc
        try:
            data = json.loads(text, parse_float=Decimal)
        except ValueError:
            data = None
        if status >= 500 or status == 429 or not isinstance(data, dict):
            transient = status >= 500 or status == 429
            raise ProviderError(f"severpay {path} failed ({status})", transient=transient, status=status)
        if status in (401, 403) or (status >= 300 and data.get("status") is not False):
            raise ProviderError(f"severpay {path} failed ({status})", transient=False, status=status)
        return data

    async def create_invoice(self, request: InvoiceRequest) -> Invoice:
        if request.amount.currency not in self.currencies:
            raise ProviderError("severpay bills in RUB only", transient=False)
        fields: dict[str, Any] = {
            "order_id": request.order_id,
            "amount": format(request.amount.to_decimal(), "f"),
            "currency": request.amount.currency,
            "client_email": request.email or f"{request.telegram_user_id}@telegram.org",
            "client_id": str(request.telegram_user_id),
            "url_return": request.return_url or self._context.return_url,
        }
        if self._settings.lifetime_minutes is not None:
            fields["lifetime"] = self._settings.lifetime_minutes
        reply = await self._call("payin/create", fields)
        data = reply.get("data")
        if reply.get("status") is not True or not isinstance(data, dict):
            message = str(reply.get("msg") or "refused")
            raise ProviderError(f"severpay payin/create: {message}", transient=False)
        payin_id, url = data.get("id"), data.get("url")
        if payin_id is None or not isinstance(url, str) or not url:
            raise ProviderError("severpay answered without id/url", transient=False)
        return Invoice(
            provider_payment_id=str(payin_id),
            pay_url=url,
            expires_at=_timestamp(data.get("expire_at")),
            raw=_plain(data),
        )

    async def _payin(self, payin_id: str | int) -> dict[str, Any] | None:
        reply = await self._call("payin/get", {"id": payin_id})
        data = reply.get("data")
        if reply.get("status") is not True or not isinstance(data, dict):
            logger.warning("severpay knows no such pay-in", extra={"id": str(payin_id)})
            return None
        return data

    @staticmethod
    def _event(payin: Mapping[str, Any]) -> PaymentEvent | None:
        state = str(payin.get("status") or "").lower()
        kind = STATES.get(state)
        if kind is None or payin.get("id") is None:
            logger.warning("severpay pay-in in an unknown state", extra={"state": state})
            return None
        amount = None
        if payin.get("amount") is not None:
            try:
                amount = Money.from_decimal(str(payin["amount"]), str(payin.get("currency") or "RUB"))
            except ValueError:
                raise ProviderError(f"severpay amount {payin['amount']!r}", transient=False) from None
        order_id = payin.get("order_id")
        return PaymentEvent(
            provider=NAME,
            provider_payment_id=str(payin["id"]),
            kind=kind,
            order_id=str(order_id) if order_id not in (None, "") else None,
            amount=amount,
            occurred_at=datetime.now(UTC),
            raw=_plain(payin),
        )

    async def parse_notification(self, request: RawRequest) -> list[PaymentEvent]:
        try:
            body = load_untrusted(request.body)
        except ValueError:
            raise NotificationRejected("body is not JSON", status=400) from None
        if not isinstance(body, dict):
            raise NotificationRejected("body is not a JSON object", status=400)
        sign = body.get("sign")
        if not isinstance(sign, str) or not sign:
            logger.warning("severpay webhook without sign", extra={"peer": request.peer_ip})
            raise NotificationRejected("missing sign", status=401)
        _, token = self._credentials()
        given = sign.strip().lower().encode()
        sorted_ok = hmac.compare_digest(signature(body, token, sort=True).encode(), given)
        original_ok = hmac.compare_digest(signature(body, token, sort=False).encode(), given)
        if not (sorted_ok or original_ok):
            logger.warning("severpay webhook with a wrong sign", extra={"peer": request.peer_ip})
            raise NotificationRejected("wrong sign", status=401)
        if body.get("type") != "payin":
            return []
        data = body.get("data")
        if not isinstance(data, dict) or data.get("id") in (None, ""):
            raise NotificationRejected("payin webhook without data.id", status=400)
        payin = await self._payin(data["id"])
        if payin is None:
            return []
        event = self._event(payin)
        return [] if event is None else [event]

    def ack(self, *, accepted: bool) -> WebhookReply:
        if accepted:
            return WebhookReply(status=200, body='{"status":true}', content_type="application/json")
        return WebhookReply(status=500, body='{"status":false}', content_type="application/json")

    async def fetch_status(self, order_id: str, provider_payment_id: str | None) -> PaymentEvent | None:
        if not provider_payment_id:
            return None
        payin_id: str | int = (
            int(provider_payment_id) if provider_payment_id.isdigit() else provider_payment_id
        )
        payin = await self._payin(payin_id)
        return None if payin is None else self._event(payin)

    async def close(self) -> None:
        await self._sessions.close()


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _plain(value: Any) -> Any:
    """A JSON-ready copy of an API object (Decimal numbers become strings)."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return format(value, "f") if isinstance(value, Decimal) else value


def create(settings: Settings, context: ProviderContext) -> SeverPayProvider:
    return SeverPayProvider(settings, context)
