"""Add-ons to an active paid subscription: more traffic or more devices -> method -> invoice."""

from __future__ import annotations

from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from remnastore.bot.callbacks import AddonKind, AddonMethod, AddonPick, Nav, Screen
from remnastore.bot.keyboards.payment import MethodChoice, invoice, method_picker
from remnastore.bot.render import Renderer
from remnastore.bot.respond import show
from remnastore.bot.routing import Router
from remnastore.locales import Translator
from remnastore.services.accounts import CustomerView
from remnastore.services.checkout import Checkout


def _back(t: Translator, callback_data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=t("btn-back"), callback_data=callback_data)


async def choose_addon(
    query: CallbackQuery,
    callback_data: AddonKind,
    t: Translator,
    customer: CustomerView,
    checkout: Checkout,
    renderer: Renderer,
) -> None:
    addons = [a for a in await checkout.addons_for(customer) if a.kind == callback_data.kind]
    kb = InlineKeyboardBuilder()
    for addon in addons:
        price = renderer.money(checkout.addon_methods(addon)[0].price, t)
        kb.row(
            InlineKeyboardButton(
                text=t("addon-button", name=addon.name(t.language), price=price),
                callback_data=AddonPick(addon=addon.code).pack(),
            )
        )
    kb.row(_back(t, Nav(screen=Screen.SUBSCRIPTION).pack()))
    text = t(f"addon-choose-{callback_data.kind}") if addons else t("addon-none")
    await show(query, text, kb.as_markup())


async def choose_method(
    query: CallbackQuery,
    callback_data: AddonPick,
    t: Translator,
    customer: CustomerView,
    checkout: Checkout,
    renderer: Renderer,
) -> None:
    addon = await checkout.addon(customer, callback_data.addon)
    choices = [
        MethodChoice(
            option.provider,
            AddonMethod(addon=addon.code, method=option.provider),
            renderer.money(option.price, t),
        )
        for option in checkout.addon_methods(addon)
    ]
    markup = method_picker(t, choices, back=_back(t, AddonKind(kind=addon.kind).pack()))
    await show(query, t("addon-choose-method", name=addon.name(t.language)), markup)


async def pay(
    query: CallbackQuery,
    callback_data: AddonMethod,
    t: Translator,
    customer: CustomerView,
    checkout: Checkout,
    renderer: Renderer,
) -> None:
    addon = await checkout.addon(customer, callback_data.addon)
    name = addon.name(t.language)
    payment = await checkout.start_addon(
        customer,
        addon.code,
        callback_data.method,
        description=str(t("addon-invoice-title", name=name)),
        details=str(t("addon-invoice-details", name=name)),
    )
    amount = renderer.money(payment.amount, t)
    if payment.pay_url is None:
        back = InlineKeyboardMarkup(inline_keyboard=[[_back(t, Nav(screen=Screen.SUBSCRIPTION).pack())]])
        await show(query, t("addon-paid-from-balance", amount=amount), back)
        return
    key = "addon-invoice-stars" if checkout.pays_in_telegram(payment.provider) else "addon-invoice"
    text = t(key, order=payment.order_id[:8], name=name, amount=amount)
    markup = invoice(
        t,
        amount=amount,
        pay_url=payment.pay_url,
        order_id=payment.order_id,
        other_method=AddonPick(addon=addon.code),
    )
    await show(query, text, markup)


def build() -> Router:
    router = Router(name="addons")
    router.callback_query.register(choose_addon, AddonKind.filter())
    router.callback_query.register(choose_method, AddonPick.filter())
    router.callback_query.register(pay, AddonMethod.filter())
    return router
