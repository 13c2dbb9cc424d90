"""A protocol-true emulator of the YooKassa API v3 (payments, saved-method charges, refunds).

It checks HTTP Basic ``shopId:secretKey`` and the ``Idempotence-Key`` header (same key and body: the original
object; same key, other body: 400), validates amounts and 54-FZ receipts, and answers with YooKassa's object
and error shapes. Notifications carry no signature, exactly like YooKassa's; a delivery says where it
came from in ``X-Forwarded-For`` (as the shop's trusted reverse proxy would), by default a YooKassa address.
``confirmation_url`` opens the payer's checkout page (``yookassa_checkout``): pay or decline there.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from aiohttp import web

from remnastore.emulators.provider_base import Delivery, ProviderEmulator, compact_json
from remnastore.emulators.yookassa_checkout import CHECKOUT_PATH, CheckoutPage
from remnastore.emulators.yookassa_rules import Invalid, amount_of, error, validate_payment, validate_receipt

_IDEMPOTENCE = "Idempotence-Key"
_BY_MERCHANT = {"party": "merchant", "reason": "canceled_by_merchant"}
#: an address inside YooKassa's published range 185.71.76.0/27
DEFAULT_SENDER_IP = "185.71.76.10"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _in(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class YooKassaEmulator(ProviderEmulator):
    def __init__(self, shop_id: str, secret_key: str) -> None:
        super().__init__()
        self.shop_id = shop_id
        self.secret_key = secret_key
        self.payments: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        #: saved payment methods by id, as returned in ``payment_method``
        self.saved_methods: dict[str, dict[str, Any]] = {}
        self.sender_ip = DEFAULT_SENDER_IP
        self._idempotency: dict[tuple[str, str], tuple[Any, dict[str, Any]]] = {}
        self._decline_saved = False
        self._unanswered = 0
        #: ids of the payments made from a saved method (merchant-initiated charges), in order
        self.merchant_charges: list[str] = []
        #: where payers open the checkout page (YooKassa serves it apart from the API); None = here
        self.checkout_base: str | None = None

    @property
    def api_url(self) -> str:
        """What the shop's ``YOOKASSA_API_URL`` points at."""
        return f"{self.url}/v3"

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v3/payments", self._create_payment)
        app.router.add_get("/v3/payments/{id}", self._get_payment)
        app.router.add_post("/v3/payments/{id}/capture", self._capture)
        app.router.add_post("/v3/payments/{id}/cancel", self._cancel)
        app.router.add_post("/v3/refunds", self._create_refund)
        app.router.add_get("/v3/refunds/{id}", self._get_refund)
        CheckoutPage(self).register(app)

    # -- test helpers ----------------------------------------------------------------------------
    def decline_saved_charges(self, decline: bool = True) -> None:
        """Whether charges of saved methods end ``canceled`` (insufficient funds) instead of ``succeeded``."""
        self._decline_saved = decline

    def add_saved_method(self, method_id: str, *, last4: str = "4444", card_type: str = "MasterCard") -> None:
        """A card the shop's account saved earlier (for example through another bot on the same shop):
        YooKassa keeps it by id, and the shop can charge it with ``payment_method_id``."""
        method = self._new_method("bank_card", saved=True)
        method["id"] = method_id
        method["title"] = f"Bank card *{last4}"
        method["card"].update(last4=last4, card_type=card_type)
        self.saved_methods[method_id] = method

    def fail_after_processing(self, count: int = 1) -> None:
        """The next ``count`` payment creations are carried out but answered 500 ``internal_server_error``
        (YooKassa's "result unknown: repeat the request with the same Idempotence-Key")."""
        self._unanswered = count

    def pay(
        self, payment_id: str, *, method_type: str = "bank_card", save_method: bool | None = None
    ) -> Delivery:
        """The customer pays: ``succeeded`` (``waiting_for_capture`` for ``capture: false``)."""
        payment = self.payments[payment_id]
        save = payment.pop("_save_requested", False) if save_method is None else save_method
        payment["payment_method"] = self._new_method(method_type, saved=bool(save))
        if payment["payment_method"]["saved"]:
            self.saved_methods[payment["payment_method"]["id"]] = dict(payment["payment_method"])
        payment["paid"] = True
        if payment.pop("_capture", True):
            self._succeed(payment)
        else:
            payment["status"] = "waiting_for_capture"
            payment["expires_at"] = _in(timedelta(days=7))
        return self.notify(payment_id)

    def cancel(
        self, payment_id: str, *, reason: str = "expired_on_confirmation", party: str = "yoo_money"
    ) -> Delivery:
        payment = self.payments[payment_id]
        payment.update(status="canceled", paid=False, cancellation_details={"party": party, "reason": reason})
        payment.pop("confirmation", None)
        return self.notify(payment_id)

    def refund(self, payment_id: str, amount: str | None = None) -> Delivery:
        """A refund made in the dashboard; returns its ``refund.succeeded`` notification."""
        payment = self.payments[payment_id]
        value = amount or payment["amount"]["value"]
        refund = self._make_refund(payment, {"value": value, "currency": payment["amount"]["currency"]}, None)
        return self.notification("refund.succeeded", refund)

    def notify(self, payment_id: str) -> Delivery:
        """The notification YooKassa sends for the payment's current status."""
        payment = self.payments[payment_id]
        event = {
            "succeeded": "payment.succeeded",
            "canceled": "payment.canceled",
            "waiting_for_capture": "payment.waiting_for_capture",
        }.get(payment["status"], "payment.succeeded")
        return self.notification(event, payment)

    def notification(self, event: str, obj: dict[str, Any], *, sender_ip: str | None = None) -> Delivery:
        """A notification with any ``event`` and ``object`` (to forge ones YooKassa never sent)."""
        clean = {key: value for key, value in obj.items() if not key.startswith("_")}
        body = compact_json({"type": "notification", "event": event, "object": clean})
        headers = {"Content-Type": "application/json", "X-Forwarded-For": sender_ip or self.sender_ip}
        return Delivery(self.notify_url or "", body, headers)

    # -- internals -------------------------------------------------------------------------------
    def _new_method(self, method_type: str, *, saved: bool) -> dict[str, Any]:
        method: dict[str, Any] = {"type": method_type, "id": str(uuid.uuid4()), "saved": saved}
        if method_type == "bank_card":
            method["title"] = "Bank card *4444"
            method["card"] = {
                "first6": "555555",
                "last4": "4444",
                "expiry_month": "12",
                "expiry_year": "2030",
                "card_type": "MasterCard",
                "issuer_country": "RU",
            }
        return method

    def _succeed(self, payment: dict[str, Any]) -> None:
        value = Decimal(payment["amount"]["value"])
        payment.update(
            status="succeeded",
            paid=True,
            captured_at=_now(),
            refundable=True,
            refunded_amount={"value": "0.00", "currency": payment["amount"]["currency"]},
            income_amount={
                "value": f"{value - (value * Decimal('0.035')).quantize(Decimal('0.01')):.2f}",
                "currency": payment["amount"]["currency"],
            },
        )
        payment.pop("confirmation", None)
        payment.pop("expires_at", None)

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return False
        return secrets.compare_digest(decoded, f"{self.shop_id}:{self.secret_key}")

    async def _guarded(self, request: web.Request) -> tuple[Any, web.Response | None]:
        """Auth, JSON body and idempotency for POSTs: (body, early reply or None)."""
        if not self._authorized(request):
            return None, error(401, "invalid_credentials", "Authentication by given credentials failed")
        key = request.headers.get("Idempotence-Key")
        if not key:
            return None, error(400, "invalid_request", "Idempotence-Key header is missing", "Idempotence-Key")
        if len(key) > 64:
            return None, error(400, "invalid_request", "Idempotence-Key is longer than 64", "Idempotence-Key")
        raw = await request.read()
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return None, error(400, "invalid_request", "Request body is not valid JSON")
        if not isinstance(body, dict):
            return None, error(400, "invalid_request", "Request body must be a JSON object")
        stored = self._idempotency.get((request.path, key))
        if stored is not None:
            original, reply = stored
            if original != body:
                return None, error(
                    400,
                    "invalid_request",
                    "Idempotence key duplicated: this key was used with another request body",
                    "Idempotence-Key",
                )
            return None, web.json_response(reply)
        return body, None

    async def _guarded_payment(self, request: web.Request) -> tuple[Any, dict[str, Any]] | web.Response:
        """A guarded POST on the payment named in the path: (body, payment), or the early reply."""
        body, early = await self._guarded(request)
        if early is not None:
            return early
        payment = self.payments.get(request.match_info["id"])
        if payment is None:
            return error(404, "not_found", "Payment not found")
        return body, payment

    def _remember(self, request: web.Request, body: Any, reply: dict[str, Any]) -> web.Response:
        key = request.headers["Idempotence-Key"]
        clean = {k: v for k, v in reply.items() if not k.startswith("_")}
        self._idempotency[(request.path, key)] = (body, json.loads(json.dumps(clean)))
        return web.json_response(clean)

    async def _create_payment(self, request: web.Request) -> web.Response:
        body, early = await self._guarded(request)
        if early is not None:
            return early
        try:
            validate_payment(body, self.saved_methods)
        except Invalid as exc:
            return error(400, "invalid_request", exc.description, exc.parameter)
        except (ValueError, TypeError, ArithmeticError):
            return error(400, "invalid_request", "Request body has invalid values")
        payment_id = f"{secrets.token_hex(4)}-000f-5000-9000-{secrets.token_hex(6)}"
        payment: dict[str, Any] = {
            "id": payment_id,
            "status": "pending",
            "paid": False,
            "amount": body["amount"],
            "description": body.get("description", ""),
            "recipient": {"account_id": self.shop_id, "gateway_id": "100500"},
            "created_at": _now(),
            "test": self.secret_key.startswith("test_"),
            "refundable": False,
            "metadata": body.get("metadata", {}),
        }
        if "payment_method_id" in body:
            method = dict(self.saved_methods[body["payment_method_id"]])
            payment["payment_method"] = method
            self.merchant_charges.append(payment_id)
            if self._decline_saved:
                payment.update(
                    status="canceled",
                    cancellation_details={"party": "payment_network", "reason": "insufficient_funds"},
                )
            else:
                self._succeed(payment)
        else:
            payment["confirmation"] = {
                "type": "redirect",
                "return_url": body["confirmation"]["return_url"],
                "confirmation_url": f"{self.checkout_base or self.url}{CHECKOUT_PATH}?orderId={payment_id}",
            }
            payment["expires_at"] = _in(timedelta(hours=1))
            payment["_capture"] = body.get("capture", False) is True
            payment["_save_requested"] = body.get("save_payment_method", False) is True
        if "receipt" in body:
            payment["receipt_registration"] = "pending"
        self.payments[payment_id] = payment
        reply = self._remember(request, body, payment)
        if self._unanswered > 0:
            self._unanswered -= 1
            return error(500, "internal_server_error", "Request processing result is unknown: repeat it")
        return reply

    async def _get_payment(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return error(401, "invalid_credentials", "Authentication by given credentials failed")
        payment = self.payments.get(request.match_info["id"])
        if payment is None:
            return error(404, "not_found", "Payment not found")
        return web.json_response({k: v for k, v in payment.items() if not k.startswith("_")})

    async def _capture(self, request: web.Request) -> web.Response:
        guarded = await self._guarded_payment(request)
        if isinstance(guarded, web.Response):
            return guarded
        body, payment = guarded
        if payment["status"] == "waiting_for_capture":
            self._succeed(payment)
        elif payment["status"] != "succeeded":
            return error(400, "invalid_request", f"Payment is {payment['status']}, cannot capture")
        return self._remember(request, body, payment)

    async def _cancel(self, request: web.Request) -> web.Response:
        guarded = await self._guarded_payment(request)
        if isinstance(guarded, web.Response):
            return guarded
        body, payment = guarded
        if payment["status"] in {"pending", "waiting_for_capture"}:
            payment.update(
                status="canceled",
                paid=False,
                cancellation_details=dict(_BY_MERCHANT),
            )
        elif payment["status"] != "canceled":
            return error(400, "invalid_request", f"Payment is {payment['status']}, cannot cancel")
        return self._remember(request, body, payment)

    def _make_refund(self, payment: dict[str, Any], amount: Any, description: str | None) -> dict[str, Any]:
        value = amount_of(amount)
        if payment["status"] != "succeeded":
            raise Invalid("only succeeded payments can be refunded", "payment_id")
        if amount.get("currency") != payment["amount"]["currency"]:
            raise Invalid("refund currency differs from the payment's", "amount.currency")
        refunded = Decimal(payment.get("refunded_amount", {}).get("value", "0"))
        if refunded + value > Decimal(payment["amount"]["value"]):
            raise Invalid("refund amount exceeds what is left of the payment", "amount.value")
        refund: dict[str, Any] = {
            "id": f"{secrets.token_hex(4)}-0015-5000-8000-{secrets.token_hex(6)}",
            "payment_id": payment["id"],
            "status": "succeeded",
            "created_at": _now(),
            "amount": {"value": f"{value:.2f}", "currency": amount["currency"]},
        }
        if description:
            refund["description"] = description
        total = refunded + value
        payment["refunded_amount"] = {"value": f"{total:.2f}", "currency": amount["currency"]}
        payment["refundable"] = total < Decimal(payment["amount"]["value"])
        self.refunds[refund["id"]] = refund
        return refund

    async def _create_refund(self, request: web.Request) -> web.Response:
        body, early = await self._guarded(request)
        if early is not None:
            return early
        payment = self.payments.get(str(body.get("payment_id")))
        if payment is None:
            return error(404, "not_found", "Payment not found", "payment_id")
        try:
            if "receipt" in body:
                validate_receipt(body["receipt"], amount_of(body.get("amount")))
            refund = self._make_refund(payment, body.get("amount"), body.get("description"))
        except Invalid as exc:
            return error(400, "invalid_request", exc.description, exc.parameter)
        except (ValueError, TypeError, ArithmeticError):
            return error(400, "invalid_request", "Request body has invalid values")
        return self._remember(request, body, refund)

    async def _get_refund(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return error(401, "invalid_credentials", "Authentication by given credentials failed")
        refund = self.refunds.get(request.match_info["id"])
        if refund is None:
            return error(404, "not_found", "Refund not found")
        return web.json_response(refund)
