"""What applying a promo code gives: a redemption (days, credit or a waiting discount) and a discount
reserved for an order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from remnastore.db.models import PromoActivationStatus, PromoCode
from remnastore.domain.money import Money
from remnastore.domain.promos import Discount

#: an activation holding the code for one unpaid order
RESERVED = PromoActivationStatus.RESERVED.value
#: activations that are a use of the code
USED = frozenset({PromoActivationStatus.CONSUMED.value, PromoActivationStatus.APPLIED.value})


@dataclass(frozen=True)
class Redeemed:
    """What a code did: ``days`` added (until ``expires_at``), ``credit`` to the balance, or a
    ``discount`` waiting for the next purchase."""

    code: str
    kind: str
    days: int = 0
    expires_at: datetime | None = None
    credit: Money | None = None
    discount: Discount | None = None


@dataclass(frozen=True)
class Reservation:
    """The outcome of applying the pending code to a new order: ``discount`` applied (the order's amount
    already lowered), or ``refused`` with the text key of the reason (the order stays at full price)."""

    discount: Discount | None = None
    full_price: Money | None = None
    refused: str | None = None


def discount_of(promo: PromoCode) -> Discount:
    return Discount(
        promo_id=promo.id,
        code=promo.code,
        kind=promo.kind,
        value=promo.value,
        currency=promo.currency,
        tariff_codes=tuple(promo.tariff_codes) if promo.tariff_codes else None,
    )
