"""Admin: draft a broadcast (message, URL buttons, audience), preview, confirm; pause, resume, cancel."""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from aiogram import Bot, F
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from remnastore.bot.broadcasts import audience_label, broadcast_card, url_buttons
from remnastore.bot.callbacks import AdminBroadcast, AdminBroadcastDraft, AdminNav, AdminSection
from remnastore.bot.respond import show
from remnastore.bot.routers.admin.menu import back_to_menu
from remnastore.bot.routing import Router
from remnastore.bot.states import BroadcastStates
from remnastore.locales import Translator
from remnastore.services.broadcasts import (
    AUDIENCES,
    BroadcastNotFound,
    Broadcasts,
    BroadcastView,
    ButtonsError,
    parse_buttons,
)

log = logging.getLogger(__name__)

MAX_BUTTON_LINES_TEXT = 4000


def _drop_button(t: Translator) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=t("btn-broadcast-drop"), callback_data=AdminBroadcastDraft(action="drop").pack()
    )


async def section(
    event: Message | CallbackQuery, t: Translator, broadcasts: Broadcasts, state: FSMContext
) -> None:
    await state.clear()
    recent = await broadcasts.recent()
    lines = [t("broadcasts-title"), ""]
    kb = InlineKeyboardBuilder()
    kb.row(
        InlineKeyboardButton(
            text=t("btn-broadcast-new"), callback_data=AdminBroadcastDraft(action="new").pack()
        )
    )
    if not recent:
        lines.append(t("broadcasts-empty"))
    for view in recent:
        lines.append(
            t(
                "broadcasts-line",
                id=view.id,
                status=t(f"broadcast-status-{view.status}"),
                audience=audience_label(view.audience, t),
                sent=view.stats.sent,
                total=view.stats.total,
            )
        )
        kb.row(InlineKeyboardButton(text=f"#{view.id}", callback_data=AdminBroadcast(id=view.id).pack()))
    kb.row(back_to_menu(t))
    await show(event, "\n".join(lines), kb.as_markup())


async def new_draft(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    await state.clear()
    await state.set_state(BroadcastStates.message)
    kb = InlineKeyboardBuilder()
    kb.row(_drop_button(t))
    await show(query, t("broadcast-ask-message"), kb.as_markup())


async def take_message(message: Message, t: Translator, state: FSMContext) -> None:
    await state.update_data(source_chat_id=message.chat.id, source_message_id=message.message_id, buttons=[])
    await state.set_state(BroadcastStates.buttons)
    kb = InlineKeyboardBuilder()
    kb.row(
        InlineKeyboardButton(
            text=t("btn-broadcast-skip"), callback_data=AdminBroadcastDraft(action="skip").pack()
        ),
        _drop_button(t),
    )
    await message.answer(t("broadcast-ask-buttons"), reply_markup=kb.as_markup())


async def take_buttons(message: Message, t: Translator, state: FSMContext) -> None:
    text = message.text or ""
    try:
        if len(text) > MAX_BUTTON_LINES_TEXT:
            raise ButtonsError(1)
        buttons = parse_buttons(text)
    except ButtonsError as exc:
        await message.answer(t("broadcast-bad-buttons", line=exc.line))
        return
    await state.update_data(buttons=buttons)
    await _ask_audience(message, t, state)


async def skip_buttons(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    if await state.get_state() != BroadcastStates.buttons.state:
        await query.answer(t("broadcast-draft-gone"))
        return
    await _ask_audience(query, t, state)


async def _ask_audience(event: Message | CallbackQuery, t: Translator, state: FSMContext) -> None:
    await state.set_state(BroadcastStates.audience)
    kb = InlineKeyboardBuilder()
    for audience in AUDIENCES:
        kb.row(
            InlineKeyboardButton(
                text=audience_label(audience, t),
                callback_data=AdminBroadcastDraft(action="aud", audience=audience).pack(),
            )
        )
    kb.row(_drop_button(t))
    await show(event, t("broadcast-ask-audience"), kb.as_markup())


async def preview(
    query: CallbackQuery,
    callback_data: AdminBroadcastDraft,
    t: Translator,
    state: FSMContext,
    broadcasts: Broadcasts,
    bot: Bot,
) -> None:
    data = await state.get_data()
    if await state.get_state() != BroadcastStates.audience.state or callback_data.audience not in AUDIENCES:
        await query.answer(t("broadcast-draft-gone"))
        return
    await query.answer()
    count = await broadcasts.audience_size(callback_data.audience)  # before the preview: shown together
    try:
        await bot.copy_message(
            query.from_user.id,
            data["source_chat_id"],
            data["source_message_id"],
            reply_markup=url_buttons(data.get("buttons") or []),
        )
    except TelegramBadRequest as exc:
        log.info("a broadcast draft cannot be copied: %s", exc.message)
        await state.set_state(BroadcastStates.message)
        await bot.send_message(query.from_user.id, t("broadcast-cannot-copy"))
        return
    await state.update_data(audience=callback_data.audience)
    await state.set_state(BroadcastStates.confirm)
    kb = InlineKeyboardBuilder()
    if count:
        kb.row(
            InlineKeyboardButton(
                text=t("btn-broadcast-send"), callback_data=AdminBroadcastDraft(action="send").pack()
            )
        )
    kb.row(_drop_button(t))
    await bot.send_message(
        query.from_user.id,
        t("broadcast-confirm", audience=audience_label(callback_data.audience, t), count=count),
        reply_markup=kb.as_markup(),
    )


async def confirm(query: CallbackQuery, t: Translator, state: FSMContext, broadcasts: Broadcasts) -> None:
    data = await state.get_data()
    if await state.get_state() != BroadcastStates.confirm.state or data.get("audience") not in AUDIENCES:
        await query.answer(t("broadcast-draft-gone"))
        return
    await state.clear()
    view = await broadcasts.create(
        actor_telegram_id=query.from_user.id,
        source_chat_id=int(data["source_chat_id"]),
        source_message_id=int(data["source_message_id"]),
        buttons=[[str(a), str(b)] for a, b in data.get("buttons") or []],
        audience=str(data["audience"]),
    )
    await show(query, t("broadcast-started", id=view.id, total=view.stats.total))


async def drop(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    await state.clear()
    await show(query, t("broadcast-dropped"))


async def _card(query: CallbackQuery, t: Translator, view: Awaitable[BroadcastView]) -> None:
    try:
        shown = await view
    except BroadcastNotFound:
        await query.answer(t("broadcast-not-found"), show_alert=True)
        return
    text, markup = broadcast_card(shown, t)
    await show(query, text, markup)


async def card(
    query: CallbackQuery, callback_data: AdminBroadcast, t: Translator, broadcasts: Broadcasts
) -> None:
    await _card(query, t, broadcasts.get(callback_data.id))


async def pause(
    query: CallbackQuery, callback_data: AdminBroadcast, t: Translator, broadcasts: Broadcasts
) -> None:
    await _card(query, t, broadcasts.pause(callback_data.id, actor_telegram_id=query.from_user.id))


async def resume(
    query: CallbackQuery, callback_data: AdminBroadcast, t: Translator, broadcasts: Broadcasts
) -> None:
    await _card(query, t, broadcasts.resume(callback_data.id, actor_telegram_id=query.from_user.id))


async def cancel(
    query: CallbackQuery, callback_data: AdminBroadcast, t: Translator, broadcasts: Broadcasts
) -> None:
    await _card(query, t, broadcasts.cancel(callback_data.id, actor_telegram_id=query.from_user.id))


def build() -> Router:
    router = Router(name="admin-broadcasts")
    router.message.register(section, Command("broadcast"))
    router.callback_query.register(section, AdminNav.filter(F.section == AdminSection.BROADCASTS))
    router.callback_query.register(new_draft, AdminBroadcastDraft.filter(F.action == "new"))
    router.callback_query.register(skip_buttons, AdminBroadcastDraft.filter(F.action == "skip"))
    router.callback_query.register(preview, AdminBroadcastDraft.filter(F.action == "aud"))
    router.callback_query.register(confirm, AdminBroadcastDraft.filter(F.action == "send"))
    router.callback_query.register(drop, AdminBroadcastDraft.filter(F.action == "drop"))
    router.callback_query.register(pause, AdminBroadcast.filter(F.action == "pause"))
    router.callback_query.register(resume, AdminBroadcast.filter(F.action == "resume"))
    router.callback_query.register(cancel, AdminBroadcast.filter(F.action == "cancel"))
    router.callback_query.register(card, AdminBroadcast.filter())
    not_a_command = ~F.text.startswith("/")  # commands still work in the middle of a draft
    router.message.register(take_message, StateFilter(BroadcastStates.message), not_a_command)
    router.message.register(take_buttons, StateFilter(BroadcastStates.buttons), not_a_command)
    return router
