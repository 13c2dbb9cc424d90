"""YooKassa's wire values: amounts as ``{"value": "199.00", "currency": "RUB"}``, ISO moments, and the
lenient readers of the fields of a fetched object (anything unexpected reads as absent)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from remnastore.domain.money import Money, UnknownCurrency


def money_to_wire(amount: Money) -> dict[str, str]:
    return {"value": f"{amount.to_decimal():.2f}", "currency": amount.currency}


def money_from_wire(value: Any) -> Money | None:
    if not isinstance(value, dict):
        return None
    try:
        return Money.from_decimal(str(value["value"]), str(value["currency"]))
    except (KeyError, ValueError, TypeError, UnknownCurrency):
        return None


def moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def int_or_none(value: Any) -> int | None:
    text = str(value) if value is not None else ""
    return int(text) if text.lstrip("-").isdigit() else None
