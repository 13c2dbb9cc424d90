"""Buying: tariff -> period -> payment method -> invoice; and "I have paid"."""

from __future__ import annotations

from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message

from remnastore.bot.callbacks import (
    BuyAutoRenew,
    BuyGift,
    BuyMethod,
    BuyPeriod,
    BuyTariff,
    CheckOrder,
    Nav,
    Screen,
)
from remnastore.bot.filters import OpensScreen
from remnastore.bot.keyboards import back_to_menu, only_back
from remnastore.bot.keyboards.payment import (
    MethodChoice,
    invoice,
    method_picker,
    period_picker,
    tariff_picker,
)
from remnastore.bot.promo_texts import price_change, reservation_text
from remnastore.bot.render import Renderer
from remnastore.bot.respond import show
from remnastore.bot.routing import Router
from remnastore.domain.catalogue import Tariff
from remnastore.domain.money import Money
from remnastore.domain.promos import Discount
from remnastore.locales import Translator
from remnastore.services.accounts import CustomerView
from remnastore.services.checkout import Checkout, PaidFromBalance
from remnastore.services.order_placement import MethodOption
from remnastore.services.promos import PromoService


def _discounted(option: MethodOption, offer: Discount | None, checkout: Checkout) -> Money:
    """What this method would charge with the customer's pending discount (for display only: the order
    amount is computed again when the order is made)."""
    if offer is None or not checkout.discountable(option.provider):
        return option.price
    return offer.price(option.price)


def _price_label(
    option: MethodOption, offer: Discount | None, checkout: Checkout, t: Translator, renderer: Renderer
) -> str:
    price = _discounted(option, offer, checkout)
    if price == option.price:
        return renderer.money(option.price, t)
    return str(t("promo-price-button", old=renderer.money(option.price, t), new=renderer.money(price, t)))


async def choose_tariff(
    event: Message | CallbackQuery,
    t: Translator,
    customer: CustomerView,
    checkout: Checkout,
    renderer: Renderer,
    promos: PromoService | None = None,
) -> None:
    tariffs = checkout.catalogue.tariffs
    if len(tariffs) == 1:
        await _periods(event, t, customer, checkout, renderer, tariffs[0], promos)
        return
    lines = [t("buy-choose-tariff"), ""]
    for tariff in tariffs:
        description = tariff.description(t.language)
        lines.append(t("buy-tariff-line", name=tariff.name(t.language), description=description))
    await show(event, "\n".join(lines), tariff_picker(t, tariffs))


async def choose_period(
    query: CallbackQuery,
    callback_data: BuyTariff,
    t: Translator,
    customer: CustomerView,
    checkout: Checkout,
    renderer: Renderer,
    promos: PromoService | None = None,
) -> None:
    tariff = checkout.catalogue.tariff(callback_data.tariff)
    if tariff is None:
        await choose_tariff(query, t, customer, checkout, renderer, promos)
        return
    await _periods(query, t, customer, checkout, renderer, tariff, promos)


async def _periods(
    event: Message | CallbackQuery,
    t: Translator,
    customer: CustomerView,
    checkout: Checkout,
    renderer: Renderer,
    tariff: Tariff,
    promos: PromoService | None,
) -> None:
    offer = await promos.offer(customer, tariff.code) if promos is not None else None
    periods: list[tuple[str, BuyPeriod]] = []
    for period in tariff.periods:
        options = checkout.methods(period)
        if not options:
            continue
        price = _price_label(options[0], offer, checkout, t, renderer)
        label = t("buy-period-button", period=renderer.period(period, t), price=price)
        periods.append((label, BuyPeriod(tariff=tariff.code, period=period.code)))
    promo = (
        []
        if promos is None
        else [InlineKeyboardButton(text=t("btn-promo"), callback_data=Nav(screen=Screen.PROMO).pack())]
    )
    if len(checkout.catalogue.tariffs) > 1:
        back = InlineKeyboardButton(text=t("btn-back"), callback_data=Nav(screen=Screen.BUY).pack())
    else:
        back = back_to_menu(t)
    text: str = t(
        "buy-choose-period", tariff=tariff.name(t.language), description=tariff.description(t.language)
    )
    if tariff.traffic_limit_bytes > 0:  # what a renewal does with the traffic, said before paying
        text += "\n\n" + t(f"buy-renewal-traffic-{tariff.renewal_traffic}")
    if offer is not None:
        text += "\n\n" + t("promo-checkout-note", code=offer.code)
    await show(event, text, period_picker(periods, back=back, extra=promo))


async def choose_method(
    query: CallbackQuery,
    callback_data: BuyPeriod,
    t: Translator,
    customer: CustomerView,
    checkout: Checkout,
    renderer: Renderer,
    promos: PromoService | None = None,
    gifts_enabled: bool = False,
    autorenew_enabled: bool = False,
) -> None:
    tariff, period = checkout.item(callback_data.tariff, callback_data.period)
    options = checkout.methods(period)
    if not options:
        await show(query, t("buy-no-methods"), only_back(t))
        return
    offer = await promos.offer(customer, tariff.code) if promos is not None else None
    choices = [
        MethodChoice(
            option.provider,
            BuyMethod(tariff=tariff.code, period=period.code, method=option.provider),
            _price_label(option, offer, checkout, t, renderer),
        )
        for option in options
    ]
    extra = [
        InlineKeyboardButton(
            text=t("autorenew-btn-buy-with", price=renderer.money(option.price, t)),
            callback_data=BuyAutoRenew(tariff=tariff.code, period=period.code, method=option.provider).pack(),
        )
        for option in (checkout.card_saving_methods(period) if autorenew_enabled else [])
    ]
    if gifts_enabled and checkout.gift_methods(period):
        extra.append(
            InlineKeyboardButton(
                text=t("gift-btn-buy"), callback_data=BuyGift(tariff=tariff.code, period=period.code).pack()
            )
        )
    back = InlineKeyboardButton(text=t("btn-back"), callback_data=BuyTariff(tariff=tariff.code).pack())
    markup = method_picker(t, choices, back=back, extra=extra)
    text: str = t("buy-choose-method", tariff=tariff.name(t.language), period=renderer.period(period, t))
    change = await checkout.tariff_change(customer, tariff)
    if change is not None:
        warning = t(
            "buy-tariff-change",
            current=change.current_name,
            expires=renderer.when(change.current_expires_at, t),
            new=tariff.name(t.language),
        )
        text = warning + "\n\n" + text
    if offer is not None:
        discounted = [o for o in options if _discounted(o, offer, checkout) != o.price]
        if discounted:
            first = discounted[0]
            change_text = price_change(first.price, _discounted(first, offer, checkout), t, renderer)
            text += "\n\n" + t("promo-checkout-price", code=offer.code, price=change_text)
    await show(query, text, markup)


async def pay(
    query: CallbackQuery,
    callback_data: BuyMethod,
    t: Translator,
    customer: CustomerView,
    checkout: Checkout,
    renderer: Renderer,
) -> None:
    await start_payment(
        query,
        t,
        customer,
        checkout,
        renderer,
        callback_data.tariff,
        callback_data.period,
        callback_data.method,
    )


async def start_payment(
    query: CallbackQuery,
    t: Translator,
    customer: CustomerView,
    checkout: Checkout,
    renderer: Renderer,
    tariff_code: str,
    period_code: str,
    method: str,
    *,
    gift: bool = False,
    save_method: bool = False,
) -> None:
    """Create (or reuse) the order and show its invoice (subscription, gift, or one keeping the card)."""
    tariff, period = checkout.item(tariff_code, period_code)
    period_text = renderer.period(period, t)
    description = t("invoice-title", tariff=tariff.name(t.language), period=period_text)
    details = t(
        "invoice-details",
        period=period_text,
        description=tariff.description(t.language) or tariff.name(t.language),
    )
    pending = await checkout.start(
        customer,
        tariff.code,
        period.code,
        method,
        description=str(description),
        details=str(details),
        gift=gift,
        save_method=save_method,
    )
    amount = renderer.money(pending.amount, t)
    promo_line = reservation_text(pending.promo, pending.amount, t, renderer)
    if isinstance(pending, PaidFromBalance):
        paid: str = t("paid-from-balance", amount=amount)
        await show(query, paid + ("\n\n" + promo_line if promo_line else ""), only_back(t))
        return
    text: str = t(
        "buy-invoice-stars" if checkout.pays_in_telegram(pending.provider) else "buy-invoice",
        order=pending.order_id[:8],
        tariff=tariff.name(t.language),
        period=period_text,
        amount=amount,
    )
    if promo_line:
        text += "\n\n" + promo_line
    markup = invoice(
        t,
        amount=amount,
        pay_url=pending.pay_url,
        order_id=pending.order_id,
        other_method=BuyPeriod(tariff=tariff.code, period=period.code),
    )
    await show(query, text, markup)


#: What "I have paid" answers for each order status (what the provider reported, when it can be asked).
ORDER_STATUS_TEXT = {
    "pending": "order-still-pending",
    "paid": "order-already-paid",
    "fulfilled": "order-already-paid",
    "failed": "order-check-declined",
    "expired": "order-check-expired",
    "refunded": "order-check-refunded",
}


async def check_order(
    query: CallbackQuery, callback_data: CheckOrder, t: Translator, customer: CustomerView, checkout: Checkout
) -> None:
    status = await checkout.refresh(customer, callback_data.order)
    await query.answer(t(ORDER_STATUS_TEXT.get(status, "order-still-pending")), show_alert=True)


def build() -> Router:
    router = Router(name="buy")
    router.message.register(choose_tariff, Command("buy"))
    router.callback_query.register(choose_tariff, OpensScreen(Screen.BUY))
    router.callback_query.register(choose_period, BuyTariff.filter())
    router.callback_query.register(choose_method, BuyPeriod.filter())
    router.callback_query.register(pay, BuyMethod.filter())
    router.callback_query.register(check_order, CheckOrder.filter())
    return router
