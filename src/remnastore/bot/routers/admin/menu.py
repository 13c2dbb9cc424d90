"""The admin menu: ``/admin`` and "back to the menu", one button per section that this shop has."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from remnastore.bot.callbacks import AdminNav, AdminSection
from remnastore.bot.respond import show
from remnastore.bot.routing import Router
from remnastore.locales import Translator


def menu_markup(sections: Sequence[AdminSection], t: Translator) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for section in sections:
        kb.button(text=t(f"admin-section-{section.value}"), callback_data=AdminNav(section=section))
    kb.adjust(2)
    return kb.as_markup()


def back_to_menu(t: Translator) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=t("btn-admin-menu"), callback_data=AdminNav().pack())


def build(sections: Sequence[AdminSection]) -> Router:
    shown = tuple(sections)

    async def open_menu(event: Message | CallbackQuery, t: Translator, state: FSMContext) -> None:
        await state.clear()
        await show(event, t("admin-menu-title"), menu_markup(shown, t))

    router = Router(name="admin-menu")
    router.message.register(open_menu, Command("admin"))
    router.callback_query.register(open_menu, AdminNav.filter(F.section.is_(None)))
    return router
