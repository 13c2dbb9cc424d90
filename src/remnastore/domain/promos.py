"""Promo code rules that need no database: kinds, codes, and what a discount does to a price."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from remnastore.domain.money import Money

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1
GENERATED_LENGTH = 8
_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{3,32}$")
MAX_PERCENT = 99
MAX_DAYS = 3650


class PromoKindName(StrEnum):
    DAYS = "days"
    PERCENT = "percent"
    FIXED = "fixed"
    BALANCE = "balance"


DISCOUNT_KINDS = frozenset({PromoKindName.PERCENT.value, PromoKindName.FIXED.value})


def generate_code(length: int = GENERATED_LENGTH) -> str:
    """A random code from an alphabet without look-alike characters (cryptographic randomness)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def valid_code(code: str) -> bool:
    """3-32 characters of ``A-Za-z0-9_-``: what fits into a ``promo_<code>`` deep link."""
    return bool(_CODE_RE.match(code.strip()))


@dataclass(frozen=True)
class Discount:
    """A discount code as checkout applies it: ``percent`` off, or ``value`` minor units of ``currency``."""

    promo_id: int
    code: str
    kind: str
    value: int
    currency: str | None
    tariff_codes: tuple[str, ...] | None = None

    def applies_to(self, tariff_code: str) -> bool:
        return self.tariff_codes is None or tariff_code in self.tariff_codes

    def price(self, full: Money) -> Money:
        """The discounted price; a fixed discount in another currency leaves the price as it is.

        A price never drops below one minor unit: payment providers do not take free invoices.
        """
        if self.kind == PromoKindName.PERCENT:
            discounted = full.percent_off(min(max(self.value, 0), 100))
        elif self.kind == PromoKindName.FIXED and self.currency == full.currency:
            discounted = Money(full.minor - max(self.value, 0), full.currency)
        else:
            return full
        return Money(max(discounted.minor, min(1, full.minor)), full.currency)
