"""FreeKassa's wire format: the API's strictly increasing nonces, its exact JSON, both signatures, amounts."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from remnastore.domain.money import Money


class _NonceSource:
    """Strictly increasing integers: nanoseconds since the epoch, bumped past the last one handed out."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0

    def next(self) -> int:
        with self._lock:
            self._last = max(time.time_ns(), self._last + 1)
            return self._last


# FreeKassa refuses a nonce not greater than every earlier one of the shop, so all clients in this
# process draw from one source.
_NONCES = _NonceSource()


def next_nonce() -> int:
    return _NONCES.next()


def _wire_text(value: Any) -> str:
    """A value as written in the JSON body and in the signed message."""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def encode(fields: Mapping[str, Any]) -> bytes:
    """Compact JSON in which Decimal amounts are written as exact numbers."""
    parts = []
    for key, value in fields.items():
        text = _wire_text(value) if isinstance(value, Decimal) else json.dumps(value, ensure_ascii=False)
        parts.append(f"{json.dumps(key)}:{text}")
    return ("{" + ",".join(parts) + "}").encode()


def api_signature(fields: Mapping[str, Any], api_key: str) -> str:
    message = "|".join(_wire_text(fields[key]) for key in sorted(fields) if key != "signature")
    return hmac.new(api_key.encode(), message.encode(), hashlib.sha256).hexdigest()


def notification_signature(merchant_id: str, amount: str, secret: str, order_id: str) -> str:
    text = f"{merchant_id}:{amount}:{secret}:{order_id}"
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def wire_amount(amount: Money) -> Decimal:
    """The amount as FreeKassa's PHP reads a number back: no trailing zeros (199, 199.5)."""
    value = amount.to_decimal()
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()
