"""What the promo code screens and the promo code wizard share: the kinds, buttons, terms as text."""

from __future__ import annotations

from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from remnastore.bot.callbacks import AdminPromoWizard
from remnastore.bot.render import Renderer
from remnastore.domain.promos import PromoKindName
from remnastore.locales import Translator
from remnastore.services.promo_admin import PromoAdmin, PromoSpec

KINDS = tuple(kind.value for kind in PromoKindName)


def button(text: str, data: Any) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def wizard_step(step: str, value: str = "") -> AdminPromoWizard:
    return AdminPromoWizard(step=step, value=value)


def cancel_markup(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[button(t("btn-cancel"), wizard_step("cancel"))]])


def value_text(spec: PromoSpec, t: Translator, renderer: Renderer) -> str:
    amount = spec.amount
    if amount is not None:
        return renderer.money(amount, t)
    return t(f"admin-promo-value-{spec.kind}", value=spec.value)


def terms(spec: PromoSpec, t: Translator, renderer: Renderer) -> dict[str, str]:
    return {
        "kind": t(f"admin-promo-kind-{spec.kind}"),
        "value": value_text(spec, t, renderer),
        "limit": str(spec.max_activations) if spec.max_activations else t("admin-promo-unlimited"),
        "first": t("admin-yes") if spec.first_purchase_only else t("admin-no"),
        "tariffs": ", ".join(spec.tariff_codes) if spec.tariff_codes else t("admin-promo-all-tariffs"),
    }


def optional_number(text: str, top: int) -> int | None:
    """A number from 0 to ``top``; 0 means none."""
    cleaned = text.strip()
    if cleaned == "0":
        return None
    return PromoAdmin.parse_count(cleaned, top)
