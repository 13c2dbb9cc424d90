"""A protocol-true emulator of the Crypto Pay API (CryptoBot): ``/api/<method>`` with the app token.

Parameters are accepted as query string, JSON or form, by GET or POST, like the real API; replies use the
``{"ok": true, "result": ...}`` / ``{"ok": false, "error": {"code", "name"}}`` envelope. ``pay()`` builds the
``invoice_paid`` webhook exactly as CryptoBot sends it: the JSON serialised once, signed with
``hex(HMAC-SHA256(SHA-256(token), body))`` in ``crypto-pay-api-signature``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from remnastore.emulators.provider_base import Delivery, ProviderEmulator, compact_json

#: USD value of one unit, for fiat invoices paid in crypto
ASSET_USD_RATES: dict[str, Decimal] = {
    "USDT": Decimal("1"),
    "USDC": Decimal("1"),
    "TON": Decimal("5.5"),
    "BTC": Decimal("65000"),
    "ETH": Decimal("3200"),
    "LTC": Decimal("80"),
    "BNB": Decimal("580"),
    "TRX": Decimal("0.12"),
}
FIAT_USD_RATES: dict[str, Decimal] = {
    "USD": Decimal("1"),
    "EUR": Decimal("1.08"),
    "RUB": Decimal("0.011"),
    "UAH": Decimal("0.024"),
    "KZT": Decimal("0.0021"),
    "BYN": Decimal("0.31"),
}
_BUTTONS = {"viewItem", "openChannel", "openBot", "callback"}


def _now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def sign(token: str, body: bytes) -> str:
    return hmac.new(hashlib.sha256(token.encode()).digest(), body, hashlib.sha256).hexdigest()


class ApiError(Exception):
    def __init__(self, code: int, name: str) -> None:
        super().__init__(name)
        self.code = code
        self.name = name


def _reply(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _fail(code: int, name: str) -> web.Response:
    return web.json_response({"ok": False, "error": {"code": code, "name": name}}, status=code)


def _decimal(value: Any, name: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ApiError(400, f"{name.upper()}_INVALID") from None
    if not number.is_finite() or number <= 0:
        raise ApiError(400, f"{name.upper()}_INVALID")
    return number


class CryptoBotEmulator(ProviderEmulator):
    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.invoices: dict[int, dict[str, Any]] = {}
        self.app_id = 10000 + secrets.randbelow(90000)
        self._next_invoice = 500
        self._next_update = 9000

    @property
    def api_url(self) -> str:
        """What the shop's ``CRYPTOBOT_API_URL`` points at."""
        return f"{self.url}/api"

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/api/{method}", self._dispatch)

    # -- test helpers ----------------------------------------------------------------------------
    def invoice_for(self, order_id: str) -> dict[str, Any]:
        """The newest invoice whose ``payload`` is ``order_id``."""
        return max(
            (i for i in self.invoices.values() if i.get("payload") == order_id), key=lambda i: i["invoice_id"]
        )

    def pay(self, invoice_id: int | str, *, asset: str | None = None, anonymous: bool = False) -> Delivery:
        """The customer pays the invoice; returns the signed ``invoice_paid`` webhook (not sent yet)."""
        invoice = self.invoices[int(invoice_id)]
        amount = Decimal(invoice["amount"])
        if invoice["currency_type"] == "crypto":
            paid_asset, paid_amount = invoice["asset"], amount
            usd_rate = ASSET_USD_RATES[paid_asset]
        else:
            accepted = invoice.get("accepted_assets") or ["USDT"]
            paid_asset = asset or accepted[0]
            usd_rate = ASSET_USD_RATES[paid_asset]
            fiat_rate = FIAT_USD_RATES[invoice["fiat"]]
            paid_amount = (amount * fiat_rate / usd_rate).quantize(Decimal("0.00000001"))
            invoice["paid_fiat_rate"] = f"{usd_rate / fiat_rate:.8f}"
        fee = (paid_amount * Decimal("0.03")).quantize(Decimal("0.00000001"))
        invoice.update(
            status="paid",
            paid_at=iso(_now()),
            paid_asset=paid_asset,
            paid_amount=f"{paid_amount.normalize():f}",
            paid_usd_rate=f"{usd_rate:f}",
            fee_asset=paid_asset,
            fee_amount=f"{fee.normalize():f}",
            fee=f"{fee.normalize():f}",
            paid_anonymously=anonymous,
        )
        return self.notification(invoice)

    def expire(self, invoice_id: int | str) -> None:
        """The invoice runs out unpaid (CryptoBot sends no webhook for this)."""
        self.invoices[int(invoice_id)]["status"] = "expired"

    def notification(
        self,
        invoice: dict[str, Any],
        *,
        update_type: str = "invoice_paid",
        request_date: datetime | None = None,
        token: str | None = None,
    ) -> Delivery:
        """A webhook carrying ``invoice``, signed with ``token`` (default: the app's own)."""
        self._next_update += 1
        update = {
            "update_id": self._next_update,
            "update_type": update_type,
            "request_date": iso(request_date or _now()),
            "payload": invoice,
        }
        body = compact_json(update)
        headers = {
            "Content-Type": "application/json",
            "crypto-pay-api-signature": sign(self.token if token is None else token, body),
        }
        return Delivery(self.notify_url or "", body, headers)

    # -- API -----------------------------------------------------------------------------------------
    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.body_exists:
            if request.content_type == "application/json":
                body = json.loads(await request.read() or b"{}")
                if not isinstance(body, dict):
                    raise ApiError(400, "PARAMS_INVALID")
                params.update(body)
            else:
                params.update(dict(await request.post()))
        return params

    async def _dispatch(self, request: web.Request) -> web.Response:
        token = request.headers.get("Crypto-Pay-API-Token", "")
        if not token or not hmac.compare_digest(token.encode(), self.token.encode()):
            return _fail(401, "UNAUTHORIZED")
        handlers = {
            "getMe": self._get_me,
            "createInvoice": self._create_invoice,
            "getInvoices": self._get_invoices,
            "deleteInvoice": self._delete_invoice,
        }
        handler = handlers.get(request.match_info["method"])
        if handler is None:
            return _fail(405, "METHOD_NOT_FOUND")
        try:
            return _reply(handler(await self._params(request)))
        except ApiError as exc:
            return _fail(exc.code, exc.name)
        except ValueError:
            return _fail(400, "PARAMS_INVALID")

    def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"app_id": self.app_id, "name": "Shop", "payment_processing_bot_username": "CryptoTestnetBot"}

    def _create_invoice(self, params: dict[str, Any]) -> dict[str, Any]:
        currency_type = params.get("currency_type", "crypto")
        _decimal(params.get("amount"), "amount")
        invoice: dict[str, Any] = {"currency_type": currency_type}
        if currency_type == "crypto":
            if params.get("asset") not in ASSET_USD_RATES:
                raise ApiError(400, "ASSET_INVALID")
            invoice["asset"] = params["asset"]
        elif currency_type == "fiat":
            if params.get("fiat") not in FIAT_USD_RATES:
                raise ApiError(400, "FIAT_INVALID")
            invoice["fiat"] = params["fiat"]
            if params.get("accepted_assets"):
                assets = str(params["accepted_assets"]).split(",")
                if any(asset not in ASSET_USD_RATES for asset in assets):
                    raise ApiError(400, "ACCEPTED_ASSETS_INVALID")
                invoice["accepted_assets"] = assets
        else:
            raise ApiError(400, "CURRENCY_TYPE_INVALID")
        if len(str(params.get("description", ""))) > 1024:
            raise ApiError(400, "DESCRIPTION_TOO_LONG")
        if len(str(params.get("payload", "")).encode()) > 4096:
            raise ApiError(400, "PAYLOAD_TOO_LONG")
        expires_in = int(params["expires_in"]) if "expires_in" in params else None
        if expires_in is not None and not 1 <= expires_in <= 2678400:
            raise ApiError(400, "EXPIRES_IN_INVALID")
        button = params.get("paid_btn_name")
        if (button is None) != (params.get("paid_btn_url") is None) or (button and button not in _BUTTONS):
            raise ApiError(400, "PAID_BTN_INVALID")
        self._next_invoice += 1
        invoice_hash = "IV" + secrets.token_hex(6)
        created = _now()
        invoice.update(
            invoice_id=self._next_invoice,
            hash=invoice_hash,
            amount=str(params["amount"]),
            bot_invoice_url=f"https://t.me/CryptoTestnetBot?start={invoice_hash}",
            mini_app_invoice_url=f"https://t.me/CryptoTestnetBot/app?startapp=invoice-{invoice_hash}",
            web_app_invoice_url=f"https://testnet-app.send.tg/invoices/{invoice_hash}",
            status="active",
            created_at=iso(created),
            allow_comments=str(params.get("allow_comments", True)).lower() == "true",
            allow_anonymous=str(params.get("allow_anonymous", True)).lower() == "true",
        )
        for name in ("description", "hidden_message", "payload", "paid_btn_name", "paid_btn_url"):
            if params.get(name) is not None:
                invoice[name] = str(params[name])
        if expires_in is not None:
            invoice["expiration_date"] = iso(created + timedelta(seconds=expires_in))
        self.invoices[invoice["invoice_id"]] = invoice
        return invoice

    def _get_invoices(self, params: dict[str, Any]) -> dict[str, Any]:
        items = sorted(self.invoices.values(), key=lambda invoice: -invoice["invoice_id"])
        if params.get("invoice_ids"):
            wanted = {int(item) for item in str(params["invoice_ids"]).split(",") if item.strip()}
            items = [invoice for invoice in items if invoice["invoice_id"] in wanted]
        if params.get("status"):
            items = [invoice for invoice in items if invoice["status"] == params["status"]]
        for key in ("asset", "fiat"):
            if params.get(key):
                items = [invoice for invoice in items if invoice.get(key) == params[key]]
        offset, count = int(params.get("offset", 0)), int(params.get("count", 100))
        if not 1 <= count <= 1000:
            raise ApiError(400, "COUNT_INVALID")
        return {"items": items[offset : offset + count]}

    def _delete_invoice(self, params: dict[str, Any]) -> bool:
        invoice_id = int(params.get("invoice_id", 0))
        if invoice_id not in self.invoices:
            raise ApiError(400, "INVOICE_NOT_FOUND")
        del self.invoices[invoice_id]
        return True
