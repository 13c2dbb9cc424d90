"""YooKassa (API v3): redirect payments, saved-method charges, refunds, confirmed notifications.

Notifications carry no signature: the sender address is checked against YooKassa's published ranges and
the payment (or refund) is then fetched with our credentials; the fetched object, never the notification
body, decides the event.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal

import aiohttp
from pydantic import SecretStr, field_validator
from pydantic_settings import NoDecode

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
from remnastore.payments.capabilities import RefundRequest
from remnastore.payments.http import LazySession
from remnastore.payments.yookassa_wire import int_or_none, mapping, moment, money_from_wire, money_to_wire
from remnastore.settings_base import SettingsGroup, env, split_list

NAME = "yookassa"
log = logging.getLogger(__name__)

#: YooKassa's published notification senders (IPv4 ranges and hosts, and the documented IPv6 /32).
OFFICIAL_NOTIFICATION_IPS: tuple[str, ...] = (
    "185.71.76.0/27",
    "185.71.77.0/27",
    "77.75.153.0/25",
    "77.75.154.128/25",
    "77.75.156.11",
    "77.75.156.35",
    "2a02:5180::/32",
)
_PAYMENT_KINDS: dict[str, EventKind] = {
    "succeeded": EventKind.PAID,
    "canceled": EventKind.CANCELED,
    "waiting_for_capture": EventKind.PENDING,
    "pending": EventKind.PENDING,
}
_DESCRIPTION_LIMIT = 128


class Settings(SettingsGroup):
    enabled: bool = env("YOOKASSA_ENABLED", False, description="Accept payments through YooKassa")
    shop_id: str | None = env("YOOKASSA_SHOP_ID", None, description="YooKassa shop id (shopId)")
    secret_key: SecretStr | None = env(
        "YOOKASSA_SECRET_KEY", None, description="YooKassa secret API key (test keys start with test_)"
    )
    api_url: str = env(
        "YOOKASSA_API_URL", "https://api.yookassa.ru/v3", description="Base URL of the YooKassa API v3"
    )
    receipt_email: str | None = env(
        "YOOKASSA_RECEIPT_EMAIL",
        None,
        description="E-mail for 54-FZ receipts when the customer gave none (receipts need an e-mail)",
    )
    vat_code: int = env(
        "YOOKASSA_VAT_CODE", 1, ge=1, le=12, description="VAT code of receipt items (1 = without VAT)"
    )
    tax_system_code: int | None = env(
        "YOOKASSA_TAX_SYSTEM_CODE",
        None,
        ge=1,
        le=6,
        description="Receipt tax system code (1..6)",
    )
    payment_mode: str = env(
        "YOOKASSA_PAYMENT_MODE",
        "full_prepayment",
        description="Receipt item payment_mode",
    )
    payment_subject: str = env(
        "YOOKASSA_PAYMENT_SUBJECT", "service", description="Receipt item payment_subject (54-FZ subject sign)"
    )
    payment_method_type: str | None = env(
        "YOOKASSA_PAYMENT_METHOD",
        None,
        description="Force one payment method (bank_card, sbp, yoo_money...); empty lets the customer choose",
    )
    check_ip: bool = env(
        "YOOKASSA_CHECK_IP", True, description="Accept notifications only from YOOKASSA_ALLOWED_IPS"
    )
    allowed_ips: Annotated[list[str], NoDecode] = env(
        "YOOKASSA_ALLOWED_IPS",
        default_factory=lambda: list(OFFICIAL_NOTIFICATION_IPS),
        description="Addresses/networks notifications may come from (default: YooKassa's)",
    )

    @field_validator("allowed_ips", mode="before")
    @classmethod
    def _networks(cls, value: Any) -> Any:
        items = split_list(value)
        if isinstance(items, list):
            for item in items:
                try:
                    ipaddress.ip_network(str(item), strict=False)
                except ValueError:
                    raise ValueError(f"'{item}' is not an IP address or network") from None
        return items

    def missing(self) -> list[str]:
        if not self.enabled:
            return []
        problems = []
        if not self.shop_id:
            problems.append("YOOKASSA_SHOP_ID")
        if self.secret_key is None or not self.secret_key.get_secret_value():
            problems.append("YOOKASSA_SECRET_KEY")
        return problems


class YooKassaProvider:
    name: ClassVar[str] = NAME
    supports_status_poll: ClassVar[bool] = True
    uses_webhook: ClassVar[bool] = True

    def __init__(self, settings: Settings, context: ProviderContext) -> None:
        self.settings = settings
        self.context = context
        self.currencies: frozenset[str] = frozenset({"RUB"})
        self._base = settings.api_url.rstrip("/")
        secret = settings.secret_key.get_secret_value() if settings.secret_key else ""
        credentials = f"{settings.shop_id or ''}:{secret}".encode()
        self._authorization = "Basic " + base64.b64encode(credentials).decode("ascii")
        self._networks = [ipaddress.ip_network(item, strict=False) for item in settings.allowed_ips]
        self._sessions = LazySession({"Authorization": self._authorization})

    # -- HTTP ------------------------------------------------------------------------------------
    def _http(self) -> aiohttp.ClientSession:
        return self._sessions.get()

    async def _call(
        self,
        method: Literal["GET", "POST"],
        path: str,
        *,
        body: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        headers = {"Idempotence-Key": idempotency_key} if idempotency_key else {}
        timeout = aiohttp.ClientTimeout(total=self.context.timeout)
        try:
            async with self._http().request(
                method, f"{self._base}{path}", json=body, headers=headers, timeout=timeout
            ) as response:
                status = response.status
                raw = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ProviderError(f"yookassa unreachable: {type(exc).__name__}", transient=True) from exc
        try:
            payload: Any = json.loads(raw)
        except ValueError:
            payload = None
        if status >= 400 or not isinstance(payload, dict):
            if isinstance(payload, dict):
                detail = str(payload.get("description") or payload.get("code"))
            else:
                detail = raw[:200].decode(errors="replace")
            # a 2xx without a JSON object is a broken proxy or gateway page: worth retrying
            transient = status >= 500 or status == 429 or status < 400
            raise ProviderError(
                f"yookassa {method} {path}: {status} {detail}", transient=transient, status=status
            )
        return payload

    # -- invoices --------------------------------------------------------------------------------
    def _check_currency(self, amount: Money) -> None:
        if amount.currency not in self.currencies:
            raise ProviderError(f"yookassa cannot bill in {amount.currency}", transient=False)

    def _receipt(self, email: str | None, description: str, amount: Money) -> dict[str, Any] | None:
        """A 54-FZ receipt of one item, or None when no e-mail is known."""
        if not email:
            return None
        item = {
            "description": description[:_DESCRIPTION_LIMIT],
            "quantity": "1.00",
            "amount": money_to_wire(amount),
            "vat_code": self.settings.vat_code,
            "payment_mode": self.settings.payment_mode,
            "payment_subject": self.settings.payment_subject,
        }
        receipt: dict[str, Any] = {"customer": {"email": email}, "items": [item]}
        if self.settings.tax_system_code is not None:
            receipt["tax_system_code"] = self.settings.tax_system_code
        return receipt

    def _payment_body(self, request: InvoiceRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "amount": money_to_wire(request.amount),
            "capture": True,
            "description": request.description[:_DESCRIPTION_LIMIT],
            "metadata": {"order_id": request.order_id, "telegram_user_id": str(request.telegram_user_id)},
        }
        email = request.email or self.settings.receipt_email
        receipt = self._receipt(email, request.description, request.amount)
        if receipt is not None:
            body["receipt"] = receipt
        return body

    async def create_invoice(self, request: InvoiceRequest) -> Invoice:
        self._check_currency(request.amount)
        body = self._payment_body(request)
        body["confirmation"] = {
            "type": "redirect",
            "return_url": request.return_url or self.context.return_url,
        }
        if request.save_payment_method:
            body["save_payment_method"] = True
        if self.settings.payment_method_type:
            body["payment_method_data"] = {"type": self.settings.payment_method_type}
        payment = await self._call("POST", "/payments", body=body, idempotency_key=request.idempotency_key)
        confirmation = payment.get("confirmation")
        pay_url = confirmation.get("confirmation_url") if isinstance(confirmation, dict) else None
        if not isinstance(payment.get("id"), str) or not isinstance(pay_url, str):
            raise ProviderError("yookassa answered without a payment id or confirmation URL", transient=False)
        return Invoice(payment["id"], pay_url, moment(payment.get("expires_at")), payment)

    async def charge_saved(self, method_id: str, request: InvoiceRequest) -> PaymentEvent | Invoice:
        """Charge a saved card/wallet without the customer (auto-renewal).

        Returns the resulting event (PAID or CANCELED, PENDING while YooKassa decides), or an
        :class:`Invoice` when YooKassa asks the customer to confirm after all.
        """
        self._check_currency(request.amount)
        body = self._payment_body(request)
        body["payment_method_id"] = method_id
        payment = await self._call("POST", "/payments", body=body, idempotency_key=request.idempotency_key)
        confirmation = payment.get("confirmation")
        pay_url = confirmation.get("confirmation_url") if isinstance(confirmation, dict) else None
        if payment.get("status") == "pending" and isinstance(pay_url, str):
            return Invoice(str(payment["id"]), pay_url, moment(payment.get("expires_at")), payment)
        event = self._payment_event(payment)
        if event is None:
            raise ProviderError("yookassa answered with an unreadable payment", transient=False)
        return event

    # -- notifications ---------------------------------------------------------------------------
    def _sender_allowed(self, peer_ip: str) -> bool:
        try:
            address = ipaddress.ip_address(peer_ip.strip())
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address.version == net.version and address in net for net in self._networks)

    def _reject(self, reason: str, status: int) -> NotificationRejected:
        log.warning("yookassa notification refused: %s", reason)
        return NotificationRejected(reason, status=status)

    async def parse_notification(self, request: RawRequest) -> list[PaymentEvent]:
        if self.settings.check_ip and not self._sender_allowed(request.peer_ip):
            raise self._reject(f"sender {request.peer_ip} is not a YooKassa address", 403)
        try:
            document = load_untrusted(request.body)
        except (ValueError, UnicodeDecodeError):
            raise self._reject("body is not JSON", 400) from None
        if not isinstance(document, dict) or document.get("type") != "notification":
            raise self._reject("not a YooKassa notification", 400)
        event_name, obj = document.get("event"), document.get("object")
        if not isinstance(event_name, str) or not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
            raise self._reject("notification without event or object id", 400)
        object_id: str = obj["id"]
        if event_name.startswith("payment."):
            payment = await self._fetch("payments", object_id)
            if payment is None:
                raise self._reject(f"payment {object_id} is unknown to YooKassa", 403)
            event = self._payment_event(payment)
            return [event] if event is not None else []
        if event_name == "refund.succeeded":
            refund = await self._fetch("refunds", object_id)
            if refund is None:
                raise self._reject(f"refund {object_id} is unknown to YooKassa", 403)
            event = await self._refund_event(refund)
            return [event] if event is not None else []
        return []

    async def _fetch(self, collection: str, object_id: str) -> dict[str, Any] | None:
        if not object_id or "/" in object_id or len(object_id) > 64:
            return None
        try:
            return await self._call("GET", f"/{collection}/{object_id}")
        except ProviderError as exc:
            if exc.status == 404:
                return None
            raise

    def _payment_event(self, payment: dict[str, Any]) -> PaymentEvent | None:
        kind = _PAYMENT_KINDS.get(str(payment.get("status")))
        payment_id = payment.get("id")
        if kind is None or not isinstance(payment_id, str):
            return None
        metadata = mapping(payment.get("metadata"))
        method = payment.get("payment_method")
        saved_id = None
        if isinstance(method, dict) and method.get("saved") is True and isinstance(method.get("id"), str):
            saved_id = method["id"]
        when = moment(payment.get("captured_at")) or moment(payment.get("created_at")) or datetime.now(UTC)
        order_id = metadata.get("order_id")
        return PaymentEvent(
            provider=NAME,
            provider_payment_id=payment_id,
            kind=kind,
            order_id=str(order_id) if order_id is not None else None,
            amount=money_from_wire(payment.get("amount")),
            occurred_at=when,
            telegram_user_id=int_or_none(metadata.get("telegram_user_id")),
            saved_method_id=saved_id,
            raw=payment,
        )

    async def _refund_event(self, refund: dict[str, Any]) -> PaymentEvent | None:
        payment_id = refund.get("payment_id")
        if refund.get("status") != "succeeded" or not isinstance(payment_id, str):
            return None
        payment = await self._fetch("payments", payment_id) or {}
        metadata = mapping(payment.get("metadata"))
        order_id = metadata.get("order_id")
        return PaymentEvent(
            provider=NAME,
            provider_payment_id=payment_id,
            kind=EventKind.REFUNDED,
            order_id=str(order_id) if order_id is not None else None,
            amount=money_from_wire(refund.get("amount")),
            occurred_at=moment(refund.get("created_at")) or datetime.now(UTC),
            telegram_user_id=int_or_none(metadata.get("telegram_user_id")),
            raw=refund,
        )

    def ack(self, *, accepted: bool) -> WebhookReply:
        return WebhookReply(200, "ok") if accepted else WebhookReply(500, "retry")

    async def refund_order(self, request: RefundRequest) -> None:
        """The Refunds capability (see payments/capabilities.py)."""
        await self._refund(request.provider_payment_id, request.amount, request.idempotency_key)

    # -- reconciliation and refunds ----------------------------------------------------------------
    async def fetch_status(self, order_id: str, provider_payment_id: str | None) -> PaymentEvent | None:
        if not provider_payment_id:
            return None
        payment = await self._fetch("payments", provider_payment_id)
        return self._payment_event(payment) if payment is not None else None

    async def _refund(self, provider_payment_id: str, amount: Money, idempotency_key: str) -> None:
        self._check_currency(amount)
        body: dict[str, Any] = {"payment_id": provider_payment_id, "amount": money_to_wire(amount)}
        description = f"Refund of payment {provider_payment_id}"
        receipt = self._receipt(self.settings.receipt_email, description, amount)
        if receipt is not None:
            body["receipt"] = receipt
        refund = await self._call("POST", "/refunds", body=body, idempotency_key=idempotency_key)
        if refund.get("status") == "canceled":
            details = refund.get("cancellation_details")
            reason = details.get("reason") if isinstance(details, dict) else None
            raise ProviderError(f"yookassa canceled the refund: {reason}", transient=False)

    async def close(self) -> None:
        await self._sessions.close()


def create(settings: Settings, context: ProviderContext) -> YooKassaProvider:
    return YooKassaProvider(settings, context)
