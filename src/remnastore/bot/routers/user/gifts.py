"""Gifts: buy a period as a gift (choose how to pay), and activate a gift link."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from remnastore.bot.callbacks import BuyGift, BuyPeriod, GiftMethod, Nav, Screen
from remnastore.bot.keyboards import only_back
from remnastore.bot.render import Renderer
from remnastore.bot.respond import show
from remnastore.bot.routers.user.buy import start_payment
from remnastore.domain.errors import DomainError
from remnastore.locales import Translator
from remnastore.services.accounts import CustomerView
from remnastore.services.checkout import Checkout
from remnastore.services.gifts import GiftService


def _service(gifts: GiftService | None) -> GiftService:
    if gifts is None:
        raise DomainError("gift-unavailable")
    return gifts


async def choose_gift_method(
    query: CallbackQuery,
    callback_data: BuyGift,
    t: Translator,
    checkout: Checkout,
    renderer: Renderer,
    gifts: GiftService | None = None,
) -> None:
    _service(gifts)
    tariff, period = checkout.item(callback_data.tariff, callback_data.period)
    options = checkout.gift_methods(period)
    if not options:
        await show(query, t("buy-no-methods"), only_back(t))
        return
    kb = InlineKeyboardBuilder()
    for option in options:
        kb.row(
            InlineKeyboardButton(
                text=f"{t(f'method-{option.provider}')} · {renderer.money(option.price, t)}",
                callback_data=GiftMethod(
                    tariff=tariff.code, period=period.code, method=option.provider
                ).pack(),
            )
        )
    kb.row(
        InlineKeyboardButton(
            text=t("btn-back"), callback_data=BuyPeriod(tariff=tariff.code, period=period.code).pack()
        )
    )
    text = t("gift-choose-method", tariff=tariff.name(t.language), period=renderer.period(period, t))
    await show(query, text, kb.as_markup())


async def pay_gift(
    query: CallbackQuery,
    callback_data: GiftMethod,
    t: Translator,
    customer: CustomerView,
    checkout: Checkout,
    renderer: Renderer,
    gifts: GiftService | None = None,
) -> None:
    _service(gifts)
    await start_payment(
        query,
        t,
        customer,
        checkout,
        renderer,
        callback_data.tariff,
        callback_data.period,
        callback_data.method,
        gift=True,
    )


async def activate_gift(
    message: Message, t: Translator, customer: CustomerView, gifts: GiftService | None, token: str
) -> None:
    """``/start gift_<token>``: activate once; every other attempt gets a polite refusal."""
    service = _service(gifts)
    activation = await service.activate(customer, token)
    kb = InlineKeyboardBuilder()
    kb.row(
        InlineKeyboardButton(text=t("btn-subscription"), callback_data=Nav(screen=Screen.SUBSCRIPTION).pack())
    )
    await message.answer(
        t("gift-accepted", tariff=activation.tariff_name, days=activation.days), reply_markup=kb.as_markup()
    )
    service.apply(activation)


def build() -> Router:
    router = Router(name="gifts")
    router.callback_query.register(choose_gift_method, BuyGift.filter())
    router.callback_query.register(pay_gift, GiftMethod.filter())
    return router
