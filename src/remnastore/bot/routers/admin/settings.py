"""Admin: settings changed in the bot — tariffs and prices, the trial, payment methods, menu links.

Values an admin types (a price, a number of days, a link) are asked for with a prompt and read in the
``AdminInputStates.setting`` state; what the value is for is kept in the state data, never in a button.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from remnastore.bot.callbacks import AdminNav, AdminSection, AdminSetting, SettingAction
from remnastore.bot.render import Renderer
from remnastore.bot.respond import show
from remnastore.bot.routers.admin.menu import back_to_menu
from remnastore.bot.states import AdminInputStates
from remnastore.domain.catalogue import Period, Tariff
from remnastore.domain.errors import DomainError
from remnastore.locales import Translator
from remnastore.services.effective_settings import LINK_KINDS, TRIAL_FIELDS, Effective, EffectiveSettings

A = SettingAction
MAX_INPUT = 600


def _button(text: str, action: SettingAction, **ids: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=AdminSetting(action=action, **ids).pack())


def _back(t: Translator, action: SettingAction | None = None, **ids: str) -> InlineKeyboardButton:
    if action is None:
        return back_to_menu(t)
    return _button(t("btn-back"), action, **ids)


def _mark(enabled: bool) -> str:
    return "✅" if enabled else "⛔"


def _prices(period: Period, renderer: Renderer, t: Translator) -> str:
    return ", ".join(renderer.money(price, t) for price in period.prices.values())


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
    kb.row(_button(t("btn-settings-tariffs"), A.TARIFFS))
    kb.row(_button(t("btn-settings-trial"), A.TRIAL))
    kb.row(_button(t("btn-settings-methods"), A.METHODS))
    kb.row(_button(t("btn-settings-links"), A.LINKS))
    kb.row(_back(t))
    await show(event, text, kb.as_markup())


def _tariffs(t: Translator, current: Effective) -> tuple[str, InlineKeyboardMarkup]:
    lines = [t("admin-settings-tariffs"), ""]
    kb = InlineKeyboardBuilder()
    for tariff in current.full_catalogue.tariffs:
        enabled = tariff.code not in current.disabled_tariffs
        name = tariff.name(t.language)
        lines.append(f"{_mark(enabled)} {name}")
        kb.row(_button(f"{_mark(enabled)} {name}", A.TARIFF, tariff=tariff.code))
    kb.row(_back(t, A.HOME))
    return "\n".join(lines), kb.as_markup()


def _tariff(
    t: Translator, current: Effective, renderer: Renderer, tariff: Tariff
) -> tuple[str, InlineKeyboardMarkup]:
    enabled = tariff.code not in current.disabled_tariffs
    text = t(
        "admin-settings-tariff",
        name=tariff.name(t.language),
        state=t("admin-settings-on") if enabled else t("admin-settings-off"),
    )
    kb = InlineKeyboardBuilder()
    kb.row(
        _button(
            t("btn-settings-disable") if enabled else t("btn-settings-enable"),
            A.TARIFF_TOGGLE,
            tariff=tariff.code,
        )
    )
    for period in tariff.periods:
        on = (tariff.code, period.code) not in current.disabled_periods
        label = f"{_mark(on)} {renderer.period(period, t)} · {_prices(period, renderer, t)}"
        kb.row(_button(label, A.PERIOD, tariff=tariff.code, period=period.code))
    kb.row(_back(t, A.TARIFFS))
    return text, kb.as_markup()


def _period(
    t: Translator, current: Effective, renderer: Renderer, tariff: Tariff, period: Period
) -> tuple[str, InlineKeyboardMarkup]:
    enabled = (tariff.code, period.code) not in current.disabled_periods
    text = t(
        "admin-settings-period",
        tariff=tariff.name(t.language),
        period=renderer.period(period, t),
        state=t("admin-settings-on") if enabled else t("admin-settings-off"),
        prices=_prices(period, renderer, t),
    )
    kb = InlineKeyboardBuilder()
    kb.row(
        _button(
            t("btn-settings-disable") if enabled else t("btn-settings-enable"),
            A.PERIOD_TOGGLE,
            tariff=tariff.code,
            period=period.code,
        )
    )
    prices = [
        _button(
            t("btn-settings-price", currency=currency),
            A.PRICE,
            tariff=tariff.code,
            period=period.code,
            item=currency,
        )
        for currency in period.prices
    ]
    for i in range(0, len(prices), 2):
        kb.row(*prices[i : i + 2])
    kb.row(_back(t, A.TARIFF, tariff=tariff.code))
    return text, kb.as_markup()


def _trial(t: Translator, current: Effective) -> tuple[str, InlineKeyboardMarkup]:
    trial = current.trial
    text = t(
        "admin-settings-trial",
        state=t("admin-settings-on") if trial.enabled else t("admin-settings-off"),
        days=trial.days,
        traffic=trial.traffic_gb,
        devices=trial.device_limit,
    )
    kb = InlineKeyboardBuilder()
    kb.row(
        _button(t("btn-settings-trial-off") if trial.enabled else t("btn-settings-trial-on"), A.TRIAL_TOGGLE)
    )
    kb.row(*[_button(t(f"btn-settings-trial-{name}"), A.TRIAL_EDIT, item=name) for name in TRIAL_FIELDS])
    kb.row(_back(t, A.HOME))
    return text, kb.as_markup()


def _methods(t: Translator, current: Effective) -> tuple[str, InlineKeyboardMarkup]:
    lines = [t("admin-settings-methods"), ""]
    kb = InlineKeyboardBuilder()
    for index, method in enumerate(current.method_order, start=1):
        on = method not in current.disabled_methods
        name = t(f"method-{method}")
        lines.append(f"{index}. {_mark(on)} {name}")
        kb.row(
            _button(f"{_mark(on)} {name}", A.METHOD_TOGGLE, item=method),
            _button("⬆️", A.METHOD_UP, item=method),
            _button("⬇️", A.METHOD_DOWN, item=method),
        )
    if not current.method_order:
        lines.append(t("admin-settings-no-methods"))
    kb.row(_back(t, A.HOME))
    return "\n".join(lines), kb.as_markup()


def _links(t: Translator, current: Effective) -> tuple[str, InlineKeyboardMarkup]:
    lines = [t("admin-settings-links"), ""]
    kb = InlineKeyboardBuilder()
    for kind in LINK_KINDS:
        url = current.links.get(kind)
        lines.append(t("admin-settings-link-line", name=t(f"btn-{kind}"), url=url or "—"))
        row = [_button(t("btn-settings-link-edit", name=t(f"btn-{kind}")), A.LINK_EDIT, item=kind)]
        if url:
            row.append(_button("🗑", A.LINK_REMOVE, item=kind))
        kb.row(*row)
    kb.row(_back(t, A.HOME))
    return "\n".join(lines), kb.as_markup()


def _item(current: Effective, data: AdminSetting) -> tuple[Tariff, Period | None]:
    tariff = current.full_catalogue.tariff(data.tariff)
    if tariff is None:
        raise DomainError("settings-unknown-item")
    if not data.period:
        return tariff, None
    period = tariff.period(data.period)
    if period is None:
        raise DomainError("settings-unknown-item")
    return tariff, period


async def _ask(
    query: CallbackQuery, state: FSMContext, t: Translator, prompt: str, back: AdminSetting, **data: str
) -> None:
    await state.set_state(AdminInputStates.setting)
    await state.set_data({"back": back.pack(), **data})
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t("btn-cancel"), callback_data=back.pack())]]
    )
    await show(query, prompt, markup)


async def on_button(
    query: CallbackQuery,
    callback_data: AdminSetting,
    state: FSMContext,
    t: Translator,
    effective_settings: EffectiveSettings,
    renderer: Renderer,
) -> None:
    settings = effective_settings
    actor = query.from_user.id
    action = callback_data.action
    await state.clear()
    notice = None
    if action is A.HOME:
        await home(query, state, t, settings)
        return
    if action is A.TARIFF_TOGGLE:
        tariff, _ = _item(settings.current, callback_data)
        enabled = tariff.code in settings.current.disabled_tariffs
        await settings.set_tariff_enabled(tariff.code, enabled, actor=actor)
        action, notice = A.TARIFF, t("admin-settings-saved")
    elif action is A.PERIOD_TOGGLE:
        tariff, period = _item(settings.current, callback_data)
        assert period is not None
        enabled = (tariff.code, period.code) in settings.current.disabled_periods
        await settings.set_period_enabled(tariff.code, period.code, enabled, actor=actor)
        action, notice = A.PERIOD, t("admin-settings-saved")
    elif action is A.TRIAL_TOGGLE:
        await settings.set_trial_enabled(not settings.current.trial.enabled, actor=actor)
        action, notice = A.TRIAL, t("admin-settings-saved")
    elif action in (A.METHOD_UP, A.METHOD_DOWN):
        await settings.move_method(callback_data.item, -1 if action is A.METHOD_UP else 1, actor=actor)
        action, notice = A.METHODS, t("admin-settings-saved")
    elif action is A.METHOD_TOGGLE:
        enabled = callback_data.item in settings.current.disabled_methods
        await settings.set_method_enabled(callback_data.item, enabled, actor=actor)
        action, notice = A.METHODS, t("admin-settings-saved")
    elif action is A.LINK_REMOVE:
        await settings.set_link(callback_data.item, None, actor=actor)
        action, notice = A.LINKS, t("admin-settings-saved")
    elif action is A.PRICE:
        tariff, period = _item(settings.current, callback_data)
        assert period is not None
        current = period.price(callback_data.item)
        if current is None:
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
            kind="price",
            tariff=tariff.code,
            period=period.code,
            item=callback_data.item,
        )
        return
    elif action is A.TRIAL_EDIT:
        if callback_data.item not in TRIAL_FIELDS:
            raise DomainError("settings-unknown-item")
        prompt = t(f"admin-settings-trial-prompt-{callback_data.item}")
        await _ask(
            query, state, t, prompt, AdminSetting(action=A.TRIAL), kind="trial", item=callback_data.item
        )
        return
    elif action is A.LINK_EDIT:
        if callback_data.item not in LINK_KINDS:
            raise DomainError("settings-unknown-item")
        prompt = t("admin-settings-link-prompt", name=t(f"btn-{callback_data.item}"))
        await _ask(
            query, state, t, prompt, AdminSetting(action=A.LINKS), kind="link", item=callback_data.item
        )
        return
    text, markup = _screen(action, callback_data, t, settings.current, renderer)
    await show(query, text, markup, notice=notice)


def _screen(
    action: SettingAction, data: AdminSetting, t: Translator, current: Effective, renderer: Renderer
) -> tuple[str, InlineKeyboardMarkup]:
    if action is A.TARIFF:
        tariff, _ = _item(current, data)
        return _tariff(t, current, renderer, tariff)
    if action is A.PERIOD:
        tariff, period = _item(current, data)
        if period is None:
            return _tariff(t, current, renderer, tariff)
        return _period(t, current, renderer, tariff, period)
    if action is A.TRIAL:
        return _trial(t, current)
    if action is A.METHODS:
        return _methods(t, current)
    if action is A.LINKS:
        return _links(t, current)
    return _tariffs(t, current)


async def on_input(
    message: Message,
    state: FSMContext,
    t: Translator,
    effective_settings: EffectiveSettings,
    renderer: Renderer,
) -> None:
    """The value an admin typed after a settings prompt."""
    data: dict[str, Any] = await state.get_data()
    value = (message.text or "").strip()
    if not value or len(value) > MAX_INPUT:
        raise DomainError("settings-bad-input")
    actor = message.from_user.id if message.from_user else 0
    kind, item = data.get("kind"), str(data.get("item", ""))
    back = AdminSetting.unpack(str(data["back"]))
    if kind == "price":
        await effective_settings.set_price(str(data["tariff"]), str(data["period"]), item, value, actor=actor)
    elif kind == "trial":
        await effective_settings.set_trial_value(item, value, actor=actor)
    elif kind == "link":
        await effective_settings.set_link(item, value, actor=actor)
    await state.clear()
    text, markup = _screen(back.action, back, t, effective_settings.current, renderer)
    await message.answer(t("admin-settings-saved") + "\n\n" + text, reply_markup=markup)


def build() -> Router:
    router = Router(name="admin-settings")
    router.message.register(home, Command("settings"))
    router.callback_query.register(home, AdminNav.filter(F.section == AdminSection.SETTINGS))
    router.callback_query.register(on_button, AdminSetting.filter())
    router.message.register(on_input, StateFilter(AdminInputStates.setting), F.text, ~F.text.startswith("/"))
    return router
