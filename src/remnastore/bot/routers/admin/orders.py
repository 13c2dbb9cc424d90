"""Admin: orders with a status filter and pages, an order card, CSV export, Stars refunds."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from remnastore.bot.callbacks import AdminNav, AdminOrder, AdminOrders, AdminOrdersCsv, AdminSection
from remnastore.bot.display_names import provider_name, tariff_name
from remnastore.bot.keyboards.pager import add_pager
from remnastore.bot.render import Renderer
from remnastore.bot.respond import show
from remnastore.bot.routers.admin.menu import back_to_menu
from remnastore.bot.routing import Router
from remnastore.locales import Translator
from remnastore.services.effective_settings import EffectiveSettings
from remnastore.services.order_admin import STATUSES, OrderAdmin, OrderRow


def _line(row: OrderRow, t: Translator, renderer: Renderer) -> str:
    return t(
        "admin-order-line",
        order=row.id[:8],
        date=renderer.date(row.created_at, t),
        amount=renderer.money(row.amount, t),
        provider=provider_name(row.provider, t),
        status=t(f"order-status-{row.status}"),
        customer=str(row.telegram_id),
    )


async def list_orders(
    event: Message | CallbackQuery,
    t: Translator,
    order_admin: OrderAdmin,
    renderer: Renderer,
    callback_data: AdminOrders | AdminNav | None = None,
) -> None:
    listing = callback_data if isinstance(callback_data, AdminOrders) else None
    status = listing.status if listing else "all"
    page = listing.page if listing else 0
    rows, more = await order_admin.page(status, page)
    lines = [t("admin-orders-title", status=t(f"order-status-{status}"), page=page + 1), ""]
    lines += [_line(r, t, renderer) for r in rows] or [t("admin-orders-empty")]
    kb = InlineKeyboardBuilder()
    filters = [
        InlineKeyboardButton(
            text=("• " if s == status else "") + t(f"order-status-{s}"),
            callback_data=AdminOrders(status=s, page=0).pack(),
        )
        for s in STATUSES
    ]
    for i in range(0, len(filters), 4):
        kb.row(*filters[i : i + 4])
    for row in rows:
        kb.row(
            InlineKeyboardButton(
                text=f"#{row.id[:8]} · {renderer.money(row.amount, t)}",
                callback_data=AdminOrder(order=row.id).pack(),
            )
        )
    add_pager(kb, page, more, lambda to: AdminOrders(status=status, page=to))
    kb.row(InlineKeyboardButton(text=t("btn-export-csv"), callback_data=AdminOrdersCsv(status=status).pack()))
    kb.row(back_to_menu(t))
    await show(event, "\n".join(lines), kb.as_markup())


async def order_card(
    query: CallbackQuery,
    callback_data: AdminOrder,
    t: Translator,
    order_admin: OrderAdmin,
    renderer: Renderer,
    effective_settings: EffectiveSettings,
) -> None:
    notice = None
    if callback_data.action == "confirm":
        row = await order_admin.refund(callback_data.order, actor_telegram_id=query.from_user.id)
        notice = t("admin-refund-done")
    else:
        row = await order_admin.get(callback_data.order)
    catalogue = effective_settings.current.catalogue
    text: str = t(
        "admin-order-card",
        order=row.id,
        status=t(f"order-status-{row.status}"),
        kind=row.kind,
        amount=renderer.money(row.amount, t),
        provider=provider_name(row.provider, t),
        payment=row.provider_payment_id or "—",
        customer=str(row.telegram_id),
        item=f"{tariff_name(row.tariff_code, catalogue, t)} / {row.period_code or '—'}",
        created=renderer.when(row.created_at, t),
        paid=renderer.when(row.paid_at, t) if row.paid_at else "—",
        fulfilled=renderer.when(row.fulfilled_at, t) if row.fulfilled_at else "—",
        error=row.last_error or "—",
    )
    kb = InlineKeyboardBuilder()
    if row.refundable:
        if callback_data.action == "refund":
            text += "\n\n" + t("admin-refund-confirm", amount=renderer.money(row.amount, t))
            kb.row(
                InlineKeyboardButton(
                    text=t("btn-refund-confirm"),
                    callback_data=AdminOrder(order=row.id, action="confirm").pack(),
                ),
                InlineKeyboardButton(text=t("btn-cancel"), callback_data=AdminOrder(order=row.id).pack()),
            )
        else:
            kb.row(
                InlineKeyboardButton(
                    text=t("btn-refund"), callback_data=AdminOrder(order=row.id, action="refund").pack()
                )
            )
    kb.row(InlineKeyboardButton(text=t("btn-back"), callback_data=AdminOrders(status="all", page=0).pack()))
    await show(query, text, kb.as_markup(), notice=notice)


async def export_csv(
    query: CallbackQuery, callback_data: AdminOrdersCsv, t: Translator, order_admin: OrderAdmin
) -> None:
    data = await order_admin.csv(callback_data.status)
    await query.answer()
    if query.bot is not None:
        await query.bot.send_document(
            query.from_user.id,
            BufferedInputFile(data, filename=f"orders-{callback_data.status}.csv"),
            caption=t("admin-orders-csv"),
        )


def build() -> Router:
    router = Router(name="admin-orders")
    router.message.register(list_orders, Command("orders"))
    router.callback_query.register(list_orders, AdminOrders.filter())
    router.callback_query.register(list_orders, AdminNav.filter(F.section == AdminSection.ORDERS))
    router.callback_query.register(order_card, AdminOrder.filter())
    router.callback_query.register(export_csv, AdminOrdersCsv.filter())
    return router
