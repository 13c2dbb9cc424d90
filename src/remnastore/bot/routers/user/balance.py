"""Balance: what the customer holds, its movements, and topping it up."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from remnastore.bot.callbacks import Nav, Screen, TopUpAmount, TopUpMethod, TopUpOtherMethod
from remnastore.bot.filters import OpensScreen
from remnastore.bot.keyboards import back_to_menu, only_back
from remnastore.bot.keyboards.payment import MethodChoice, invoice, method_picker
from remnastore.bot.render import Renderer
from remnastore.bot.respond import show
from remnastore.bot.routing import Router
from remnastore.bot.states import TopUpStates
from remnastore.domain.errors import DomainError
from remnastore.domain.money import Money
from remnastore.locales import Translator
from remnastore.services.accounts import CustomerView
from remnastore.services.balance import BalanceService
from remnastore.services.checkout import Checkout


async def overview(
    event: Message | CallbackQuery,
    t: Translator,
    customer: CustomerView,
    balance: BalanceService | None,
    renderer: Renderer,
) -> None:
    if balance is None:
        raise DomainError("balance-disabled")
    view = await balance.overview(customer)
    lines = [t("balance-title", balance=renderer.money(view.balance, t)), ""]
    if view.movements:
        for movement in view.movements:
            lines.append(
                t(
                    "balance-line",
                    date=renderer.date(movement.at, t),
                    amount=("+" if movement.amount.minor > 0 else "") + renderer.money(movement.amount, t),
                    reason=t(f"ledger-{movement.reason}")
                    if t.has(f"ledger-{movement.reason}")
                    else movement.reason,
                )
            )
    else:
        lines.append(t("balance-no-movements"))
    lines += ["", t("balance-topup-choose")]
    kb = InlineKeyboardBuilder()
    buttons = [
        InlineKeyboardButton(text=renderer.money(amount, t), callback_data=TopUpAmount(index=i).pack())
        for i, amount in enumerate(balance.topups)
    ]
    for i in range(0, len(buttons), 2):
        kb.row(*buttons[i : i + 2])
    kb.row(
        InlineKeyboardButton(text=t("btn-topup-other"), callback_data=Nav(screen=Screen.TOPUP_OTHER).pack())
    )
    kb.row(back_to_menu(t))
    await show(event, "\n".join(lines), kb.as_markup())


async def ask_amount(
    query: CallbackQuery, t: Translator, state: FSMContext, balance: BalanceService | None
) -> None:
    if balance is None:
        raise DomainError("balance-disabled")
    low, high = balance.bounds
    await state.set_state(TopUpStates.amount)
    await show(
        query, t("balance-topup-ask", low=low.format(t.language), high=high.format(t.language)), only_back(t)
    )


async def typed_amount(
    message: Message,
    t: Translator,
    state: FSMContext,
    balance: BalanceService | None,
    checkout: Checkout,
    renderer: Renderer,
) -> None:
    if balance is None:
        await state.clear()
        raise DomainError("balance-disabled")
    amount = balance.parse_amount(message.text or "")
    methods = checkout.topup_methods(amount)
    if not methods:
        await state.clear()
        await show(message, t("buy-no-methods"), only_back(t))
        return
    await state.set_state(TopUpStates.method)
    await state.update_data(topup_minor=amount.minor, topup_currency=amount.currency)
    choices = [MethodChoice(method, TopUpOtherMethod(method=method)) for method in methods]
    markup = method_picker(t, choices, back=back_to_menu(t))
    await show(message, t("balance-topup-method", amount=renderer.money(amount, t)), markup)


async def top_up_typed(
    query: CallbackQuery,
    callback_data: TopUpOtherMethod,
    t: Translator,
    state: FSMContext,
    customer: CustomerView,
    checkout: Checkout,
    renderer: Renderer,
) -> None:
    data = await state.get_data()
    if "topup_minor" not in data:
        raise DomainError("checkout-unknown-item")
    amount = Money(int(data["topup_minor"]), str(data["topup_currency"]))
    await _invoice(query, t, customer, checkout, renderer, amount, callback_data.method)
    await state.clear()


async def choose_method(
    query: CallbackQuery,
    callback_data: TopUpAmount,
    t: Translator,
    balance: BalanceService | None,
    checkout: Checkout,
    renderer: Renderer,
) -> None:
    amount = balance.topup(callback_data.index) if balance is not None else None
    if amount is None:
        raise DomainError("checkout-unknown-item")
    methods = checkout.topup_methods(amount)
    if not methods:
        await show(query, t("buy-no-methods"), only_back(t))
        return
    choices = [
        MethodChoice(method, TopUpMethod(index=callback_data.index, method=method)) for method in methods
    ]
    back = InlineKeyboardButton(text=t("btn-back"), callback_data=Nav(screen=Screen.BALANCE).pack())
    markup = method_picker(t, choices, back=back)
    await show(query, t("balance-topup-method", amount=renderer.money(amount, t)), markup)


async def top_up(
    query: CallbackQuery,
    callback_data: TopUpMethod,
    t: Translator,
    customer: CustomerView,
    balance: BalanceService | None,
    checkout: Checkout,
    renderer: Renderer,
) -> None:
    amount = balance.topup(callback_data.index) if balance is not None else None
    if amount is None:
        raise DomainError("checkout-unknown-item")
    await _invoice(query, t, customer, checkout, renderer, amount, callback_data.method)


async def _invoice(
    query: CallbackQuery,
    t: Translator,
    customer: CustomerView,
    checkout: Checkout,
    renderer: Renderer,
    amount: Money,
    method: str,
) -> None:
    shown = renderer.money(amount, t)
    pending = await checkout.start_topup(
        customer, amount, method, description=str(t("balance-topup-title", amount=shown))
    )
    markup = invoice(t, amount=shown, pay_url=pending.pay_url, order_id=pending.order_id)
    await show(query, t("balance-topup-invoice", order=pending.order_id[:8], amount=shown), markup)


def build() -> Router:
    router = Router(name="balance")
    router.message.register(overview, Command("balance"))
    router.callback_query.register(overview, OpensScreen(Screen.BALANCE))
    router.callback_query.register(choose_method, TopUpAmount.filter())
    router.callback_query.register(top_up, TopUpMethod.filter())
    router.callback_query.register(ask_amount, OpensScreen(Screen.TOPUP_OTHER))
    router.message.register(typed_amount, TopUpStates.amount, F.text)
    router.callback_query.register(top_up_typed, TopUpOtherMethod.filter(), TopUpStates.method)
    return router
