"""Gifts: buy a period as a gift (choose how to pay), and activate a gift link."""

from __future__ import annotations

from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from remnastore.bot.callbacks import BuyGift, BuyPeriod, GiftMethod, Nav, Screen
from remnastore.bot.keyboards import only_back
from remnastore.bot.keyboards.payment import MethodChoice, method_picker
from remnastore.bot.render import Renderer
from remnastore.bot.renewal_notices import gift_link
from remnastore.bot.respond import show
from remnastore.bot.routers.user.buy import start_payment
from remnastore.bot.routing import Router
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
    choices = [
        MethodChoice(
            option.provider,
            GiftMethod(tariff=tariff.code, period=period.code, method=option.provider),
            renderer.money(option.price, t),
        )
        for option in options
    ]
    back = InlineKeyboardButton(
        text=t("btn-back"), callback_data=BuyPeriod(tariff=tariff.code, period=period.code).pack()
    )
    text = t("gift-choose-method", tariff=tariff.name(t.language), period=renderer.period(period, t))
    await show(query, text, method_picker(t, choices, back=back))


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
    await service.apply(activation)


async def my_gifts(
    message: Message,
    t: Translator,
    customer: CustomerView,
    renderer: Renderer,
    gifts: GiftService | None = None,
) -> None:
    """/gifts: the gifts this customer bought, with the link of each one not yet activated."""
    bought = await _service(gifts).bought_by(customer)
    if not bought:
        await message.answer(t("gift-list-empty"), reply_markup=only_back(t))
        return
    me = await message.bot.me() if message.bot is not None else None
    lines = [t("gift-list-title"), ""]
    for gift in bought:
        period = renderer.period(gift.period, t) if gift.period is not None else ""
        if gift.activated_at is not None:
            lines.append(
                t(
                    "gift-list-activated",
                    tariff=gift.tariff_name,
                    period=period,
                    when=renderer.when(gift.activated_at, t),
                )
            )
        else:
            link = gift_link(me.username or "" if me else "", gift.token)
            lines.append(t("gift-list-waiting", tariff=gift.tariff_name, period=period, link=link))
    await message.answer("\n".join(lines), reply_markup=only_back(t))


def build() -> Router:
    router = Router(name="gifts")
    router.message.register(my_gifts, Command("gifts"))
    router.callback_query.register(choose_gift_method, BuyGift.filter())
    router.callback_query.register(pay_gift, GiftMethod.filter())
    return router
