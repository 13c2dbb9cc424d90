"""SeverPay emulator: POST /payin/create and /payin/get verifying ``mid``/``salt``/``sign``, and pay-in
webhooks signed as SeverPay signs them (HMAC-SHA256 over compact JSON of the other fields)."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from aiohttp import web

from remnastore.emulators.provider_base import Delivery, ProviderEmulator, compact_json

KeyOrder = Literal["sorted", "original"]


def sign_fields(fields: dict[str, Any], token: str, *, order: KeyOrder = "sorted") -> str:
    unsigned = {key: value for key, value in fields.items() if key != "sign"}
    text = json.dumps(unsigned, ensure_ascii=False, separators=(",", ":"), sort_keys=order == "sorted")
    return hmac.new(token.encode(), text.encode(), hashlib.sha256).hexdigest()


@dataclass
class SeverPayPayin:
    id: int
    uid: str
    order_id: str
    amount: Decimal
    currency: str
    client_email: str
    client_id: str
    status: str = "new"
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    lifetime: int = 60


class SeverPayEmulator(ProviderEmulator):
    def __init__(self, mid: int, token: str) -> None:
        super().__init__()
        self.mid = mid
        self.token = token
        self.payins: dict[int, SeverPayPayin] = {}
        self.salts: set[str] = set()
        self._next_id = 5_000

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/payin/create", self._create)
        app.router.add_post("/payin/get", self._get)

    # -- API ---------------------------------------------------------------------------------------
    @staticmethod
    def _refuse(message: str, status: int = 200) -> web.Response:
        return web.json_response({"status": False, "msg": message}, status=status)

    async def _verified(self, request: web.Request) -> dict[str, Any] | web.Response:
        try:
            body = json.loads(await request.read())
        except ValueError:
            return self._refuse("Invalid JSON", 400)
        if not isinstance(body, dict):
            return self._refuse("Invalid JSON", 400)
        if body.get("mid") != self.mid:
            return self._refuse("Merchant not found", 401)
        salt = body.get("salt")
        if not isinstance(salt, str) or not salt:
            return self._refuse("salt is required", 400)
        given = body.get("sign")
        if not isinstance(given, str) or not hmac.compare_digest(given, sign_fields(body, self.token)):
            return self._refuse("Invalid sign", 401)
        self.salts.add(salt)
        return body

    def payin_object(self, payin: SeverPayPayin) -> dict[str, Any]:
        return {
            "id": payin.id,
            "uid": payin.uid,
            "order_id": payin.order_id,
            "amount": format(payin.amount, "f"),
            "currency": payin.currency,
            "status": payin.status,
            "url": f"{self.url}/pay/{payin.uid}",
            "expire_at": (payin.created_at + timedelta(minutes=payin.lifetime)).isoformat(),
            "created_at": payin.created_at.isoformat(),
        }

    async def _create(self, request: web.Request) -> web.Response:
        body = await self._verified(request)
        if isinstance(body, web.Response):
            return body
        for name in ("order_id", "amount", "currency"):
            if body.get(name) in (None, ""):
                return self._refuse(f"{name} is required")
        try:
            amount = Decimal(str(body["amount"]))
        except ArithmeticError:
            return self._refuse("amount is not a number")
        if amount <= 0:
            return self._refuse("amount must be positive")
        order_id = str(body["order_id"])
        existing = [p for p in self.payins.values() if p.order_id == order_id]
        if existing:
            payin = existing[0]
        else:
            self._next_id += 1
            payin = SeverPayPayin(
                id=self._next_id,
                uid=str(uuid.uuid4()),
                order_id=order_id,
                amount=amount,
                currency=str(body["currency"]),
                client_email=str(body.get("client_email", "")),
                client_id=str(body.get("client_id", "")),
                lifetime=int(body.get("lifetime") or 60),
            )
            self.payins[payin.id] = payin
        return web.json_response({"status": True, "data": self.payin_object(payin)})

    async def _get(self, request: web.Request) -> web.Response:
        body = await self._verified(request)
        if isinstance(body, web.Response):
            return body
        ref = str(body.get("id", ""))
        payin = self.payins.get(int(ref)) if ref.isdigit() else None
        if payin is None:
            return self._refuse("Payin not found")
        return web.json_response({"status": True, "data": self.payin_object(payin)})

    # -- webhooks ----------------------------------------------------------------------------------
    def webhook(
        self,
        payin_id: int,
        *,
        status: str | None = None,
        order: KeyOrder = "sorted",
        token: str | None = None,
        sign: str | None = None,
        data: dict[str, Any] | None = None,
        kind: str = "payin",
    ) -> Delivery:
        """A webhook as SeverPay posts it; nothing stored changes. ``data`` replaces the pay-in fields."""
        payin = self.payins.get(payin_id)
        fields: dict[str, Any] = data if data is not None else {}
        if data is None and payin is not None:
            fields = {
                "id": payin.id,
                "uid": payin.uid,
                "order_id": payin.order_id,
                "amount": float(payin.amount),  # SeverPay sends the amount as a JSON number
                "currency": payin.currency,
                "status": status or payin.status,
                "description": f"Оплата заказа {payin.order_id}",
                "client_email": payin.client_email,
                "created_at": payin.created_at.isoformat(),
            }
        message: dict[str, Any] = {"type": kind, "data": fields}
        message["sign"] = sign if sign is not None else sign_fields(message, token or self.token, order=order)
        headers = {"Content-Type": "application/json"}
        return Delivery(self.notify_url or "", compact_json(message), headers)

    def _move(self, payin_id: int, status: str, amount: Decimal | None, **options: Any) -> Delivery:
        payin = self.payins[payin_id]
        payin.status = status
        if amount is not None:
            payin.amount = amount
        return self.webhook(payin_id, **options)

    def pay(self, payin_id: int, *, amount: Decimal | None = None, **options: Any) -> Delivery:
        """Mark the pay-in successful (``amount`` = what was actually paid) and build its webhook."""
        return self._move(payin_id, "success", amount, **options)

    def decline(self, payin_id: int, **options: Any) -> Delivery:
        return self._move(payin_id, "decline", None, **options)

    def fail(self, payin_id: int, **options: Any) -> Delivery:
        return self._move(payin_id, "fail", None, **options)
