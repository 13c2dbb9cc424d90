"""Inline keyboards: the menu and account screens here; payment screens in .payment, the pager in .pager.

Rendering is on the path of every update, so it is kept cheap: a keyboard that depends only on the
language, flags and the shop's links (main menu, languages, "back") is built once and reused (bounded
LRU caches), and a static button (a label and a screen) is one shared object. Keyboards holding a
customer's data (links with tokens, device tokens) are built per update, as plain lists of rows. Buttons
and cached markups are shared: callers must not change them (a fresh markup's list of rows may be).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from remnastore.bot.callbacks import AddonKind, DisconnectDevice, Screen, SetLanguage, nav_data
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


Row = list[InlineKeyboardButton]


@lru_cache(maxsize=512)
def _nav(text: str, screen: Screen) -> InlineKeyboardButton:
    """The button opening ``screen``: one shared object per label and screen (never changed)."""
    return InlineKeyboardButton(text=text, callback_data=nav_data(screen))


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
    """The main menu; one shared markup per language, flags and link buttons (do not change it)."""
    shown = tuple((kind, url) for kind in LINK_KINDS if (url := links.get(kind)))
    return _main_menu(t, shown, trial, devices, buy, balance, referrals, promo, cabinet)


@lru_cache(maxsize=256)
def _main_menu(
    t: Translator,
    links: tuple[tuple[str, str], ...],
    trial: bool,
    devices: bool,
    buy: bool,
    balance: bool,
    referrals: bool,
    promo: bool,
    cabinet: bool,
) -> InlineKeyboardMarkup:
    rows: list[Row] = []
    if trial:
        rows.append([_nav(t("btn-trial"), Screen.TRIAL)])
    if buy:
        rows.append([_nav(t("btn-buy"), Screen.BUY)])
    if balance:
        rows.append([_nav(t("btn-balance"), Screen.BALANCE)])
    rows.append([_nav(t("btn-subscription"), Screen.SUBSCRIPTION)])
    if cabinet:
        rows.append([_nav(t("btn-cabinet"), Screen.CABINET)])
    if referrals and promo:
        rows.append([_nav(t("btn-referrals"), Screen.REFERRALS), _nav(t("btn-promo"), Screen.PROMO)])
    elif referrals:
        rows.append([_nav(t("btn-referrals"), Screen.REFERRALS)])
    elif promo:
        rows.append([_nav(t("btn-promo"), Screen.PROMO)])
    if devices:
        rows.append([_nav(t("btn-devices"), Screen.DEVICES), _nav(t("btn-language"), Screen.LANGUAGE)])
    else:
        rows.append([_nav(t("btn-language"), Screen.LANGUAGE)])
    url_buttons = [InlineKeyboardButton(text=t(f"btn-{kind}"), url=url) for kind, url in links]
    rows.extend(url_buttons[i : i + 2] for i in range(0, len(url_buttons), 2))
    return InlineKeyboardMarkup(inline_keyboard=rows)


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
    """``addon_kinds``: the kinds of add-ons on sale to this customer ("traffic", "devices").

    A fresh markup every time: the screen's handler inserts the auto-renewal row into it."""
    rows: list[Row] = []
    if link:
        rows.append([connect_button(t, link, mini_app)])
        rows.append([_nav(t("btn-qr"), Screen.QR), _nav(t("btn-refresh"), Screen.SUBSCRIPTION)])
        if devices:
            rows.append([_nav(t("btn-devices"), Screen.DEVICES)])
        more = [
            InlineKeyboardButton(text=t(f"btn-more-{kind}"), callback_data=AddonKind(kind=kind).pack())
            for kind in ("traffic", "devices")
            if kind in addon_kinds
        ]
        if more:
            rows.append(more)
    if cabinet:
        rows.append([_nav(t("btn-cabinet"), Screen.CABINET)])
    if trial:
        rows.append([_nav(t("btn-trial"), Screen.TRIAL)])
    rows.append([_nav(t("btn-renew") if link else t("btn-buy"), Screen.BUY)])
    rows.append([back_to_menu(t)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def after_trial(t: Translator, *, link: str, mini_app: str | None) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [connect_button(t, link, mini_app)],
            [_nav(t("btn-subscription"), Screen.SUBSCRIPTION)],
            [back_to_menu(t)],
        ]
    )


def devices(t: Translator, listing: DeviceList) -> InlineKeyboardMarkup:
    rows: list[Row] = [
        [
            InlineKeyboardButton(
                text=t("btn-disconnect", index=device.index),
                callback_data=DisconnectDevice(token=device.token).pack(),
            )
        ]
        for device in listing.devices
    ]
    rows.append([_nav(t("btn-refresh"), Screen.DEVICES), _nav(t("btn-subscription"), Screen.SUBSCRIPTION)])
    rows.append([back_to_menu(t)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def languages(t: Translator, current: str) -> InlineKeyboardMarkup:
    """The language picker; one shared markup per language and current choice (do not change it)."""
    return _languages(t, current)


@lru_cache(maxsize=32)
def _languages(t: Translator, current: str) -> InlineKeyboardMarkup:
    names = {code: t(f"language-name-{code}") for code in SUPPORTED_LANGUAGES}
    choices = [
        InlineKeyboardButton(
            text=("✅ " if code == current else "") + name, callback_data=SetLanguage(code=code).pack()
        )
        for code, name in names.items()
    ]
    return InlineKeyboardMarkup(inline_keyboard=[choices, [back_to_menu(t)]])


def only_back(t: Translator) -> InlineKeyboardMarkup:
    """Just "back to the menu"; one shared markup per language (do not change it)."""
    return _only_back(t)


@lru_cache(maxsize=16)
def _only_back(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[back_to_menu(t)]])


def cabinet(t: Translator, *, link: str, mini_app: str | None, code: bool = False) -> InlineKeyboardMarkup:
    """The personal sign-in link (any browser), on an https address the cabinet as a Mini App, and a
    one-time sign-in code when the shop gives them."""
    rows: list[Row] = [[InlineKeyboardButton(text=t("btn-cabinet-browser"), url=link)]]
    if mini_app:
        rows.append([InlineKeyboardButton(text=t("btn-cabinet-mini-app"), web_app=WebAppInfo(url=mini_app))])
    if code:
        rows.append([_nav(t("btn-cabinet-code"), Screen.CABINET_CODE)])
    rows.append([back_to_menu(t)])
    return InlineKeyboardMarkup(inline_keyboard=rows)
