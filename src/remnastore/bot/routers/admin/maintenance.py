"""Admin: maintenance mode (cluster-wide, stored with the settings) and its message to customers."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from remnastore.bot.callbacks import AdminMaintenance, AdminNav, AdminSection
from remnastore.bot.respond import show
from remnastore.bot.routers.admin.menu import back_to_menu
from remnastore.bot.routing import Router
from remnastore.bot.states import AdminInputStates
from remnastore.locales import Translator
from remnastore.services.effective_settings import MAX_MESSAGE, EffectiveSettings


def _screen(t: Translator, settings: EffectiveSettings) -> tuple[str, InlineKeyboardMarkup]:
    maintenance = settings.current.maintenance
    text = t(
        "admin-maintenance",
        state=t("admin-maintenance-on") if maintenance.enabled else t("admin-maintenance-off"),
        message=maintenance.message or t("admin-maintenance-default-message"),
    )
    kb = InlineKeyboardBuilder()
    action = "off" if maintenance.enabled else "on"
    kb.row(
        InlineKeyboardButton(
            text=t(f"btn-maintenance-{action}"), callback_data=AdminMaintenance(action=action).pack()
        )
    )
    kb.row(
        InlineKeyboardButton(
            text=t("btn-maintenance-message"), callback_data=AdminMaintenance(action="message").pack()
        )
    )
    if maintenance.message:
        kb.row(
            InlineKeyboardButton(
                text=t("btn-maintenance-clear"), callback_data=AdminMaintenance(action="clear").pack()
            )
        )
    kb.row(back_to_menu(t))
    return text, kb.as_markup()


async def screen(
    event: Message | CallbackQuery, state: FSMContext, t: Translator, effective_settings: EffectiveSettings
) -> None:
    await state.clear()
    text, markup = _screen(t, effective_settings)
    await show(event, text, markup)


async def on_button(
    query: CallbackQuery,
    callback_data: AdminMaintenance,
    state: FSMContext,
    t: Translator,
    effective_settings: EffectiveSettings,
) -> None:
    await state.clear()
    actor = query.from_user.id
    if callback_data.action == "message":
        await state.set_state(AdminInputStates.maintenance_message)
        cancel = InlineKeyboardButton(
            text=t("btn-cancel"), callback_data=AdminNav(section=AdminSection.MAINTENANCE).pack()
        )
        await show(
            query,
            t("admin-maintenance-prompt", limit=MAX_MESSAGE),
            InlineKeyboardMarkup(inline_keyboard=[[cancel]]),
        )
        return
    if callback_data.action == "clear":
        await effective_settings.set_maintenance_message(None, actor=actor)
    else:
        await effective_settings.set_maintenance(callback_data.action == "on", actor=actor)
    text, markup = _screen(t, effective_settings)
    await show(query, text, markup, notice=t("admin-settings-saved"))


async def on_message_text(
    message: Message, state: FSMContext, t: Translator, effective_settings: EffectiveSettings
) -> None:
    actor = message.from_user.id if message.from_user else 0
    await effective_settings.set_maintenance_message(message.text, actor=actor)
    await state.clear()
    text, markup = _screen(t, effective_settings)
    await message.answer(t("admin-settings-saved") + "\n\n" + text, reply_markup=markup)


def build() -> Router:
    router = Router(name="admin-maintenance")
    router.message.register(screen, Command("maintenance"))
    router.callback_query.register(screen, AdminNav.filter(F.section == AdminSection.MAINTENANCE))
    router.callback_query.register(on_button, AdminMaintenance.filter())
    router.message.register(
        on_message_text, StateFilter(AdminInputStates.maintenance_message), F.text, ~F.text.startswith("/")
    )
    return router
