"""Inline keyboards: the menu and account screens here; payment screens in .payment, the pager in .pager."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo
from aiogram.utils.keyboard import InlineKeyboardBuilder

from remnastore.bot.callbacks import AddonKind, DisconnectDevice, Nav, Screen, SetLanguage
from remnastore.locales import SUPPORTED_LANGUAGES, Translator
from remnastore.services.devices import DeviceList
from remnastore.services.effective_settings import LINK_KINDS


@dataclass(frozen=True)
class MenuOptions:
    """How the customer screens look: configuration, with the link buttons in force
    (kind -> URL, see EffectiveSettings) put in for every update."""

    links: Mapping[str, str] = field(default_factory=dict)
    devices_enabled: bool = True
    mini_app: str | None = None
    balance_enabled: bool = False
    referrals_enabled: bool = False
    promos_enabled: bool = False
    #: the customer cabinet's button (a sign-in link) in the main menu and on My subscription
    cabinet_enabled: bool = False


def _nav(text: str, screen: Screen) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=Nav(screen=screen).pack())


def back_to_menu(t: Translator) -> InlineKeyboardButton:
    return _nav(t("btn-back"), Screen.MAIN)


def main_menu(
    t: Translator,
    *,
    trial: bool,
    devices: bool,
    links: Mapping[str, str],
    buy: bool = True,
    balance: bool = False,
    referrals: bool = False,
    promo: bool = False,
    cabinet: bool = False,
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    if trial:
        kb.row(_nav(t("btn-trial"), Screen.TRIAL))
    if buy:
        kb.row(_nav(t("btn-buy"), Screen.BUY))
    if balance:
        kb.row(_nav(t("btn-balance"), Screen.BALANCE))
    kb.row(_nav(t("btn-subscription"), Screen.SUBSCRIPTION))
    if cabinet:
        kb.row(_nav(t("btn-cabinet"), Screen.CABINET))
    if referrals and promo:
        kb.row(_nav(t("btn-referrals"), Screen.REFERRALS), _nav(t("btn-promo"), Screen.PROMO))
    elif referrals:
        kb.row(_nav(t("btn-referrals"), Screen.REFERRALS))
    elif promo:
        kb.row(_nav(t("btn-promo"), Screen.PROMO))
    if devices:
        kb.row(_nav(t("btn-devices"), Screen.DEVICES), _nav(t("btn-language"), Screen.LANGUAGE))
    else:
        kb.row(_nav(t("btn-language"), Screen.LANGUAGE))
    url_buttons = [
        InlineKeyboardButton(text=t(f"btn-{kind}"), url=links[kind]) for kind in LINK_KINDS if links.get(kind)
    ]
    for i in range(0, len(url_buttons), 2):
        kb.row(*url_buttons[i : i + 2])
    return kb.as_markup()


def connect_button(t: Translator, link: str, mini_app: str | None) -> InlineKeyboardButton:
    if mini_app:
        return InlineKeyboardButton(text=t("btn-connect"), web_app=WebAppInfo(url=mini_app))
    return InlineKeyboardButton(text=t("btn-connect"), url=link)


def subscription(
    t: Translator,
    *,
    link: str | None,
    mini_app: str | None,
    devices: bool,
    trial: bool,
    addon_kinds: Collection[str] = (),
    cabinet: bool = False,
) -> InlineKeyboardMarkup:
    """``addon_kinds``: the kinds of add-ons on sale to this customer ("traffic", "devices")."""
    kb = InlineKeyboardBuilder()
    if link:
        kb.row(connect_button(t, link, mini_app))
        kb.row(_nav(t("btn-qr"), Screen.QR), _nav(t("btn-refresh"), Screen.SUBSCRIPTION))
        if devices:
            kb.row(_nav(t("btn-devices"), Screen.DEVICES))
        more = [
            InlineKeyboardButton(text=t(f"btn-more-{kind}"), callback_data=AddonKind(kind=kind).pack())
            for kind in ("traffic", "devices")
            if kind in addon_kinds
        ]
        if more:
            kb.row(*more)
    if cabinet:
        kb.row(_nav(t("btn-cabinet"), Screen.CABINET))
    if trial:
        kb.row(_nav(t("btn-trial"), Screen.TRIAL))
    kb.row(_nav(t("btn-renew") if link else t("btn-buy"), Screen.BUY))
    kb.row(back_to_menu(t))
    return kb.as_markup()


def after_trial(t: Translator, *, link: str, mini_app: str | None) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.row(connect_button(t, link, mini_app))
    kb.row(_nav(t("btn-subscription"), Screen.SUBSCRIPTION))
    kb.row(back_to_menu(t))
    return kb.as_markup()


def devices(t: Translator, listing: DeviceList) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for device in listing.devices:
        kb.row(
            InlineKeyboardButton(
                text=t("btn-disconnect", index=device.index),
                callback_data=DisconnectDevice(token=device.token).pack(),
            )
        )
    kb.row(_nav(t("btn-refresh"), Screen.DEVICES), _nav(t("btn-subscription"), Screen.SUBSCRIPTION))
    kb.row(back_to_menu(t))
    return kb.as_markup()


def languages(t: Translator, current: str) -> InlineKeyboardMarkup:
    names = {code: t(f"language-name-{code}") for code in SUPPORTED_LANGUAGES}
    kb = InlineKeyboardBuilder()
    kb.row(
        *[
            InlineKeyboardButton(
                text=("✅ " if code == current else "") + name, callback_data=SetLanguage(code=code).pack()
            )
            for code, name in names.items()
        ]
    )
    kb.row(back_to_menu(t))
    return kb.as_markup()


def only_back(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[back_to_menu(t)]])


def cabinet(t: Translator, *, link: str, mini_app: str | None, code: bool = False) -> InlineKeyboardMarkup:
    """The personal sign-in link (any browser), on an https address the cabinet as a Mini App, and a
    one-time sign-in code when the shop gives them."""
    kb = InlineKeyboardBuilder()
    kb.row(InlineKeyboardButton(text=t("btn-cabinet-browser"), url=link))
    if mini_app:
        kb.row(InlineKeyboardButton(text=t("btn-cabinet-mini-app"), web_app=WebAppInfo(url=mini_app)))
    if code:
        kb.row(_nav(t("btn-cabinet-code"), Screen.CABINET_CODE))
    kb.row(back_to_menu(t))
    return kb.as_markup()
