"""What the YooKassa emulator (emulators/yookassa.py) refuses, as YooKassa does: its error object, amounts,
metadata, confirmation and 54-FZ receipts."""

from __future__ import annotations

import re
import uuid
from collections.abc import Container
from decimal import Decimal
from typing import Any

from aiohttp import web

_AMOUNT_RE = re.compile(r"^\d{1,10}\.\d{2}$")


def error(status: int, code: str, description: str, parameter: str | None = None) -> web.Response:
    body: dict[str, Any] = {
        "type": "error",
        "id": str(uuid.uuid4()),
        "code": code,
        "description": description,
    }
    if parameter:
        body["parameter"] = parameter
    return web.json_response(body, status=status)


class Invalid(Exception):
    def __init__(self, description: str, parameter: str | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.parameter = parameter


def amount_of(value: Any, parameter: str = "amount") -> Decimal:
    if not isinstance(value, dict) or not isinstance(value.get("value"), str):
        raise Invalid("amount must be an object with a string value", parameter)
    if not _AMOUNT_RE.match(value["value"]) or value.get("currency") not in {"RUB", "USD", "EUR"}:
        raise Invalid("invalid amount value or currency", parameter)
    if Decimal(value["value"]) <= 0:
        raise Invalid("amount must be positive", parameter)
    return Decimal(value["value"])


def validate_payment(body: dict[str, Any], saved_methods: Container[str]) -> Decimal:
    """The payment's amount, or :class:`Invalid` naming the parameter YooKassa would refuse."""
    value = amount_of(body.get("amount"))
    metadata = body.get("metadata", {})
    if not isinstance(metadata, dict) or len(metadata) > 16:
        raise Invalid("metadata must be an object of at most 16 keys", "metadata")
    for name, item in metadata.items():
        if len(name) > 32 or not isinstance(item, str) or len(item) > 512:
            raise Invalid("metadata values must be strings up to 512 characters", "metadata")
    if len(str(body.get("description", ""))) > 128:
        raise Invalid("description is longer than 128 characters", "description")
    if "payment_method_id" in body:
        if body["payment_method_id"] not in saved_methods:
            raise Invalid("payment_method_id is not a saved payment method", "payment_method_id")
    else:
        confirmation = body.get("confirmation")
        if not isinstance(confirmation, dict) or confirmation.get("type") != "redirect":
            raise Invalid("confirmation of type redirect is required", "confirmation")
        if not str(confirmation.get("return_url", "")).startswith(("http://", "https://")):
            raise Invalid("return_url is required for redirect confirmation", "confirmation.return_url")
    if "receipt" in body:
        validate_receipt(body["receipt"], value)
    return value


def validate_receipt(receipt: Any, total: Decimal) -> None:
    if not isinstance(receipt, dict):
        raise Invalid("receipt must be an object", "receipt")
    customer = receipt.get("customer")
    if not isinstance(customer, dict) or not (customer.get("email") or customer.get("phone")):
        raise Invalid("receipt.customer needs an email or phone", "receipt.customer")
    items = receipt.get("items")
    if not isinstance(items, list) or not items:
        raise Invalid("receipt.items is empty", "receipt.items")
    items_total = Decimal(0)
    for item in items:
        if not isinstance(item, dict) or not 1 <= int(item.get("vat_code", 0)) <= 12:
            raise Invalid("receipt item needs vat_code 1..12", "receipt.items.vat_code")
        if not item.get("description") or len(str(item["description"])) > 128:
            raise Invalid("receipt item description is missing or too long", "receipt.items.description")
        quantity = Decimal(str(item.get("quantity", "0")))
        items_total += quantity * amount_of(item.get("amount"), "receipt.items.amount")
    if items_total != total:
        raise Invalid("receipt items sum does not equal the payment amount", "receipt.items.amount")
