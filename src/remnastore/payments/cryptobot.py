"""CryptoBot (Crypto Pay API): invoices in fiat or crypto, HMAC-signed ``invoice_paid`` webhooks.

The webhook signature is ``hex(HMAC-SHA256(key=SHA-256(token), raw body))`` in the
``crypto-pay-api-signature`` header; ``request_date`` older than the replay window is refused.
The idempotency key is the invoice's ``invoice_id``; our order id travels in the invoice ``payload``.
CryptoBot has no refund method (money goes back by ``transfer``, outside this module).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, ClassVar, Literal

import aiohttp
from pydantic import SecretStr, field_validator
from pydantic_settings import NoDecode

from remnastore.domain.money import Money, UnknownCurrency, currency, is_known_currency
from remnastore.infra.clock import Clock, SystemClock
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

NAME = "cryptobot"
log = logging.getLogger(__name__)

SIGNATURE_HEADER = "crypto-pay-api-signature"
_STATUS_KINDS = {"paid": EventKind.PAID, "expired": EventKind.CANCELED, "active": EventKind.PENDING}
#: how far in the future a request_date may lie (clock skew between CryptoBot and us)
_FUTURE_SKEW = timedelta(minutes=5)


class Settings(SettingsGroup):
    enabled: bool = env(
        "CRYPTOBOT_ENABLED", False, description="Accept payments through CryptoBot (Crypto Pay)"
    )
    token: SecretStr | None = env(
        "CRYPTOBOT_TOKEN", None, description="Crypto Pay API token of the app created in @CryptoBot"
    )
    api_url: str = env(
        "CRYPTOBOT_API_URL",
        "https://pay.crypt.bot/api",
        description="Crypto Pay API base (testnet: https://testnet-pay.crypt.bot/api)",
    )
    currency_type: Literal["fiat", "crypto"] = env(
        "CRYPTOBOT_CURRENCY_TYPE",
        "fiat",
        description="Invoice prices in a fiat currency or in one crypto asset",
    )
    fiat: str = env("CRYPTOBOT_FIAT", "RUB", description="Fiat currency of invoices when the type is fiat")
    asset: str = env(
        "CRYPTOBOT_ASSET", "USDT", description="Crypto asset of invoices when the type is crypto"
    )
    accepted_assets: Annotated[list[str], NoDecode] = env(
        "CRYPTOBOT_ACCEPTED_ASSETS",
        default_factory=list,
        description="Assets a fiat invoice may be paid with, comma-separated (empty: all)",
    )
    expires_in: int = env(
        "CRYPTOBOT_EXPIRES_IN", 3600, ge=1, le=2678400, description="Invoice lifetime in seconds"
    )
    replay_window: int = env(
        "CRYPTOBOT_REPLAY_WINDOW",
        86400,
        ge=60,
        description="Webhooks whose request_date is older than this many seconds are refused",
    )

    @field_validator("fiat", "asset")
    @classmethod
    def _known(cls, value: str) -> str:
        code = value.strip().upper()
        if not is_known_currency(code):
            raise ValueError(f"'{value}' is not a currency the shop can count")
        return code

    @field_validator("accepted_assets", mode="before")
    @classmethod
    def _assets(cls, value: Any) -> Any:
        items = split_list(value)
        return [str(item).upper() for item in items] if isinstance(items, list) else items

    def missing(self) -> list[str]:
        if self.enabled and (self.token is None or not self.token.get_secret_value()):
            return ["CRYPTOBOT_TOKEN"]
        return []


def signature(token: str, body: bytes) -> str:
    """The ``crypto-pay-api-signature`` of ``body`` for ``token``."""
    return hmac.new(hashlib.sha256(token.encode()).digest(), body, hashlib.sha256).hexdigest()


def wire_amount(amount: Money) -> str:
    """``199.00`` for fiat; crypto without trailing zeros (``5``, ``0.25``)."""
    value = amount.to_decimal()
    return str(value) if currency(amount.currency).exponent <= 2 else f"{value.normalize():f}"


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def invoice_amount(invoice: dict[str, Any]) -> Money | None:
    """The invoice's price as Money (fiat for fiat invoices, the asset for crypto ones)."""
    code = invoice.get("fiat") if invoice.get("currency_type") == "fiat" else invoice.get("asset")
    try:
        return Money.from_decimal(str(invoice["amount"]), str(code))
    except (KeyError, ValueError, TypeError, UnknownCurrency):
        return None


class CryptoBotProvider:
    name: ClassVar[str] = NAME
    supports_status_poll: ClassVar[bool] = True
    uses_webhook: ClassVar[bool] = True

    def __init__(self, settings: Settings, context: ProviderContext, clock: Clock | None = None) -> None:
        self.settings = settings
        self.context = context
        self.clock = clock or SystemClock()
        code = settings.fiat if settings.currency_type == "fiat" else settings.asset
        self.currencies: frozenset[str] = frozenset({code})
        self._token = settings.token.get_secret_value() if settings.token else ""
        self._base = settings.api_url.rstrip("/")
        self._sessions = LazySession({"Crypto-Pay-API-Token": self._token})

    def _http(self) -> aiohttp.ClientSession:
        return self._sessions.get()

    async def _call(self, method: str, params: dict[str, Any]) -> Any:
        timeout = aiohttp.ClientTimeout(total=self.context.timeout)
        try:
            async with self._http().post(f"{self._base}/{method}", json=params, timeout=timeout) as response:
                status = response.status
                try:
                    payload: Any = await response.json(content_type=None)
                except ValueError:
                    payload = None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ProviderError(f"cryptobot unreachable: {type(exc).__name__}", transient=True) from exc
        if isinstance(payload, dict) and payload.get("ok") is True and "result" in payload:
            return payload["result"]
        error = payload.get("error") if isinstance(payload, dict) else None
        name = error.get("name") if isinstance(error, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        effective = status if status >= 400 else code if isinstance(code, int) else status
        transient = effective >= 500 or effective == 429 or payload is None
        raise ProviderError(f"cryptobot {method}: {effective} {name}", transient=transient, status=effective)

    # -- invoices --------------------------------------------------------------------------------
    async def create_invoice(self, request: InvoiceRequest) -> Invoice:
        if request.amount.currency not in self.currencies:
            raise ProviderError(f"cryptobot is configured for {sorted(self.currencies)}", transient=False)
        params: dict[str, Any] = {
            "currency_type": self.settings.currency_type,
            "amount": wire_amount(request.amount),
            "description": request.description[:1024],
            "payload": request.order_id,
            "expires_in": self.settings.expires_in,
            "allow_comments": False,
        }
        if self.settings.currency_type == "fiat":
            params["fiat"] = request.amount.currency
            if self.settings.accepted_assets:
                params["accepted_assets"] = ",".join(self.settings.accepted_assets)
        else:
            params["asset"] = request.amount.currency
        return_url = request.return_url or self.context.return_url
        if return_url.startswith("https://"):
            params["paid_btn_name"] = "callback"
            params["paid_btn_url"] = return_url
        invoice = await self._call("createInvoice", params)
        if not isinstance(invoice, dict) or "invoice_id" not in invoice:
            raise ProviderError("cryptobot answered without an invoice", transient=False)
        pay_url = invoice.get("bot_invoice_url") or invoice.get("pay_url")
        if not isinstance(pay_url, str):
            raise ProviderError("cryptobot answered without an invoice URL", transient=False)
        return Invoice(str(invoice["invoice_id"]), pay_url, _moment(invoice.get("expiration_date")), invoice)

    # -- webhooks --------------------------------------------------------------------------------
    def _reject(self, reason: str, status: int) -> NotificationRejected:
        log.warning("cryptobot webhook refused: %s", reason)
        return NotificationRejected(reason, status=status)

    async def parse_notification(self, request: RawRequest) -> list[PaymentEvent]:
        received = request.headers.get(SIGNATURE_HEADER, "")
        if not received:
            raise self._reject("no signature header", 401)
        if not self._token:
            raise self._reject("no token configured", 401)
        if not hmac.compare_digest(
            received.strip().lower().encode(), signature(self._token, request.body).encode()
        ):
            raise self._reject("signature mismatch", 401)
        try:
            update = load_untrusted(request.body)
        except (ValueError, UnicodeDecodeError):
            raise self._reject("body is not JSON", 400) from None
        if not isinstance(update, dict) or not isinstance(update.get("update_type"), str):
            raise self._reject("not a Crypto Pay update", 400)
        sent_at = _moment(update.get("request_date"))
        if sent_at is None:
            raise self._reject("request_date is missing or unreadable", 400)
        now = self.clock.now()
        if now - sent_at > timedelta(seconds=self.settings.replay_window):
            raise self._reject(f"stale update from {sent_at.isoformat()}", 403)
        if sent_at - now > _FUTURE_SKEW:
            raise self._reject(f"update dated in the future ({sent_at.isoformat()})", 403)
        if update["update_type"] != "invoice_paid":
            return []
        invoice = update.get("payload")
        if not isinstance(invoice, dict) or "invoice_id" not in invoice:
            raise self._reject("update without an invoice", 400)
        event = self._event(invoice, fallback_time=sent_at)
        if event is None:
            raise self._reject("invoice with an unknown status", 400)
        return [event]

    def _event(self, invoice: dict[str, Any], *, fallback_time: datetime) -> PaymentEvent | None:
        kind = _STATUS_KINDS.get(str(invoice.get("status")))
        if kind is None:
            return None
        order_id = invoice.get("payload")
        when = _moment(invoice.get("paid_at")) if kind is EventKind.PAID else None
        return PaymentEvent(
            provider=NAME,
            provider_payment_id=str(invoice["invoice_id"]),
            kind=kind,
            order_id=order_id if isinstance(order_id, str) and order_id else None,
            amount=invoice_amount(invoice),
            occurred_at=when or fallback_time,
            raw=invoice,
        )

    def ack(self, *, accepted: bool) -> WebhookReply:
        return WebhookReply(200, "ok") if accepted else WebhookReply(500, "retry")

    # -- reconciliation --------------------------------------------------------------------------
    async def fetch_status(self, order_id: str, provider_payment_id: str | None) -> PaymentEvent | None:
        """By invoice id when known, else the newest invoices searched for our order id in ``payload``."""
        if provider_payment_id:
            result = await self._call("getInvoices", {"invoice_ids": provider_payment_id})
        else:
            result = await self._call("getInvoices", {"count": 1000})
        items = result.get("items") if isinstance(result, dict) else None
        if not isinstance(items, list):
            raise ProviderError("cryptobot getInvoices answered without items", transient=True)

        def wanted(item: Any) -> bool:
            if not isinstance(item, dict) or "invoice_id" not in item:
                return False
            if provider_payment_id:
                return str(item["invoice_id"]) == provider_payment_id
            return item.get("payload") == order_id

        matches = [item for item in items if wanted(item)]
        if not matches:
            return None
        # a paid invoice wins over expired or active ones for the same order
        matches.sort(key=lambda item: (item.get("status") == "paid", item.get("status") == "active"))
        return self._event(matches[-1], fallback_time=self.clock.now())

    async def close(self) -> None:
        await self._sessions.close()


def create(settings: Settings, context: ProviderContext) -> CryptoBotProvider:
    return CryptoBotProvider(settings, context)
