"""Promo codes: the "Promo code" button asks for a code, the customer types it (or /promo CODE)."""

from __future__ import annotations

import logging

from aiogram import F
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from remnastore.bot.callbacks import Nav, Screen
from remnastore.bot.filters import OpensScreen
from remnastore.bot.keyboards import back_to_menu, only_back
from remnastore.bot.promo_texts import redeemed_text
from remnastore.bot.render import Renderer
from remnastore.bot.respond import show
from remnastore.bot.routing import Router
from remnastore.bot.states import PromoStates
from remnastore.domain.errors import DomainError
from remnastore.locales import Translator
from remnastore.services.accounts import CustomerView
from remnastore.services.promos import PromoService

log = logging.getLogger(__name__)


async def ask_code(
    event: Message | CallbackQuery, t: Translator, state: FSMContext, promos: PromoService | None
) -> None:
    if promos is None:
        raise DomainError("promo-disabled")
    await state.set_state(PromoStates.code)
    await show(event, t("promo-ask"), only_back(t))


async def promo_command(
    message: Message,
    command: CommandObject,
    t: Translator,
    state: FSMContext,
    customer: CustomerView,
    promos: PromoService | None,
    renderer: Renderer,
) -> None:
    if not command.args:
        await ask_code(message, t, state, promos)
        return
    await _redeem(message, command.args, t, state, customer, promos, renderer)


async def typed_code(
    message: Message,
    t: Translator,
    state: FSMContext,
    customer: CustomerView,
    promos: PromoService | None,
    renderer: Renderer,
) -> None:
    await _redeem(message, message.text or "", t, state, customer, promos, renderer)


async def _redeem(
    message: Message,
    typed: str,
    t: Translator,
    state: FSMContext,
    customer: CustomerView,
    promos: PromoService | None,
    renderer: Renderer,
) -> None:
    if promos is None:
        await state.clear()
        raise DomainError("promo-disabled")
    try:
        result = await promos.redeem(customer, typed)
    except DomainError as refusal:
        log.info("promo code refused: %s", refusal.text_key, extra={"customer_id": customer.id})
        await state.set_state(PromoStates.code)
        await show(message, renderer.error(refusal, t) + "\n\n" + t("promo-ask-again"), only_back(t))
        return
    await state.clear()
    kb = InlineKeyboardBuilder()
    label = "btn-buy" if result.discount is not None else "btn-subscription"
    screen = Screen.BUY if result.discount is not None else Screen.SUBSCRIPTION
    if result.credit is not None:
        label, screen = "btn-balance", Screen.BALANCE
    kb.row(InlineKeyboardButton(text=t(label), callback_data=Nav(screen=screen).pack()))
    kb.row(back_to_menu(t))
    await show(message, redeemed_text(result, t, renderer), kb.as_markup())


def build() -> Router:
    router = Router(name="promos")
    router.message.register(promo_command, Command("promo"))
    router.callback_query.register(ask_code, OpensScreen(Screen.PROMO))
    router.message.register(typed_code, PromoStates.code, F.text, ~F.text.startswith("/"))
    return router
