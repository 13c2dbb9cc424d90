"""The customer keyboards: reused ones are exactly what a fresh build gives, and every cache is bounded.

The reference builders below are the keyboards as they were built before the caches: with aiogram's
InlineKeyboardBuilder and a new Nav(...) per button. Telegram sees ``model_dump`` of the markup (as
JSON), so that is what is compared.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Mapping
from typing import Any

import pytest
from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo
from aiogram.utils.keyboard import InlineKeyboardBuilder

from remnastore.bot import keyboards
from remnastore.bot.callbacks import (
    AddonKind,
    BuyTariff,
    DisconnectDevice,
    Nav,
    Screen,
    SetLanguage,
    nav_data,
)
from remnastore.bot.keyboards.payment import MethodChoice, method_picker
from remnastore.locales import SUPPORTED_LANGUAGES, Locales, Translator
from remnastore.services.devices import DeviceList, DeviceView
from remnastore.services.effective_settings import LINK_KINDS

LOCALES = Locales("en")
TRANSLATORS = [LOCALES.get(language) for language in SUPPORTED_LANGUAGES]
LINK_SETS: list[dict[str, str]] = [
    {},
    {"support": "https://t.me/help"},
    {kind: f"https://example.com/{kind}" for kind in LINK_KINDS},
    {"channel": "https://t.me/news", "terms": "", "status": "https://status.example.com"},
]


def sent(markup: InlineKeyboardMarkup) -> Any:
    return markup.model_dump(mode="json", exclude_none=True)


def old_nav(t: Translator, key: str, screen: Screen) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=t(key), callback_data=Nav(screen=screen).pack())


def old_main_menu(
    t: Translator,
    *,
    trial: bool,
    devices: bool,
    links: Mapping[str, str],
    buy: bool,
    balance: bool,
    referrals: bool,
    promo: bool,
    cabinet: bool,
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    if trial:
        kb.row(old_nav(t, "btn-trial", Screen.TRIAL))
    if buy:
        kb.row(old_nav(t, "btn-buy", Screen.BUY))
    if balance:
        kb.row(old_nav(t, "btn-balance", Screen.BALANCE))
    kb.row(old_nav(t, "btn-subscription", Screen.SUBSCRIPTION))
    if cabinet:
        kb.row(old_nav(t, "btn-cabinet", Screen.CABINET))
    if referrals and promo:
        kb.row(old_nav(t, "btn-referrals", Screen.REFERRALS), old_nav(t, "btn-promo", Screen.PROMO))
    elif referrals:
        kb.row(old_nav(t, "btn-referrals", Screen.REFERRALS))
    elif promo:
        kb.row(old_nav(t, "btn-promo", Screen.PROMO))
    if devices:
        kb.row(old_nav(t, "btn-devices", Screen.DEVICES), old_nav(t, "btn-language", Screen.LANGUAGE))
    else:
        kb.row(old_nav(t, "btn-language", Screen.LANGUAGE))
    url_buttons = [
        InlineKeyboardButton(text=t(f"btn-{kind}"), url=links[kind]) for kind in LINK_KINDS if links.get(kind)
    ]
    for i in range(0, len(url_buttons), 2):
        kb.row(*url_buttons[i : i + 2])
    return kb.as_markup()


def old_connect(t: Translator, link: str, mini_app: str | None) -> InlineKeyboardButton:
    if mini_app:
        return InlineKeyboardButton(text=t("btn-connect"), web_app=WebAppInfo(url=mini_app))
    return InlineKeyboardButton(text=t("btn-connect"), url=link)


def old_subscription(
    t: Translator,
    *,
    link: str | None,
    mini_app: str | None,
    devices: bool,
    trial: bool,
    addon_kinds: Collection[str],
    cabinet: bool,
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    if link:
        kb.row(old_connect(t, link, mini_app))
        kb.row(old_nav(t, "btn-qr", Screen.QR), old_nav(t, "btn-refresh", Screen.SUBSCRIPTION))
        if devices:
            kb.row(old_nav(t, "btn-devices", Screen.DEVICES))
        more = [
            InlineKeyboardButton(text=t(f"btn-more-{kind}"), callback_data=AddonKind(kind=kind).pack())
            for kind in ("traffic", "devices")
            if kind in addon_kinds
        ]
        if more:
            kb.row(*more)
    if cabinet:
        kb.row(old_nav(t, "btn-cabinet", Screen.CABINET))
    if trial:
        kb.row(old_nav(t, "btn-trial", Screen.TRIAL))
    kb.row(old_nav(t, "btn-renew" if link else "btn-buy", Screen.BUY))
    kb.row(old_nav(t, "btn-back", Screen.MAIN))
    return kb.as_markup()


MENU_FLAGS = ("trial", "devices", "buy", "balance", "referrals", "promo", "cabinet")


def test_the_main_menu_is_the_fresh_build_for_every_language_flag_and_link_set() -> None:
    checked = 0
    for t, links in itertools.product(TRANSLATORS, LINK_SETS):
        for values in itertools.product((False, True), repeat=len(MENU_FLAGS)):
            flags = dict(zip(MENU_FLAGS, values, strict=True))
            expected = sent(old_main_menu(t, links=links, **flags))
            first = keyboards.main_menu(t, links=dict(links), **flags)
            again = keyboards.main_menu(t, links=dict(links), **flags)
            assert sent(first) == expected
            assert sent(again) == expected
            checked += 1
    assert checked == len(TRANSLATORS) * len(LINK_SETS) * 2 ** len(MENU_FLAGS)


def test_the_main_menu_is_built_once_and_follows_the_sellers_links() -> None:
    t = LOCALES.get("ru")
    first = keyboards.main_menu(t, trial=True, devices=True, links={"support": "https://t.me/a"})
    assert keyboards.main_menu(t, trial=True, devices=True, links={"support": "https://t.me/a"}) is first
    # the seller changes the support link in the admin settings: the next menu has the new one
    changed = keyboards.main_menu(t, trial=True, devices=True, links={"support": "https://t.me/b"})
    urls = [button.url for row in changed.inline_keyboard for button in row if button.url]
    assert urls == ["https://t.me/b"]
    removed = keyboards.main_menu(t, trial=True, devices=True, links={})
    assert not [button for row in removed.inline_keyboard for button in row if button.url]
    # the other language gets its own labels
    english = keyboards.main_menu(
        LOCALES.get("en"), trial=True, devices=True, links={"support": "https://t.me/a"}
    )
    assert sent(english) != sent(first)


def test_the_menu_caches_are_bounded_whatever_the_links() -> None:
    t = LOCALES.get("en")
    for i in range(1000):
        keyboards.main_menu(t, trial=False, devices=True, links={"support": f"https://t.me/s{i}"})
        keyboards.languages(t, f"x{i}")
    for cached in (keyboards._main_menu, keyboards._languages, keyboards._only_back, keyboards._nav):
        info = cached.cache_info()
        assert info.maxsize is not None
        assert info.currsize <= info.maxsize <= 512


@pytest.mark.parametrize(
    ("link", "mini_app"),
    [(None, None), ("https://sub.example.com/abc", None), ("https://s/x", "https://app/")],
)
def test_the_subscription_keyboard_is_the_fresh_build_and_a_new_one_each_time(
    link: str | None, mini_app: str | None
) -> None:
    for t in TRANSLATORS:
        for devices, trial, cabinet in itertools.product((False, True), repeat=3):
            for kinds in ((), ("traffic",), ("traffic", "devices"), ("devices",)):
                args: dict[str, Any] = dict(
                    link=link, mini_app=mini_app, devices=devices, trial=trial, cabinet=cabinet
                )
                markup = keyboards.subscription(t, addon_kinds=kinds, **args)
                assert sent(markup) == sent(old_subscription(t, addon_kinds=kinds, **args))
    # its handler inserts the auto-renewal row: that must not reach the next customer's screen
    t = TRANSLATORS[0]
    mine = keyboards.subscription(t, link=link, mini_app=mini_app, devices=True, trial=False)
    rows = len(mine.inline_keyboard)
    mine.inline_keyboard.insert(rows - 2, [InlineKeyboardButton(text="x", callback_data="y")])
    theirs = keyboards.subscription(t, link=link, mini_app=mini_app, devices=True, trial=False)
    assert len(theirs.inline_keyboard) == rows


def test_the_other_customer_screens_are_the_fresh_build() -> None:
    listing = DeviceList(
        devices=[
            DeviceView(index=i, token=f"{i:016x}", model=None, platform=None, os_version=None, since=None)
            for i in (1, 2)
        ],
        limit=3,
    )
    for t in TRANSLATORS:
        back = old_nav(t, "btn-back", Screen.MAIN)
        assert sent(keyboards.only_back(t)) == sent(InlineKeyboardMarkup(inline_keyboard=[[back]]))
        for current in SUPPORTED_LANGUAGES:
            kb = InlineKeyboardBuilder()
            kb.row(
                *[
                    InlineKeyboardButton(
                        text=("✅ " if code == current else "") + t(f"language-name-{code}"),
                        callback_data=SetLanguage(code=code).pack(),
                    )
                    for code in SUPPORTED_LANGUAGES
                ]
            )
            kb.row(back)
            assert sent(keyboards.languages(t, current)) == sent(kb.as_markup())
        for mini_app in (None, "https://app.example.com/"):
            kb = InlineKeyboardBuilder()
            kb.row(old_connect(t, "https://s/1", mini_app))
            kb.row(old_nav(t, "btn-subscription", Screen.SUBSCRIPTION))
            kb.row(back)
            assert sent(keyboards.after_trial(t, link="https://s/1", mini_app=mini_app)) == sent(
                kb.as_markup()
            )
            for code in (False, True):
                kb = InlineKeyboardBuilder()
                kb.row(InlineKeyboardButton(text=t("btn-cabinet-browser"), url="https://c/1"))
                if mini_app:
                    kb.row(
                        InlineKeyboardButton(text=t("btn-cabinet-mini-app"), web_app=WebAppInfo(url=mini_app))
                    )
                if code:
                    kb.row(old_nav(t, "btn-cabinet-code", Screen.CABINET_CODE))
                kb.row(back)
                fresh = keyboards.cabinet(t, link="https://c/1", mini_app=mini_app, code=code)
                assert sent(fresh) == sent(kb.as_markup())
        kb = InlineKeyboardBuilder()
        for device in listing.devices:
            data = DisconnectDevice(token=device.token).pack()
            kb.row(InlineKeyboardButton(text=t("btn-disconnect", index=device.index), callback_data=data))
        kb.row(old_nav(t, "btn-refresh", Screen.DEVICES), old_nav(t, "btn-subscription", Screen.SUBSCRIPTION))
        kb.row(back)
        assert sent(keyboards.devices(t, listing)) == sent(kb.as_markup())


def test_the_method_picker_is_the_fresh_build() -> None:
    t = TRANSLATORS[0]
    data: CallbackData = BuyTariff(tariff="month")
    choices = [MethodChoice("yookassa", data, "100 ₽"), MethodChoice("stars", data)]
    extra = [InlineKeyboardButton(text="promo", callback_data="p")]
    back = keyboards.back_to_menu(t)
    kb = InlineKeyboardBuilder()
    kb.row(InlineKeyboardButton(text=f"{t('method-yookassa')} · 100 ₽", callback_data=data.pack()))
    kb.row(InlineKeyboardButton(text=t("method-stars"), callback_data=data.pack()))
    kb.row(extra[0])
    kb.row(back)
    assert sent(method_picker(t, choices, back=back, extra=extra)) == sent(kb.as_markup())


def test_packed_screen_data_is_what_nav_packs() -> None:
    for screen in Screen:
        assert nav_data(screen) == Nav(screen=screen).pack()
        assert Nav.unpack(nav_data(screen)).screen is screen
