"""How a promo code's effect is told to the customer (shared by the promo screen, /start and checkout)."""

from __future__ import annotations

from remnastore.bot.render import Renderer
from remnastore.domain.deep_links import PayloadKind, parse_start_payload
from remnastore.domain.errors import DomainError
from remnastore.domain.money import Money
from remnastore.domain.promos import Discount, PromoKindName
from remnastore.locales import Translator
from remnastore.services.accounts import CustomerView
from remnastore.services.promo_outcomes import Redeemed, Reservation
from remnastore.services.promos import PromoService


def discount_text(discount: Discount, t: Translator, renderer: Renderer) -> str:
    """ "20%" or "50 ⭐" — what the discount takes off."""
    if discount.kind == PromoKindName.PERCENT:
        return f"{discount.value}%"
    return renderer.money(Money(discount.value, discount.currency or "XTR"), t)


def redeemed_text(result: Redeemed, t: Translator, renderer: Renderer) -> str:
    if result.discount is not None:
        text: str = t(
            "promo-discount-saved", code=result.code, discount=discount_text(result.discount, t, renderer)
        )
        if result.discount.tariff_codes:
            text += "\n" + t("promo-discount-tariffs", tariffs=", ".join(result.discount.tariff_codes))
        return text
    if result.credit is not None:
        return t("promo-credit-applied", code=result.code, amount=renderer.money(result.credit, t))
    expires = renderer.when(result.expires_at, t) if result.expires_at is not None else "—"
    return t("promo-days-applied", code=result.code, days=result.days, expires=expires)


def price_change(full: Money, price: Money, t: Translator, renderer: Renderer) -> str:
    """The old price struck through and the new one."""
    return t("promo-price", old=renderer.money(full, t), new=renderer.money(price, t))


def reservation_text(promo: Reservation, amount: Money, t: Translator, renderer: Renderer) -> str:
    """A line for the invoice screen: the discount applied, or why the code was not."""
    if promo.discount is not None and promo.full_price is not None:
        return t(
            "promo-invoice-discount",
            code=promo.discount.code,
            price=price_change(promo.full_price, amount, t, renderer),
        )
    if promo.refused is not None:
        return t("promo-refused-full-price", reason=t(promo.refused))
    return ""


async def deep_link_notice(
    promos: PromoService | None,
    customer: CustomerView,
    payload: str | None,
    t: Translator,
    renderer: Renderer,
) -> str:
    """Apply the code a ``promo_`` link carried; the text saying what happened ("" for other links)."""
    if promos is None or parse_start_payload(payload).kind is not PayloadKind.PROMO:
        return ""
    try:
        result = await promos.redeem_pending(customer)
    except DomainError as exc:
        return t("promo-link-refused", reason=renderer.error(exc, t))
    return redeemed_text(result, t, renderer) if result is not None else ""
