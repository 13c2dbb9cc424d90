"""Platega emulator: POST /transaction/process and GET /transaction/{id} behind X-MerchantId/X-Secret, and
callbacks sent as Platega sends them (JSON, authenticated by the merchant's own two headers)."""

from __future__ import annotations

import hmac
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from aiohttp import web

from remnastore.emulators.provider_base import Delivery, ProviderEmulator

KeyCase = Literal["camel", "pascal", "upper"]
METHOD_NAMES = {2: "SBPQR", 6: "SBP_SUBSCRIPTION", 11: "CardRu", 12: "International", 13: "Crypto"}


@dataclass
class PlategaTransaction:
    id: str
    amount: Decimal
    currency: str
    payment_method: int
    description: str
    payload: str
    return_url: str
    status: str = "PENDING"


def dump(value: Any) -> str:
    """Compact JSON with Decimal amounts written as numbers."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dump(v)}" for k, v in value.items()) + "}"
    return json.dumps(value, ensure_ascii=False)


def _recase(name: str, case: KeyCase) -> str:
    if case == "upper":
        return name.upper()
    if case == "pascal":
        return name[:1].upper() + name[1:]
    return name


class PlategaEmulator(ProviderEmulator):
    def __init__(self, merchant_id: str, secret: str) -> None:
        super().__init__()
        self.merchant_id = merchant_id
        self.secret = secret
        self.transactions: dict[str, PlategaTransaction] = {}

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/transaction/process", self._process)
        app.router.add_get("/transaction/{id}", self._get)

    def _authorised(self, request: web.Request) -> bool:
        merchant = request.headers.get("X-MerchantId", "")
        secret = request.headers.get("X-Secret", "")
        merchant_ok = hmac.compare_digest(merchant.encode(), self.merchant_id.encode())
        return hmac.compare_digest(secret.encode(), self.secret.encode()) and merchant_ok

    @staticmethod
    def _error(message: str, status: int) -> web.Response:
        return web.json_response({"message": message, "statusCode": status}, status=status)

    async def _process(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._error("Unauthorized", 401)
        try:
            body = json.loads(await request.read(), parse_float=Decimal)
        except ValueError:
            return self._error("Invalid JSON", 400)
        details = body.get("paymentDetails") if isinstance(body, dict) else None
        if not isinstance(details, dict):
            return self._error("paymentDetails is required", 400)
        amount = details.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, Decimal | int) or amount <= 0:
            return self._error("paymentDetails.amount must be a positive number", 400)
        method = body.get("paymentMethod")
        if method not in METHOD_NAMES:
            return self._error("Unknown payment method", 400)
        if len(str(body.get("description", ""))) > 64:
            return self._error("description is too long", 400)
        transaction = PlategaTransaction(
            id=str(uuid.uuid4()),
            amount=Decimal(amount),
            currency=str(details.get("currency") or "RUB"),
            payment_method=int(method),
            description=str(body.get("description", "")),
            payload=str(body.get("payload", "")),
            return_url=str(body.get("return", "")),
        )
        self.transactions[transaction.id] = transaction
        reply = {
            "paymentMethod": METHOD_NAMES[transaction.payment_method],
            "transactionId": transaction.id,
            "redirect": f"{self.url}/pay/{transaction.id}",
            "return": transaction.return_url,
            "paymentDetails": {"amount": transaction.amount, "currency": transaction.currency},
            "status": transaction.status,
            "expiresIn": "00:15:00",
            "merchantId": self.merchant_id,
        }
        return web.Response(text=dump(reply), content_type="application/json")

    def transaction_object(self, transaction: PlategaTransaction) -> dict[str, Any]:
        return {
            "id": transaction.id,
            "status": transaction.status,
            "paymentDetails": {"amount": transaction.amount, "currency": transaction.currency},
            "merchantName": "Shop",
            "mechantId": self.merchant_id,
            "comission": Decimal("0"),
            "paymentMethod": METHOD_NAMES[transaction.payment_method],
            "expiresIn": "00:15:00",
            "return": transaction.return_url,
            "description": transaction.description,
            "payload": transaction.payload,
        }

    async def _get(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._error("Unauthorized", 401)
        transaction = self.transactions.get(request.match_info["id"])
        if transaction is None:
            return self._error("Transaction not found", 404)
        return web.Response(text=dump(self.transaction_object(transaction)), content_type="application/json")

    # -- callbacks ---------------------------------------------------------------------------------
    def callback(
        self,
        transaction_id: str,
        status: str,
        *,
        amount: Decimal | None = None,
        payload: str | None = None,
        keys: KeyCase = "camel",
        merchant_id: str | None = None,
        secret: str | None = None,
    ) -> Delivery:
        """A callback as Platega posts it; the state of the stored transaction is not changed."""
        known = self.transactions.get(transaction_id)
        fields: dict[str, Any] = {
            "id": transaction_id,
            "amount": amount if amount is not None else (known.amount if known else Decimal("0")),
            "currency": known.currency if known else "RUB",
            "status": status,
            "paymentMethod": known.payment_method if known else 2,
            "payload": payload if payload is not None else (known.payload if known else ""),
        }
        body = dump({_recase(name, keys): value for name, value in fields.items()}).encode()
        headers = {
            "Content-Type": "application/json",
            "X-MerchantId": self.merchant_id if merchant_id is None else merchant_id,
            "X-Secret": self.secret if secret is None else secret,
        }
        return Delivery(self.notify_url or "", body, headers)

    def _move(self, transaction_id: str, status: str, amount: Decimal | None, **options: Any) -> Delivery:
        transaction = self.transactions[transaction_id]
        transaction.status = status
        if amount is not None:
            transaction.amount = amount
        return self.callback(transaction_id, status, **options)

    def pay(self, transaction_id: str, *, amount: Decimal | None = None, **options: Any) -> Delivery:
        """Confirm the transaction (``amount`` = what was actually paid) and build its callback."""
        return self._move(transaction_id, "CONFIRMED", amount, **options)

    def cancel(self, transaction_id: str, **options: Any) -> Delivery:
        return self._move(transaction_id, "CANCELED", None, **options)

    def chargeback(self, transaction_id: str, **options: Any) -> Delivery:
        return self._move(transaction_id, "CHARGEBACKED", None, **options)

    def fail(self, transaction_id: str, *, status: str = "FAILED", **options: Any) -> Delivery:
        return self._move(transaction_id, status, None, **options)

    def ping(self) -> Delivery:
        """The reachability check: an empty POST without headers."""
        return Delivery(self.notify_url or "", b"", {})
