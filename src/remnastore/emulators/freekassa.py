"""FreeKassa emulator: API v1 (orders/create, orders, orders/refund) with its signature and nonce rules,
and payment notifications built and signed as FreeKassa sends them (form fields, md5 SIGN)."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from remnastore.emulators.provider_base import Delivery, ProviderEmulator

PAID, REFUNDED, NEW = 1, 6, 0


@dataclass
class FreeKassaOrder:
    fk_order_id: int
    payment_id: str
    amount: Decimal
    currency: str
    email: str
    method_id: int
    ip: str
    status: int = NEW
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    request: dict[str, Any] = field(default_factory=dict)


def php_text(value: Any) -> str:
    """How FreeKassa's PHP turns a decoded JSON value into text when it joins the values to sign."""
    if isinstance(value, bool):
        return "1" if value else ""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return str(int(value))
        return format(value.normalize(), "f")
    return str(value)


def amount_text(amount: Decimal) -> str:
    """AMOUNT as FreeKassa writes it in notifications by default (PHP float: ``199``, ``199.5``)."""
    return php_text(amount)


class FreeKassaEmulator(ProviderEmulator):
    def __init__(self, shop_id: int, api_key: str, secret_word_2: str) -> None:
        super().__init__()
        self.shop_id = shop_id
        self.api_key = api_key
        self.secret_word_2 = secret_word_2
        self.orders: dict[int, FreeKassaOrder] = {}
        self.last_nonce = 0
        self.refunds: list[int] = []
        self._next_id = 70_000_000

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/orders/create", self._create)
        app.router.add_post("/v1/orders", self._list)
        app.router.add_post("/v1/orders/refund", self._refund)

    # -- API ---------------------------------------------------------------------------------------
    @staticmethod
    def _error(message: str, status: int = 400) -> web.Response:
        return web.json_response({"type": "error", "message": message}, status=status)

    async def _authenticated(self, request: web.Request) -> dict[str, Any] | web.Response:
        try:
            body = json.loads(await request.read(), parse_float=Decimal)
        except ValueError:
            return self._error("Invalid JSON")
        if not isinstance(body, dict):
            return self._error("Invalid JSON")
        if body.get("shopId") != self.shop_id:
            return self._error("Shop not found", 401)
        signature = body.get("signature")
        message = "|".join(php_text(body[key]) for key in sorted(body) if key != "signature")
        expected = hmac.new(self.api_key.encode(), message.encode(), hashlib.sha256).hexdigest()
        if not isinstance(signature, str) or not hmac.compare_digest(signature, expected):
            return self._error("Wrong signature", 401)
        nonce = body.get("nonce")
        if not isinstance(nonce, int) or nonce <= self.last_nonce:
            return self._error("Wrong nonce: must be greater than the previous one")
        self.last_nonce = nonce
        return body

    def find(self, ref: int | str) -> FreeKassaOrder:
        """An order by FreeKassa order id or by our paymentId."""
        text = str(ref)
        if text.isdigit() and int(text) in self.orders:
            return self.orders[int(text)]
        for order in self.orders.values():
            if order.payment_id == text:
                return order
        raise KeyError(ref)

    async def _create(self, request: web.Request) -> web.Response:
        body = await self._authenticated(request)
        if isinstance(body, web.Response):
            return body
        for name in ("paymentId", "i", "email", "ip", "amount", "currency"):
            if body.get(name) in (None, ""):
                return self._error(f"Field {name} is required")
        amount = body["amount"]
        if not isinstance(amount, Decimal | int) or isinstance(amount, bool) or amount <= 0:
            return self._error("Wrong amount")
        if str(body["email"]).lower().endswith("@example.com"):
            return self._error("Wrong email")
        payment_id = str(body["paymentId"])
        try:
            order = self.find(payment_id)
        except KeyError:
            self._next_id += 1
            order = FreeKassaOrder(
                fk_order_id=self._next_id,
                payment_id=payment_id,
                amount=Decimal(amount),
                currency=str(body["currency"]),
                email=str(body["email"]),
                method_id=int(body["i"]),
                ip=str(body["ip"]),
                request={key: php_text(value) for key, value in body.items()},
            )
            self.orders[order.fk_order_id] = order
        order_hash = hashlib.sha256(f"{order.fk_order_id}".encode()).hexdigest()[:32]
        return web.json_response(
            {
                "type": "success",
                "orderId": order.fk_order_id,
                "orderHash": order_hash,
                "location": f"{self.url}/form/{order.fk_order_id}/{order_hash}",
            }
        )

    def _wire(self, order: FreeKassaOrder) -> str:
        """One order of the /orders list, amount written as a JSON number."""
        fields = {
            "merchant_order_id": order.payment_id,
            "fk_order_id": order.fk_order_id,
            "amount": "__AMOUNT__",
            "currency": order.currency,
            "email": order.email,
            "account": "",
            "date": order.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            "status": order.status,
        }
        return json.dumps(fields, ensure_ascii=False).replace('"__AMOUNT__"', format(order.amount, "f"))

    async def _list(self, request: web.Request) -> web.Response:
        body = await self._authenticated(request)
        if isinstance(body, web.Response):
            return body
        found = list(self.orders.values())
        if body.get("orderId") is not None:
            found = [order for order in found if order.fk_order_id == body["orderId"]]
        if body.get("paymentId") is not None:
            found = [order for order in found if order.payment_id == str(body["paymentId"])]
        if body.get("orderStatus") is not None:
            found = [order for order in found if order.status == body["orderStatus"]]
        text = '{"type":"success","pages":1,"orders":[' + ",".join(map(self._wire, found)) + "]}"
        return web.Response(text=text, content_type="application/json")

    async def _refund(self, request: web.Request) -> web.Response:
        body = await self._authenticated(request)
        if isinstance(body, web.Response):
            return body
        ref = body.get("orderId") if body.get("orderId") is not None else body.get("paymentId")
        try:
            order = self.find(ref if isinstance(ref, int | str) else "")
        except KeyError:
            return self._error("Order not found", 404)
        if order.status != PAID:
            return self._error("Order is not paid")
        order.status = REFUNDED
        self.refunds.append(order.fk_order_id)
        return web.json_response({"type": "success", "id": 900_000 + len(self.refunds)})

    # -- notifications -----------------------------------------------------------------------------
    def notification(
        self,
        order_id: str,
        amount: str,
        *,
        intid: int | str,
        merchant_id: int | str | None = None,
        secret: str | None = None,
        sign: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> Delivery:
        """A notification form as FreeKassa posts it; every part may be forged for tests."""
        merchant = str(self.shop_id if merchant_id is None else merchant_id)
        word = self.secret_word_2 if secret is None else secret
        text = f"{merchant}:{amount}:{word}:{order_id}"
        digest = hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
        fields = {
            "MERCHANT_ID": merchant,
            "AMOUNT": amount,
            "intid": str(intid),
            "MERCHANT_ORDER_ID": order_id,
            "P_EMAIL": "payer@mail.ru",
            "P_PHONE": "",
            "CUR_ID": "44",
            "payer_account": "",
            "commission": "0",
            "SIGN": digest if sign is None else sign,
            **(extra or {}),
        }
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return Delivery(self.notify_url or "", urlencode(fields).encode(), headers, extra={"fields": fields})

    def pay(self, ref: int | str, *, amount: str | None = None, **forged: Any) -> Delivery:
        """Mark an order paid and build its notification (``amount`` overrides the AMOUNT text)."""
        order = self.find(ref)
        order.status = PAID
        text = amount_text(order.amount) if amount is None else amount
        return self.notification(order.payment_id, text, intid=order.fk_order_id, **forged)
