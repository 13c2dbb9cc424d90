"""The payment screens: the method picker and the invoice (subscriptions, add-ons, gifts, top-ups)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from remnastore.bot.callbacks import BuyTariff, CheckOrder
from remnastore.bot.keyboards import back_to_menu
from remnastore.domain.catalogue import Tariff
from remnastore.locales import Translator


@dataclass(frozen=True)
class MethodChoice:
    """One payment method offered: its provider, the price shown next to its name (if any), its button."""

    provider: str
    data: CallbackData
    price: str | None = None


def tariff_picker(t: Translator, tariffs: Sequence[Tariff]) -> InlineKeyboardMarkup:
    """One button per tariff (its name in the customer's language), then back to the menu."""
    rows = [
        [
            InlineKeyboardButton(
                text=tariff.name(t.language), callback_data=BuyTariff(tariff=tariff.code).pack()
            )
        ]
        for tariff in tariffs
    ]
    rows.append([back_to_menu(t)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def period_picker(
    periods: Sequence[tuple[str, CallbackData]],
    *,
    back: InlineKeyboardButton,
    extra: Sequence[InlineKeyboardButton] = (),
) -> InlineKeyboardMarkup:
    """One button per period (its label, its data), then ``extra`` buttons (one row each), then ``back``."""
    rows = [[InlineKeyboardButton(text=label, callback_data=data.pack())] for label, data in periods]
    rows.extend([button] for button in extra)
    rows.append([back])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def method_picker(
    t: Translator,
    choices: Sequence[MethodChoice],
    *,
    back: InlineKeyboardButton,
    extra: Sequence[InlineKeyboardButton] = (),
) -> InlineKeyboardMarkup:
    """One button per method ("Method · price"), then ``extra`` buttons (one row each), then ``back``."""
    rows: list[list[InlineKeyboardButton]] = []
    for choice in choices:
        name = t(f"method-{choice.provider}")
        text = f"{name} · {choice.price}" if choice.price is not None else name
        rows.append([InlineKeyboardButton(text=text, callback_data=choice.data.pack())])
    rows.extend([button] for button in extra)
    rows.append([back])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def invoice(
    t: Translator,
    *,
    amount: str,
    pay_url: str | None,
    order_id: str,
    other_method: CallbackData | None = None,
) -> InlineKeyboardMarkup:
    """Pay (the provider's page), "I have paid", another method (when there is a choice), the menu."""
    rows = [
        [InlineKeyboardButton(text=t("btn-pay", amount=amount), url=pay_url)],
        [InlineKeyboardButton(text=t("btn-check-payment"), callback_data=CheckOrder(order=order_id).pack())],
    ]
    if other_method is not None:
        rows.append([InlineKeyboardButton(text=t("btn-other-method"), callback_data=other_method.pack())])
    rows.append([back_to_menu(t)])
    return InlineKeyboardMarkup(inline_keyboard=rows)
