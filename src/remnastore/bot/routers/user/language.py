"""Language switch."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from remnastore.bot.callbacks import Screen, SetLanguage
from remnastore.bot.filters import OpensScreen
from remnastore.bot.keyboards import MenuOptions, languages
from remnastore.bot.respond import show
from remnastore.bot.routers.user.start import render_menu
from remnastore.bot.routing import Router
from remnastore.locales import SUPPORTED_LANGUAGES, Locales, Translator
from remnastore.services.accounts import AccountService, CustomerView
from remnastore.services.subscriptions import SubscriptionService


async def choose(event: Message | CallbackQuery, t: Translator, customer: CustomerView) -> None:
    await show(event, t("language-choose"), languages(t, customer.language))


async def set_language(
    query: CallbackQuery,
    callback_data: SetLanguage,
    customer: CustomerView,
    accounts: AccountService,
    locales: Locales,
    subscriptions: SubscriptionService,
    menu: MenuOptions,
) -> None:
    updated = await accounts.set_language(customer, callback_data.code)
    t = locales.get(updated.language)
    await render_menu(query, t, updated, subscriptions, menu, prefix=t("language-set") + "\n\n")


def build() -> Router:
    router = Router(name="language")
    router.message.register(choose, Command("language"))
    router.callback_query.register(choose, OpensScreen(Screen.LANGUAGE))
    router.callback_query.register(set_language, SetLanguage.filter(F.code.in_(SUPPORTED_LANGUAGES)))
    return router
