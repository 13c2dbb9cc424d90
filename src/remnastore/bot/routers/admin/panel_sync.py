"""Admin: the panel sync (import panel users with a Telegram id), with a live progress message."""

from __future__ import annotations

import time
from contextlib import suppress

from aiogram import Bot, F
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from remnastore.bot.callbacks import AdminNav, AdminSection, AdminSync
from remnastore.bot.render import Renderer
from remnastore.bot.respond import show
from remnastore.bot.routers.admin.menu import back_to_menu
from remnastore.bot.routing import Router
from remnastore.locales import Html, Translator
from remnastore.services.panel_sync import PanelSync, SyncProgress, SyncReport

PROGRESS_EVERY = 1.5  # seconds between edits of the progress message


def _report(report: SyncReport, t: Translator) -> Html:
    return t(
        "sync-report",
        users=report.panel_users,
        skipped=report.skipped,
        created=report.created,
        linked=report.linked,
        updated=report.expiry_updated,
        unchanged=report.unchanged,
    )


async def section(
    event: Message | CallbackQuery, t: Translator, panel_sync: PanelSync, renderer: Renderer
) -> None:
    last = await panel_sync.last_report()
    lines = [t("sync-title"), ""]
    if panel_sync.running:
        lines.append(t("sync-running"))
    elif last is None:
        lines.append(t("sync-never"))
    else:
        when, report = last
        lines += [t("sync-last", when=renderer.when(when, t)), _report(report, t)]
    kb = InlineKeyboardBuilder()
    kb.row(InlineKeyboardButton(text=t("btn-sync-run"), callback_data=AdminSync().pack()))
    kb.row(back_to_menu(t))
    await show(event, "\n".join(lines), kb.as_markup())


async def run(query: CallbackQuery, t: Translator, panel_sync: PanelSync, bot: Bot) -> None:
    if panel_sync.running:
        await query.answer(t("sync-running"), show_alert=True)
        return
    await query.answer()
    message = await bot.send_message(query.from_user.id, t("sync-started"))
    last_edit = 0.0

    async def edit(text: str) -> None:
        with suppress(TelegramBadRequest):  # unchanged, or the admin deleted it
            await bot.edit_message_text(text, chat_id=message.chat.id, message_id=message.message_id)

    async def progress(step: SyncProgress) -> None:
        nonlocal last_edit
        if time.monotonic() - last_edit < PROGRESS_EVERY and step.done < step.total:
            return
        last_edit = time.monotonic()
        await edit(t(f"sync-progress-{step.stage}", done=step.done, total=step.total))

    async def done(report: SyncReport | None) -> None:
        await edit(t("sync-done") + "\n" + _report(report, t) if report is not None else t("sync-failed"))

    if not panel_sync.start(progress, done, actor_telegram_id=query.from_user.id):
        await edit(t("sync-running"))


def build() -> Router:
    router = Router(name="admin-sync")
    router.message.register(section, Command("sync"))
    router.callback_query.register(section, AdminNav.filter(F.section == AdminSection.SYNC))
    router.callback_query.register(run, AdminSync.filter())
    return router
