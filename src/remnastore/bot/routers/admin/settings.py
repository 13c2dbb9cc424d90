"""Admin: settings changed in the bot — tariffs and prices, the trial, payment methods, menu links.

One handler per button (a change, a prompt, or a screen). Values an admin types (a price, a number of
days, a link) are asked for with a prompt and read in that prompt's state (``AdminInputStates.price``,
``trial_value``, ``link``); what the value is for is kept in the state data, never in a button.
"""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from remnastore.bot.callbacks import AdminNav, AdminSection, AdminSetting, SettingAction
from remnastore.bot.render import Renderer
from remnastore.bot.respond import show
from remnastore.bot.routers.admin.settings_screens import (
    MAX_INPUT,
    A,
    back_button,
    button,
    setting_item,
    settings_screen,
)
from remnastore.bot.routing import Router
from remnastore.bot.states import AdminInputStates
from remnastore.domain.errors import DomainError
from remnastore.locales import Translator
from remnastore.services.effective_settings import LINK_KINDS, TRIAL_FIELDS, EffectiveSettings


async def home(
    event: Message | CallbackQuery, state: FSMContext, t: Translator, effective_settings: EffectiveSettings
) -> None:
    await state.clear()
    current = effective_settings.current
    text = t(
        "admin-settings-title",
        tariffs=len(current.catalogue.tariffs),
        trial=t("admin-settings-on") if current.trial.enabled else t("admin-settings-off"),
        methods=len(current.enabled_methods),
        links=len(current.links),
    )
    kb = InlineKeyboardBuilder()
    kb.row(button(t("btn-settings-tariffs"), A.TARIFFS))
    kb.row(button(t("btn-settings-trial"), A.TRIAL))
    kb.row(button(t("btn-settings-methods"), A.METHODS))
    kb.row(button(t("btn-settings-links"), A.LINKS))
    kb.row(back_button(t))
    await show(event, text, kb.as_markup())


# -- one handler per button: a change (then its screen, saved), a prompt, or a screen ----------------


async def _saved(
    query: CallbackQuery,
    t: Translator,
    settings: EffectiveSettings,
    renderer: Renderer,
    action: SettingAction,
    data: AdminSetting,
) -> None:
    """The screen of ``action`` after a change, with "saved"."""
    text, markup = settings_screen(action, data, t, settings.current, renderer)
    await show(query, text, markup, notice=t("admin-settings-saved"))


async def screen(
    query: CallbackQuery,
    callback_data: AdminSetting,
    state: FSMContext,
    t: Translator,
    effective_settings: EffectiveSettings,
    renderer: Renderer,
) -> None:
    await state.clear()
    text, markup = settings_screen(
        callback_data.action, callback_data, t, effective_settings.current, renderer
    )
    await show(query, text, markup)


async def tariff_toggle(
    query: CallbackQuery,
    callback_data: AdminSetting,
    state: FSMContext,
    t: Translator,
    effective_settings: EffectiveSettings,
    renderer: Renderer,
) -> None:
    await state.clear()
    tariff, _ = setting_item(effective_settings.current, callback_data)
    enabled = tariff.code in effective_settings.current.disabled_tariffs
    await effective_settings.set_tariff_enabled(tariff.code, enabled, actor=query.from_user.id)
    await _saved(query, t, effective_settings, renderer, A.TARIFF, callback_data)


async def period_toggle(
    query: CallbackQuery,
    callback_data: AdminSetting,
    state: FSMContext,
    t: Translator,
    effective_settings: EffectiveSettings,
    renderer: Renderer,
) -> None:
    await state.clear()
    tariff, period = setting_item(effective_settings.current, callback_data)
    if period is None:
        raise DomainError("settings-unknown-item")
    enabled = (tariff.code, period.code) in effective_settings.current.disabled_periods
    await effective_settings.set_period_enabled(tariff.code, period.code, enabled, actor=query.from_user.id)
    await _saved(query, t, effective_settings, renderer, A.PERIOD, callback_data)


async def trial_toggle(
    query: CallbackQuery,
    callback_data: AdminSetting,
    state: FSMContext,
    t: Translator,
    effective_settings: EffectiveSettings,
    renderer: Renderer,
) -> None:
    await state.clear()
    enabled = not effective_settings.current.trial.enabled
    await effective_settings.set_trial_enabled(enabled, actor=query.from_user.id)
    await _saved(query, t, effective_settings, renderer, A.TRIAL, callback_data)


async def method_move(
    query: CallbackQuery,
    callback_data: AdminSetting,
    state: FSMContext,
    t: Translator,
    effective_settings: EffectiveSettings,
    renderer: Renderer,
) -> None:
    await state.clear()
    step = -1 if callback_data.action is A.METHOD_UP else 1
    await effective_settings.move_method(callback_data.item, step, actor=query.from_user.id)
    await _saved(query, t, effective_settings, renderer, A.METHODS, callback_data)


async def method_toggle(
    query: CallbackQuery,
    callback_data: AdminSetting,
    state: FSMContext,
    t: Translator,
    effective_settings: EffectiveSettings,
    renderer: Renderer,
) -> None:
    await state.clear()
    enabled = callback_data.item in effective_settings.current.disabled_methods
    await effective_settings.set_method_enabled(callback_data.item, enabled, actor=query.from_user.id)
    await _saved(query, t, effective_settings, renderer, A.METHODS, callback_data)


async def link_remove(
    query: CallbackQuery,
    callback_data: AdminSetting,
    state: FSMContext,
    t: Translator,
    effective_settings: EffectiveSettings,
    renderer: Renderer,
) -> None:
    await state.clear()
    await effective_settings.set_link(callback_data.item, None, actor=query.from_user.id)
    await _saved(query, t, effective_settings, renderer, A.LINKS, callback_data)


async def _ask(
    query: CallbackQuery,
    state: FSMContext,
    t: Translator,
    prompt: str,
    back: AdminSetting,
    waiting: State,
    **data: str,
) -> None:
    """Ask for a value; the answer is read in the ``waiting`` state (what it is for: in the state data)."""
    await state.set_state(waiting)
    await state.set_data({"back": back.pack(), **data})
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t("btn-cancel"), callback_data=back.pack())]]
    )
    await show(query, prompt, markup)


async def price_edit(
    query: CallbackQuery,
    callback_data: AdminSetting,
    state: FSMContext,
    t: Translator,
    effective_settings: EffectiveSettings,
    renderer: Renderer,
) -> None:
    await state.clear()
    tariff, period = setting_item(effective_settings.current, callback_data)
    current = period.price(callback_data.item) if period is not None else None
    if period is None or current is None:
        raise DomainError("settings-unknown-item")
    prompt = t(
        "admin-settings-price-prompt",
        tariff=tariff.name(t.language),
        period=renderer.period(period, t),
        currency=callback_data.item,
        price=renderer.money(current, t),
    )
    back = AdminSetting(action=A.PERIOD, tariff=tariff.code, period=period.code)
    await _ask(
        query,
        state,
        t,
        prompt,
        back,
        AdminInputStates.price,
        tariff=tariff.code,
        period=period.code,
        item=callback_data.item,
    )


async def trial_edit(
    query: CallbackQuery, callback_data: AdminSetting, state: FSMContext, t: Translator
) -> None:
    await state.clear()
    if callback_data.item not in TRIAL_FIELDS:
        raise DomainError("settings-unknown-item")
    prompt = t(f"admin-settings-trial-prompt-{callback_data.item}")
    back = AdminSetting(action=A.TRIAL)
    await _ask(query, state, t, prompt, back, AdminInputStates.trial_value, item=callback_data.item)


async def link_edit(
    query: CallbackQuery, callback_data: AdminSetting, state: FSMContext, t: Translator
) -> None:
    await state.clear()
    if callback_data.item not in LINK_KINDS:
        raise DomainError("settings-unknown-item")
    prompt = t("admin-settings-link-prompt", name=t(f"btn-{callback_data.item}"))
    back = AdminSetting(action=A.LINKS)
    await _ask(query, state, t, prompt, back, AdminInputStates.link, item=callback_data.item)


# -- the typed values: one handler per prompt ------------------------------------------------------


async def _typed(message: Message, state: FSMContext) -> tuple[dict[str, Any], str, int]:
    """The prompt's data, the value typed (refused when empty or too long) and who typed it."""
    data: dict[str, Any] = await state.get_data()
    value = (message.text or "").strip()
    if not value or len(value) > MAX_INPUT:
        raise DomainError("settings-bad-input")
    return data, value, message.from_user.id if message.from_user else 0


async def _after_input(
    message: Message,
    state: FSMContext,
    t: Translator,
    effective_settings: EffectiveSettings,
    renderer: Renderer,
    data: dict[str, Any],
) -> None:
    await state.clear()
    back = AdminSetting.unpack(str(data["back"]))
    text, markup = settings_screen(back.action, back, t, effective_settings.current, renderer)
    await message.answer(t("admin-settings-saved") + "\n\n" + text, reply_markup=markup)


async def typed_price(
    message: Message,
    state: FSMContext,
    t: Translator,
    effective_settings: EffectiveSettings,
    renderer: Renderer,
) -> None:
    data, value, actor = await _typed(message, state)
    tariff, period, currency = str(data["tariff"]), str(data["period"]), str(data.get("item", ""))
    await effective_settings.set_price(tariff, period, currency, value, actor=actor)
    await _after_input(message, state, t, effective_settings, renderer, data)


async def typed_trial_value(
    message: Message,
    state: FSMContext,
    t: Translator,
    effective_settings: EffectiveSettings,
    renderer: Renderer,
) -> None:
    data, value, actor = await _typed(message, state)
    await effective_settings.set_trial_value(str(data.get("item", "")), value, actor=actor)
    await _after_input(message, state, t, effective_settings, renderer, data)


async def typed_link(
    message: Message,
    state: FSMContext,
    t: Translator,
    effective_settings: EffectiveSettings,
    renderer: Renderer,
) -> None:
    data, value, actor = await _typed(message, state)
    await effective_settings.set_link(str(data.get("item", "")), value, actor=actor)
    await _after_input(message, state, t, effective_settings, renderer, data)


def build() -> Router:
    router = Router(name="admin-settings")
    router.message.register(home, Command("settings"))
    router.callback_query.register(home, AdminNav.filter(F.section == AdminSection.SETTINGS))
    button = AdminSetting.filter
    router.callback_query.register(home, button(F.action == A.HOME))
    router.callback_query.register(tariff_toggle, button(F.action == A.TARIFF_TOGGLE))
    router.callback_query.register(period_toggle, button(F.action == A.PERIOD_TOGGLE))
    router.callback_query.register(trial_toggle, button(F.action == A.TRIAL_TOGGLE))
    router.callback_query.register(method_move, button(F.action.in_({A.METHOD_UP, A.METHOD_DOWN})))
    router.callback_query.register(method_toggle, button(F.action == A.METHOD_TOGGLE))
    router.callback_query.register(link_remove, button(F.action == A.LINK_REMOVE))
    router.callback_query.register(price_edit, button(F.action == A.PRICE))
    router.callback_query.register(trial_edit, button(F.action == A.TRIAL_EDIT))
    router.callback_query.register(link_edit, button(F.action == A.LINK_EDIT))
    router.callback_query.register(screen, button())  # every other button opens a screen
    typed = (F.text, ~F.text.startswith("/"))
    router.message.register(typed_price, StateFilter(AdminInputStates.price), *typed)
    router.message.register(typed_trial_value, StateFilter(AdminInputStates.trial_value), *typed)
    router.message.register(typed_link, StateFilter(AdminInputStates.link), *typed)
    return router
