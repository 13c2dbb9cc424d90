"""Rules about a customer's access: days left, traffic, trial limits, panel naming."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

GIB = 1024**3
MIB = 1024**2


@dataclass(frozen=True)
class TrialTerms:
    """What a trial grants on the panel."""

    days: int
    traffic_limit_bytes: int
    device_limit: int
    traffic_strategy: str
    squads: tuple[str, ...]

    def expires_at(self, now: datetime) -> datetime:
        return now + timedelta(days=self.days)


def days_left(expires_at: datetime, now: datetime) -> int:
    """Whole days of access left, rounded up (23 hours left is 1 day); negative once expired."""
    seconds = (expires_at - now).total_seconds()
    if seconds >= 0:
        return math.ceil(seconds / 86400)
    return -math.floor(-seconds / 86400)


def is_active(expires_at: datetime, status: str, now: datetime) -> bool:
    return status in {"ACTIVE", "LIMITED"} and expires_at > now


def size_parts(size_bytes: int) -> tuple[str, str]:
    """A traffic size as (number, unit) with unit ``gb`` or ``mb``; GB with up to 2 decimals."""
    if size_bytes < GIB:
        value = (Decimal(size_bytes) / MIB).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
        return str(value), "mb"
    value = (Decimal(size_bytes) / GIB).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize()
    text = format(value, "f")
    return text, "gb"


def panel_username(prefix: str, telegram_id: int) -> str:
    """The panel username of a customer: ``<prefix><telegram id>``, valid for the panel (3-36 chars)."""
    name = f"{prefix}{telegram_id}"
    if len(name) < 3:
        name = name.rjust(3, "0")
    return name[:36]
