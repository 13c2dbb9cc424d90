"""How the predecessor's values become this shop's: names, money, codes and the small conversions every
stage of the import (``machka.py``) shares."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, TypeVar

from sqlalchemy import Table

from remnastore.domain.money import Money, currency
from remnastore.ops.importers.machka_source import Row

SOURCE = "machka"
CHUNK = 1000
KEY_PREFIX = "import-machka-"  # orders' idempotency keys: import-machka-<payment_id>

# the predecessor's provider names -> ours
PROVIDERS: dict[str, str] = {
    "yookassa": "yookassa",
    "freekassa": "freekassa",
    "platega": "platega",
    "severpay": "severpay",
    "cryptopay": "cryptobot",
    "telegram_stars": "stars",
    "stars": "stars",
    "tribute": "tribute",
}
# currency spellings seen in DEFAULT_CURRENCY_SYMBOL -> ISO-like codes we count
CURRENCY_ALIASES: dict[str, str] = {"₽": "RUB", "RUR": "RUB", "РУБ": "RUB", "STARS": "XTR", "⭐": "XTR"}
REFERRAL_PREFIX = "U"  # old links are ref_u<CODE>; our parser upper-cases to U<CODE>
_REFERRAL_CODE = re.compile(r"^[A-Z0-9]{1,15}$")
_MAX_KEY = 128

# entities of import_keys (also the report's table names)
CUSTOMERS = "customers"
REFERRALS = "referrals"
SUBSCRIPTIONS = "subscriptions"
PAYMENTS = "payments"
SAVED_METHODS = "saved_methods"
PROMO_CODES = "promo_codes"
PROMO_ACTIVATIONS = "promo_activations"
CAMPAIGNS = "ad_campaigns"
ATTRIBUTIONS = "ad_attributions"

T = TypeVar("T")


# -- money ------------------------------------------------------------------------------------------


def source_decimal(value: Any) -> Decimal:
    """The exact decimal a source amount stands for: a float as its shortest round-trip repr."""
    if isinstance(value, bool) or value is None:
        raise ValueError("no amount")
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def currency_code(raw: Any) -> str:
    """Our code for a source currency; raises :class:`UnknownCurrency`."""
    text = str(raw or "").strip().upper()
    return currency(CURRENCY_ALIASES.get(text, text)).code


def exact_money(value: Any, code: str) -> Money:
    """``value`` (a float column) in ``code``'s minor units, rounded half up."""
    info = currency(code)
    try:
        amount = source_decimal(value)
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    minor = amount.scaleb(info.exponent).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return Money(int(minor), info.code)


# -- small helpers ----------------------------------------------------------------------------------


def fingerprint(*values: Any) -> str:
    return hashlib.sha1(repr(values).encode(), usedforsecurity=False).hexdigest()


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def clipped(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text[:limit] if text else None


def aware(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def core_table(model: type[Any]) -> Table:
    """The Core table of a model: bulk writes skip the ORM's per-row bookkeeping."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def few(items: Sequence[object], shown: int = 5) -> str:
    text = ", ".join(str(i) for i in items[:shown])
    return text + (f" and {len(items) - shown} more" if len(items) > shown else "")


def referral_code(raw: Any) -> str | None:
    code = str(raw or "").strip().upper()
    return REFERRAL_PREFIX + code if _REFERRAL_CODE.match(code) else None


def payment_ref(row: Row) -> str | None:
    for column in ("provider_payment_id", "yookassa_payment_id"):
        value = clipped(row.get(column), _MAX_KEY)
        if value is not None:
            return value
    return None


def card_title(row: Row) -> str:
    network = clipped(row.get("card_network"), 40) or "Bank card"
    last4 = clipped(row.get("card_last4"), 4)
    return f"{network} *{last4}" if last4 else network


def leads_to(inviter_of: dict[int, int], start: int, target: int) -> bool:
    """Whether following inviters up from ``start`` reaches ``target`` (linking would close a cycle)."""
    seen: set[int] = set()
    current: int | None = start
    while current is not None and current not in seen:
        if current == target:
            return True
        seen.add(current)
        current = inviter_of.get(current)
    return False
