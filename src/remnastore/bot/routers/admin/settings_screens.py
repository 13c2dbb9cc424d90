"""Admin settings: the screens (tariffs, a tariff, a period's prices, the trial, methods, links)."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from remnastore.bot.callbacks import AdminSetting, SettingAction
from remnastore.bot.render import Renderer
from remnastore.bot.routers.admin.menu import back_to_menu
from remnastore.domain.catalogue import Period, Tariff
from remnastore.domain.errors import DomainError
from remnastore.locales import Translator
from remnastore.services.effective_settings import LINK_KINDS, TRIAL_FIELDS, Effective

A = SettingAction
MAX_INPUT = 600


def button(text: str, action: SettingAction, **ids: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=AdminSetting(action=action, **ids).pack())


def back_button(t: Translator, action: SettingAction | None = None, **ids: str) -> InlineKeyboardButton:
    if action is None:
        return back_to_menu(t)
    return button(t("btn-back"), action, **ids)


def mark(enabled: bool) -> str:
    return "✅" if enabled else "⛔"


def prices_text(period: Period, renderer: Renderer, t: Translator) -> str:
    return ", ".join(renderer.money(price, t) for price in period.prices.values())


def tariffssettings_screen(t: Translator, current: Effective) -> tuple[str, InlineKeyboardMarkup]:
    lines = [t("admin-settings-tariffs"), ""]
    kb = InlineKeyboardBuilder()
    for tariff in current.full_catalogue.tariffs:
        enabled = tariff.code not in current.disabled_tariffs
        name = tariff.name(t.language)
        lines.append(f"{mark(enabled)} {name}")
        kb.row(button(f"{mark(enabled)} {name}", A.TARIFF, tariff=tariff.code))
    kb.row(back_button(t, A.HOME))
    return "\n".join(lines), kb.as_markup()


def tariffsettings_screen(
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
        button(
            t("btn-settings-disable") if enabled else t("btn-settings-enable"),
            A.TARIFF_TOGGLE,
            tariff=tariff.code,
        )
    )
    for period in tariff.periods:
        on = (tariff.code, period.code) not in current.disabled_periods
        label = f"{mark(on)} {renderer.period(period, t)} · {prices_text(period, renderer, t)}"
        kb.row(button(label, A.PERIOD, tariff=tariff.code, period=period.code))
    kb.row(back_button(t, A.TARIFFS))
    return text, kb.as_markup()


def periodsettings_screen(
    t: Translator, current: Effective, renderer: Renderer, tariff: Tariff, period: Period
) -> tuple[str, InlineKeyboardMarkup]:
    enabled = (tariff.code, period.code) not in current.disabled_periods
    text = t(
        "admin-settings-period",
        tariff=tariff.name(t.language),
        period=renderer.period(period, t),
        state=t("admin-settings-on") if enabled else t("admin-settings-off"),
        prices=prices_text(period, renderer, t),
    )
    kb = InlineKeyboardBuilder()
    kb.row(
        button(
            t("btn-settings-disable") if enabled else t("btn-settings-enable"),
            A.PERIOD_TOGGLE,
            tariff=tariff.code,
            period=period.code,
        )
    )
    prices = [
        button(
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
    kb.row(back_button(t, A.TARIFF, tariff=tariff.code))
    return text, kb.as_markup()


def trialsettings_screen(t: Translator, current: Effective) -> tuple[str, InlineKeyboardMarkup]:
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
        button(t("btn-settings-trial-off") if trial.enabled else t("btn-settings-trial-on"), A.TRIAL_TOGGLE)
    )
    kb.row(*[button(t(f"btn-settings-trial-{name}"), A.TRIAL_EDIT, item=name) for name in TRIAL_FIELDS])
    kb.row(back_button(t, A.HOME))
    return text, kb.as_markup()


def methodssettings_screen(t: Translator, current: Effective) -> tuple[str, InlineKeyboardMarkup]:
    lines = [t("admin-settings-methods"), ""]
    kb = InlineKeyboardBuilder()
    for index, method in enumerate(current.method_order, start=1):
        on = method not in current.disabled_methods
        name = t(f"method-{method}")
        lines.append(f"{index}. {mark(on)} {name}")
        kb.row(
            button(f"{mark(on)} {name}", A.METHOD_TOGGLE, item=method),
            button("⬆️", A.METHOD_UP, item=method),
            button("⬇️", A.METHOD_DOWN, item=method),
        )
    if not current.method_order:
        lines.append(t("admin-settings-no-methods"))
    kb.row(back_button(t, A.HOME))
    return "\n".join(lines), kb.as_markup()


def linkssettings_screen(t: Translator, current: Effective) -> tuple[str, InlineKeyboardMarkup]:
    lines = [t("admin-settings-links"), ""]
    kb = InlineKeyboardBuilder()
    for kind in LINK_KINDS:
        url = current.links.get(kind)
        lines.append(t("admin-settings-link-line", name=t(f"btn-{kind}"), url=url or "—"))
        row = [button(t("btn-settings-link-edit", name=t(f"btn-{kind}")), A.LINK_EDIT, item=kind)]
        if url:
            row.append(button("🗑", A.LINK_REMOVE, item=kind))
        kb.row(*row)
    kb.row(back_button(t, A.HOME))
    return "\n".join(lines), kb.as_markup()


def setting_item(current: Effective, data: AdminSetting) -> tuple[Tariff, Period | None]:
    tariff = current.full_catalogue.tariff(data.tariff)
    if tariff is None:
        raise DomainError("settings-unknown-item")
    if not data.period:
        return tariff, None
    period = tariff.period(data.period)
    if period is None:
        raise DomainError("settings-unknown-item")
    return tariff, period


def settings_screen(
    action: SettingAction, data: AdminSetting, t: Translator, current: Effective, renderer: Renderer
) -> tuple[str, InlineKeyboardMarkup]:
    if action is A.TARIFF:
        tariff, _ = setting_item(current, data)
        return tariffsettings_screen(t, current, renderer, tariff)
    if action is A.PERIOD:
        tariff, period = setting_item(current, data)
        if period is None:
            return tariffsettings_screen(t, current, renderer, tariff)
        return periodsettings_screen(t, current, renderer, tariff, period)
    if action is A.TRIAL:
        return trialsettings_screen(t, current)
    if action is A.METHODS:
        return methodssettings_screen(t, current)
    if action is A.LINKS:
        return linkssettings_screen(t, current)
    return tariffssettings_screen(t, current)
