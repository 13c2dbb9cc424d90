"""A protocol-true emulator of the Heleket payment API (``/v1/payment``, ``/v1/payment/info``).

Requests must carry ``merchant`` and ``sign = md5(base64(raw body) + API key)``; replies use Heleket's
``{"state": 0, "result": ...}`` envelope, and one invoice per ``order_id`` (a repeated create returns the
existing invoice). Webhooks are built as Heleket's PHP backend builds them: the payment fields, then
``sign`` over their ``json_encode(..., JSON_UNESCAPED_UNICODE)`` form, the whole body written the same way
(so ``/`` travels as ``\\/`` and non-ASCII text as UTF-8).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import uuid as uuid_lib
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from remnastore.emulators.provider_base import Delivery, ProviderEmulator

#: USD value of one unit of invoice and payer currencies
USD_RATES: dict[str, Decimal] = {
    "USD": Decimal("1"),
    "EUR": Decimal("1.08"),
    "RUB": Decimal("0.011"),
    "USDT": Decimal("1"),
    "USDC": Decimal("1"),
    "TRX": Decimal("0.12"),
    "TON": Decimal("5.5"),
    "BTC": Decimal("65000"),
    "ETH": Decimal("3200"),
    "LTC": Decimal("80"),
}
_ORDER_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_FINAL = {"paid", "paid_over", "wrong_amount", "cancel", "fail", "system_fail", "refund_paid"}
_EIGHT = Decimal("0.00000001")


def php_json(value: Any) -> bytes:
    """PHP ``json_encode($value, JSON_UNESCAPED_UNICODE)``."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("/", "\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()


def sign(body: bytes, api_key: str) -> str:
    return hashlib.md5(base64.b64encode(body) + api_key.encode(), usedforsecurity=False).hexdigest()


def _eight(value: Decimal) -> str:
    return f"{value.quantize(_EIGHT):f}"


def _fail(
    status: int, message: str | None = None, errors: dict[str, list[str]] | None = None
) -> web.Response:
    body: dict[str, Any] = {"state": 1}
    if message:
        body["message"] = message
    if errors:
        body["errors"] = errors
    return web.json_response(body, status=status)


def _result(payment: dict[str, Any]) -> web.Response:
    public = {key: value for key, value in payment.items() if not key.startswith("_")}
    return web.json_response({"state": 0, "result": public})


class HeleketEmulator(ProviderEmulator):
    def __init__(self, merchant_id: str, api_key: str) -> None:
        super().__init__()
        self.merchant_id = merchant_id
        self.api_key = api_key
        self.payments: dict[str, dict[str, Any]] = {}

    @property
    def api_url(self) -> str:
        """What the shop's ``HELEKET_API_URL`` points at."""
        return f"{self.url}/v1"

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/payment", self._create)
        app.router.add_post("/v1/payment/info", self._info)

    # -- test helpers ----------------------------------------------------------------------------
    def find(self, key: str) -> dict[str, Any]:
        """A payment by ``uuid`` or by our ``order_id``."""
        if key in self.payments:
            return self.payments[key]
        return next(payment for payment in self.payments.values() if payment["order_id"] == key)

    def pay(
        self,
        key: str,
        *,
        status: str = "paid",
        payer_currency: str = "USDT",
        network: str = "tron",
        payment_amount: str | None = None,
    ) -> Delivery:
        """The payer sends crypto; ``payment_amount`` (in ``payer_currency``) defaults to the exact price."""
        payment = self.find(key)
        rate = USD_RATES[payment["currency"]] / USD_RATES[payer_currency]
        due = Decimal(payment["amount"]) * rate
        paid = Decimal(payment_amount) if payment_amount is not None else due
        commission = paid * Decimal("0.02")
        payment.update(
            status=status,
            payment_status=status,
            is_final=status in _FINAL,
            payer_currency=payer_currency,
            network=network,
            payer_amount=_eight(due),
            payment_amount=_eight(paid),
            payment_amount_usd=f"{(paid * USD_RATES[payer_currency]).quantize(Decimal('0.01')):f}",
            merchant_amount=_eight(paid - commission),
            commission=_eight(commission),
            address="TXYZ" + secrets.token_hex(15),
            **{"from": "TABC" + secrets.token_hex(15)},
            txid=secrets.token_hex(32),
            updated_at=self._now(),
        )
        return self.webhook(payment)

    def wrong_amount(self, key: str, payment_amount: str, *, payer_currency: str = "USDT") -> Delivery:
        return self.pay(
            key, status="wrong_amount", payer_currency=payer_currency, payment_amount=payment_amount
        )

    def cancel(self, key: str) -> Delivery:
        """The invoice expired unpaid."""
        return self._final(key, "cancel")

    def fail(self, key: str, status: str = "fail") -> Delivery:
        return self._final(key, status)

    def refund(self, key: str) -> Delivery:
        """A refund made from the Heleket dashboard reaches the payer."""
        return self._final(key, "refund_paid")

    def webhook(self, payment: dict[str, Any], *, api_key: str | None = None, **overrides: Any) -> Delivery:
        """The webhook for ``payment`` (fields overridable to forge), signed with ``api_key``."""
        fields: dict[str, Any] = {
            "type": "payment",
            "uuid": payment["uuid"],
            "order_id": payment["order_id"],
            "amount": payment["amount"],
            "payment_amount": payment.get("payment_amount"),
            "payment_amount_usd": payment.get("payment_amount_usd"),
            "merchant_amount": payment.get("merchant_amount"),
            "commission": payment.get("commission"),
            "is_final": payment["is_final"],
            "status": payment["status"],
            "from": payment.get("from"),
            "wallet_address_uuid": None,
            "network": payment.get("network"),
            "currency": payment["currency"],
            "payer_currency": payment.get("payer_currency"),
            "additional_data": payment.get("additional_data"),
        }
        if payment.get("_to_currency"):
            fields["convert"] = {
                "to_currency": payment["_to_currency"],
                "commission": None,
                "rate": "1.00000000",
                "amount": payment.get("merchant_amount"),
            }
        fields["txid"] = payment.get("txid")
        fields.update(overrides)
        fields["sign"] = sign(php_json(fields), self.api_key if api_key is None else api_key)
        return Delivery(self.notify_url or "", php_json(fields), {"Content-Type": "application/json"})

    # -- internals -------------------------------------------------------------------------------
    @staticmethod
    def _now() -> str:
        return datetime.now(UTC).astimezone().isoformat(timespec="seconds")

    def _final(self, key: str, status: str) -> Delivery:
        payment = self.find(key)
        payment.update(status=status, payment_status=status, is_final=True, updated_at=self._now())
        return self.webhook(payment)

    async def _authorized(self, request: web.Request) -> tuple[Any, web.Response | None]:
        body = await request.read()
        expected = sign(body, self.api_key)
        received = request.headers.get("sign", "")
        merchant = request.headers.get("merchant", "")
        if merchant != self.merchant_id or not hmac.compare_digest(received.encode(), expected.encode()):
            return None, _fail(401, "Unauthorized")
        try:
            data = json.loads(body)
        except ValueError:
            return None, _fail(400, "Invalid JSON")
        if not isinstance(data, dict):
            return None, _fail(400, "Invalid JSON")
        return data, None

    def _validate(self, data: dict[str, Any]) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        try:
            amount = Decimal(str(data.get("amount")))
            if not amount.is_finite() or amount <= 0:
                errors["amount"] = ["validation.min"]
        except InvalidOperation:
            errors["amount"] = ["validation.numeric"]
        if data.get("currency") not in USD_RATES:
            errors["currency"] = ["validation.currency"]
        if not _ORDER_ID_RE.match(str(data.get("order_id", ""))):
            errors["order_id"] = ["validation.alpha_dash"]
        for name in ("url_callback", "url_return", "url_success"):
            value = data.get(name)
            if value is not None and not (6 <= len(str(value)) <= 255 and str(value).startswith("http")):
                errors[name] = ["validation.url"]
        lifetime = data.get("lifetime", 3600)
        if not isinstance(lifetime, int) or not 300 <= lifetime <= 43200:
            errors["lifetime"] = ["validation.between.numeric"]
        if len(str(data.get("additional_data") or "")) > 255:
            errors["additional_data"] = ["validation.max.string"]
        return errors

    async def _create(self, request: web.Request) -> web.Response:
        data, early = await self._authorized(request)
        if early is not None:
            return early
        errors = self._validate(data)
        if errors:
            return _fail(422, errors=errors)
        existing = next((p for p in self.payments.values() if p["order_id"] == data["order_id"]), None)
        if existing is not None:
            return _result(existing)
        payment_uuid = str(uuid_lib.uuid4())
        expires = datetime.now(UTC) + timedelta(seconds=int(data.get("lifetime", 3600)))
        payment: dict[str, Any] = {
            "uuid": payment_uuid,
            "order_id": data["order_id"],
            "amount": f"{Decimal(str(data['amount'])):.2f}",
            "payment_amount": None,
            "payer_amount": None,
            "discount_percent": None,
            "discount": "0.00000000",
            "payer_currency": None,
            "currency": data["currency"],
            "merchant_amount": None,
            "network": data.get("network"),
            "address": None,
            "from": None,
            "txid": None,
            "payment_status": "check",
            "url": f"https://pay.heleket.com/pay/{payment_uuid}",
            "expired_at": int(expires.timestamp()),
            "status": "check",
            "is_final": False,
            "additional_data": data.get("additional_data"),
            "created_at": self._now(),
            "updated_at": self._now(),
        }
        if data.get("to_currency"):
            payment["_to_currency"] = data["to_currency"]
        self.payments[payment_uuid] = payment
        return _result(payment)

    async def _info(self, request: web.Request) -> web.Response:
        data, early = await self._authorized(request)
        if early is not None:
            return early
        if not data.get("uuid") and not data.get("order_id"):
            return _fail(422, errors={"uuid": ["validation.required_without"]})
        key = str(data.get("uuid") or data.get("order_id"))
        try:
            payment = self.find(key)
        except StopIteration:
            return _fail(404, "Payment not found")
        return _result(payment)
