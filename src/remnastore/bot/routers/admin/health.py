"""Admin: /health (database, Redis, panel, payment providers, queues, version, uptime) and backups."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command
from aiogram.types import CallbackQuery, FSInputFile, InlineKeyboardButton, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from remnastore.bot.callbacks import AdminBackup, AdminNav, AdminSection
from remnastore.bot.render import Renderer
from remnastore.bot.respond import show
from remnastore.bot.routers.admin.menu import back_to_menu
from remnastore.bot.routing import Router
from remnastore.locales import Translator
from remnastore.ops.backup import human_size
from remnastore.services.backups import BackupShelf
from remnastore.services.shop_health import ShopHealth

SHOWN_ARCHIVES = 10


def _uptime(seconds: int, t: Translator) -> str:
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    return str(t("admin-health-uptime", days=days, hours=hours, minutes=rest // 60))


async def health(event: Message | CallbackQuery, t: Translator, shop_health: ShopHealth) -> None:
    snapshot = await shop_health.snapshot()
    lines = [t("admin-health-title" if snapshot.ok else "admin-health-title-problems"), ""]
    if snapshot.example_catalogue:
        lines += [t("admin-health-example-catalogue"), ""]
    for component in snapshot.components:
        key = "admin-health-up" if component.ok else "admin-health-down"
        lines.append(t(key, name=component.name, detail=component.detail))
    lines.append("")
    lines.append(
        t(
            "admin-health-queues",
            fulfilment=snapshot.awaiting_fulfilment,
            payment=snapshot.awaiting_payment,
        )
    )
    if snapshot.running_broadcasts is not None:
        lines.append(t("admin-health-broadcasts", count=snapshot.running_broadcasts))
    lines.append(
        t(
            "admin-health-version",
            version=snapshot.version,
            uptime=_uptime(int(snapshot.uptime.total_seconds()), t),
        )
    )
    kb = InlineKeyboardBuilder()
    kb.row(
        InlineKeyboardButton(
            text=t("btn-refresh"), callback_data=AdminNav(section=AdminSection.HEALTH).pack()
        )
    )
    kb.row(back_to_menu(t))
    await show(event, "\n".join(lines), kb.as_markup())


async def backups(
    event: Message | CallbackQuery,
    t: Translator,
    backup_shelf: BackupShelf,
    renderer: Renderer,
    header: str | None = None,
) -> None:
    archives = await backup_shelf.archives()
    lines = [header, ""] if header else []
    lines += [t("admin-backups-title", count=len(archives)), ""]
    kb = InlineKeyboardBuilder()
    kb.row(
        InlineKeyboardButton(text=t("btn-backup-create"), callback_data=AdminBackup(action="create").pack())
    )
    for archive in archives[:SHOWN_ARCHIVES]:
        when = renderer.when(archive.created_at, t)
        size = human_size(archive.size)
        lines.append(t("admin-backup-line", name=archive.name, date=when, size=size))
        kb.row(
            InlineKeyboardButton(
                text=t("btn-backup-send", date=when, size=size),
                callback_data=AdminBackup(action="send", name=archive.name).pack(),
            )
        )
    if not archives:
        lines.append(t("admin-backups-empty"))
    kb.row(back_to_menu(t))
    await show(event, "\n".join(lines), kb.as_markup())


async def backup_action(
    query: CallbackQuery,
    callback_data: AdminBackup,
    t: Translator,
    backup_shelf: BackupShelf,
    renderer: Renderer,
) -> None:
    if callback_data.action == "create":
        await query.answer(t("admin-backup-started"))
        archive = await backup_shelf.create()
        if isinstance(query.message, Message):
            header = t("admin-backup-created", name=archive.name, size=human_size(archive.size))
            await backups(query.message, t, backup_shelf, renderer, header=header)
        return
    archive = await backup_shelf.archive(callback_data.name)
    await query.answer()
    if query.bot is not None:
        await query.bot.send_document(
            query.from_user.id,
            FSInputFile(archive.path),
            caption=t("admin-backup-caption", name=archive.name),
        )


def build() -> Router:
    router = Router(name="admin-health")
    router.message.register(health, Command("health"))
    router.callback_query.register(health, AdminNav.filter(F.section == AdminSection.HEALTH))
    router.message.register(backups, Command("backups"))
    router.callback_query.register(backups, AdminNav.filter(F.section == AdminSection.BACKUPS))
    router.callback_query.register(backup_action, AdminBackup.filter())
    return router
