"""FreeKassa: orders through the REST API v1, payment notifications as md5-signed form requests.

API calls are JSON POSTs carrying ``shopId``, a strictly increasing ``nonce`` and ``signature`` =
HMAC-SHA256(API key, the other values ordered by field name and joined with ``|``). Notifications come
only for successful payments, by form POST or GET, signed with
``md5("MERCHANT_ID:AMOUNT:secret word 2:MERCHANT_ORDER_ID")`` over the AMOUNT text exactly as sent; the
reply must be the body ``YES``.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar
from urllib.parse import parse_qsl

import aiohttp
from pydantic import SecretStr, field_validator
from pydantic_settings import NoDecode

from remnastore.domain.money import Money, is_known_currency
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
from remnastore.payments.capabilities import RefundRequest
from remnastore.payments.freekassa_wire import (
    api_signature,
    encode,
    next_nonce,
    notification_signature,
    wire_amount,
)
from remnastore.payments.http import LazySession
from remnastore.settings_base import SettingsGroup, env, http_url, split_list

NAME = "freekassa"
#: notification senders published by FreeKassa
PUBLISHED_IPS = ("168.119.157.136", "168.119.60.227", "178.154.197.79", "51.250.54.238")
#: order status codes of POST /orders
ORDER_STATES = {
    0: EventKind.PENDING,
    1: EventKind.PAID,
    6: EventKind.REFUNDED,
    8: EventKind.FAILED,
    9: EventKind.CANCELED,
}

logger = logging.getLogger("remnastore.payments.freekassa")


class Settings(SettingsGroup):
    enabled: bool = env("FREEKASSA_ENABLED", False, description="Offer FreeKassa at checkout")
    shop_id: int | None = env("FREEKASSA_SHOP_ID", None, description="Shop id (MERCHANT_ID) of the shop")
    api_key: SecretStr | None = env("FREEKASSA_API_KEY", None, description="API key from the shop settings")
    secret_word_2: SecretStr | None = env(
        "FREEKASSA_SECRET_WORD_2", None, description="Secret word 2, which signs payment notifications"
    )
    api_url: str = env("FREEKASSA_API_URL", "https://api.fk.life/v1", description="Base URL of the API v1")
    payment_method_id: int = env(
        "FREEKASSA_PAYMENT_METHOD_ID", 44, description="Payment system id `i` of new orders (44 = SBP)"
    )
    currency: str = env("FREEKASSA_CURRENCY", "RUB", description="Currency the shop bills and is notified in")
    email: str | None = env(
        "FREEKASSA_EMAIL",
        None,
        description="Payer email of orders (default: <telegram id>@telegram.org)",
    )
    server_ip: str | None = env(
        "FREEKASSA_SERVER_IP", None, description="Public IP of this server, sent as the payer IP of orders"
    )
    check_ip: bool = env(
        "FREEKASSA_CHECK_IP", True, description="Accept notifications only from FREEKASSA_ALLOWED_IPS"
    )
    allowed_ips: Annotated[list[str], NoDecode] = env(
        "FREEKASSA_ALLOWED_IPS",
        default_factory=lambda: list(PUBLISHED_IPS),
        description="Addresses or networks allowed to send notifications (comma-separated)",
    )

    @field_validator("shop_id", "api_key", "secret_word_2", "email", "server_ip", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return http_url(value)

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if not is_known_currency(value):
            raise ValueError(f"unknown currency {value!r}")
        return value.strip().upper()

    @field_validator("server_ip")
    @classmethod
    def _server_ip(cls, value: str | None) -> str | None:
        return None if value is None else str(ipaddress.ip_address(value.strip()))

    @field_validator("allowed_ips", mode="before")
    @classmethod
    def _ips(cls, value: Any) -> Any:
        items = split_list(value)
        if isinstance(items, list):
            for item in items:
                ipaddress.ip_network(str(item), strict=False)
        return items

    def missing(self) -> list[str]:
        if not self.enabled:
            return []
        required = {
            "FREEKASSA_SHOP_ID": self.shop_id,
            "FREEKASSA_API_KEY": self.api_key,
            "FREEKASSA_SECRET_WORD_2": self.secret_word_2,
            "FREEKASSA_SERVER_IP": self.server_ip,
        }
        return [name for name, value in required.items() if value is None]


class FreeKassaProvider:
    name: ClassVar[str] = NAME
    supports_status_poll: ClassVar[bool] = True
    uses_webhook: ClassVar[bool] = True

    def __init__(self, settings: Settings, context: ProviderContext) -> None:
        self._settings = settings
        self._context = context
        self.currencies: frozenset[str] = frozenset({settings.currency})
        self._sessions = LazySession()
        self._allowed = [ipaddress.ip_network(item, strict=False) for item in settings.allowed_ips]

    # -- API ---------------------------------------------------------------------------------------
    def _http(self) -> aiohttp.ClientSession:
        return self._sessions.get()

    async def _post(self, path: str, body: bytes) -> tuple[int, Any]:
        url = f"{self._settings.api_url}/{path}"
        timeout = aiohttp.ClientTimeout(total=self._context.timeout)
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        try:
            async with self._http().post(url, data=body, headers=headers, timeout=timeout) as response:
                status, text = response.status, await response.text()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ProviderError(f"freekassa {path}: {type(exc).__name__}", transient=True) from exc
        try:
            return status, json.loads(text, parse_float=Decimal)
        except ValueError:
            return status, None

    async def _call(self, path: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """One signed API call; a refused nonce (another process raced us) is retried once."""
        shop_id = self._settings.shop_id
        api_key = self._settings.api_key
        if shop_id is None or api_key is None:
            raise ProviderError("freekassa is not configured", transient=False)
        for attempt in range(2):
            body: dict[str, Any] = {"shopId": shop_id, "nonce": next_nonce(), **fields}
            body["signature"] = api_signature(body, api_key.get_secret_value())
            status, data = await self._post(path, encode(body))
            if isinstance(data, dict) and status < 300 and data.get("type") == "success":
                return data
            message = str(data.get("message", "")) if isinstance(data, dict) else ""
            if attempt == 0 and status < 500 and "nonce" in message.lower():
                logger.warning("freekassa refused the nonce, retrying", extra={"path": path})
                continue
            transient = status >= 500 or status == 429
            raise ProviderError(
                f"freekassa {path} failed ({status}): {message or 'unexpected reply'}",
                transient=transient,
                status=status,
            )
        raise ProviderError(f"freekassa {path}: nonce refused twice", transient=True)  # pragma: no cover

    async def create_invoice(self, request: InvoiceRequest) -> Invoice:
        if request.amount.currency not in self.currencies:
            raise ProviderError(f"freekassa bills in {self._settings.currency} only", transient=False)
        if self._settings.server_ip is None:
            raise ProviderError("FREEKASSA_SERVER_IP is not set", transient=False)
        email = request.email or self._settings.email or f"{request.telegram_user_id}@telegram.org"
        fields: dict[str, Any] = {
            "paymentId": request.order_id,
            "i": self._settings.payment_method_id,
            "email": email,
            "ip": self._settings.server_ip,
            "amount": wire_amount(request.amount),
            "currency": request.amount.currency,
        }
        return_url = request.return_url or self._context.return_url
        if return_url:
            fields["success_url"] = return_url
            fields["failure_url"] = return_url
        if request.notification_url:
            fields["notification_url"] = request.notification_url
        data = await self._call("orders/create", fields)
        order_id, location = data.get("orderId"), data.get("location")
        if order_id is None or not isinstance(location, str) or not location:
            raise ProviderError("freekassa orders/create answered without orderId/location", transient=False)
        return Invoice(provider_payment_id=str(order_id), pay_url=location, raw=data)

    async def _find_order(self, fields: Mapping[str, Any]) -> dict[str, Any] | None:
        data = await self._call("orders", fields)
        orders = data.get("orders")
        if not isinstance(orders, list):
            return None
        found = [order for order in orders if isinstance(order, dict)]
        return found[0] if found else None

    async def fetch_status(self, order_id: str, provider_payment_id: str | None) -> PaymentEvent | None:
        order = await self._find_order({"paymentId": order_id})
        if order is None:
            return None
        status = order.get("status")
        kind = ORDER_STATES.get(status) if isinstance(status, int) else None
        if kind is None:
            return None
        amount = None
        try:
            amount = Money.from_decimal(str(order["amount"]), str(order.get("currency") or "RUB"))
        except (KeyError, ValueError):
            logger.warning("freekassa order without a readable amount", extra={"order_id": order_id})
        fk_id = order.get("fk_order_id") or provider_payment_id or order_id
        return PaymentEvent(
            provider=NAME,
            provider_payment_id=str(fk_id),
            kind=kind,
            order_id=str(order.get("merchant_order_id") or order_id),
            amount=amount,
            occurred_at=datetime.now(UTC),
            raw=_plain(order),
        )

    async def _refund(self, provider_payment_id: str, amount: Money, idempotency_key: str) -> None:
        """Refund a whole order (FreeKassa has no partial refunds); a refunded order is left as it is."""
        if not provider_payment_id.isdigit():
            raise ProviderError("freekassa refunds need the FreeKassa order id", transient=False)
        order = await self._find_order({"orderId": int(provider_payment_id)})
        if order is None:
            raise ProviderError("freekassa knows no such order", transient=False)
        if order.get("status") == 6:
            return
        try:
            paid = Money.from_decimal(str(order.get("amount")), str(order.get("currency") or amount.currency))
        except ValueError:
            raise ProviderError("freekassa order without a readable amount", transient=False) from None
        if paid != amount:
            raise ProviderError("freekassa refunds whole orders only", transient=False)
        await self._call("orders/refund", {"orderId": int(provider_payment_id)})

    async def refund_order(self, request: RefundRequest) -> None:
        """The Refunds capability (see payments/capabilities.py)."""
        await self._refund(request.provider_payment_id, request.amount, request.idempotency_key)

    # -- notifications -----------------------------------------------------------------------------
    def _ip_allowed(self, peer_ip: str) -> bool:
        try:
            address = ipaddress.ip_address(peer_ip)
        except ValueError:
            return False
        return any(address in network for network in self._allowed)

    @staticmethod
    def _fields(request: RawRequest) -> dict[str, str]:
        if request.method.upper() == "POST" and request.body.strip():
            try:
                pairs = parse_qsl(request.body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
            except (UnicodeDecodeError, ValueError):
                raise NotificationRejected("body is not a form", status=400) from None
            return dict(pairs)
        return dict(request.query)

    async def parse_notification(self, request: RawRequest) -> list[PaymentEvent]:
        if self._settings.check_ip and not self._ip_allowed(request.peer_ip):
            logger.warning("freekassa notification from a foreign address", extra={"peer": request.peer_ip})
            raise NotificationRejected("sender address is not FreeKassa's", status=403)
        fields = self._fields(request)
        sign = fields.get("SIGN", "")
        if not sign:
            logger.warning("freekassa notification without SIGN")
            raise NotificationRejected("missing SIGN", status=401)
        merchant_id = fields.get("MERCHANT_ID", "")
        amount_text = fields.get("AMOUNT", "")
        order_id = fields.get("MERCHANT_ORDER_ID", "")
        if not merchant_id or not amount_text or not order_id:
            raise NotificationRejected("MERCHANT_ID, AMOUNT and MERCHANT_ORDER_ID are required", status=400)
        if merchant_id.strip() != str(self._settings.shop_id):
            logger.warning("freekassa notification for another shop", extra={"merchant_id": merchant_id})
            raise NotificationRejected("notification for another shop", status=403)
        secret = self._settings.secret_word_2
        if secret is None:
            raise NotificationRejected("FREEKASSA_SECRET_WORD_2 is not set", status=403)
        expected = notification_signature(merchant_id, amount_text, secret.get_secret_value(), order_id)
        if not hmac.compare_digest(expected.encode(), sign.strip().lower().encode()):
            logger.warning("freekassa notification with a wrong SIGN", extra={"order_id": order_id})
            raise NotificationRejected("wrong SIGN", status=401)
        try:
            amount = Money.from_decimal(amount_text, self._settings.currency)
        except ValueError:
            raise NotificationRejected(f"AMOUNT {amount_text!r} is not an amount", status=400) from None
        # intid is not covered by SIGN: the payment's key comes from FreeKassa's own record of the signed
        # MERCHANT_ORDER_ID, so a signed notification re-sent with another payment's intid takes nothing.
        known = await self._find_order({"paymentId": order_id})
        fk_id = known.get("fk_order_id") if known is not None else None
        if known is None or not isinstance(fk_id, int | str) or not str(fk_id).strip():
            logger.warning(
                "freekassa notification for an order FreeKassa does not know", extra={"order_id": order_id}
            )
            raise NotificationRejected("order unknown to FreeKassa", status=403)
        intid = fields.get("intid")
        if intid and intid.strip() != str(fk_id):
            logger.warning(
                "freekassa notification whose intid is not the order's", extra={"order_id": order_id}
            )
            raise NotificationRejected("intid does not belong to the order", status=403)
        return [
            PaymentEvent(
                provider=NAME,
                provider_payment_id=str(fk_id),
                kind=EventKind.PAID,
                order_id=order_id,
                amount=amount,
                occurred_at=datetime.now(UTC),
                raw=fields,
            )
        ]

    def ack(self, *, accepted: bool) -> WebhookReply:
        if accepted:
            return WebhookReply(status=200, body="YES")
        return WebhookReply(status=500, body="retry later")

    async def close(self) -> None:
        await self._sessions.close()


def _plain(value: Any) -> Any:
    """A JSON-ready copy of an API object (Decimal numbers become strings)."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return format(value, "f") if isinstance(value, Decimal) else value


def create(settings: Settings, context: ProviderContext) -> FreeKassaProvider:
    return FreeKassaProvider(settings, context)
