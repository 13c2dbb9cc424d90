"""Admin: self-employed tax receipts that need a look (failed, skipped by rule, long waiting) and a
retry button for failed ones."""

from __future__ import annotations

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from remnastore.bot.callbacks import AdminNav, AdminReceiptRetry, AdminSection
from remnastore.bot.render import Renderer
from remnastore.bot.respond import show
from remnastore.bot.routers.admin.menu import back_to_menu
from remnastore.bot.routing import Router
from remnastore.db.models import TaxReceiptStatus
from remnastore.locales import Translator
from remnastore.receipts.queue import TaxReceipts


async def _screen(
    t: Translator, renderer: Renderer, receipts: TaxReceipts | None
) -> tuple[str, InlineKeyboardMarkup]:
    kb = InlineKeyboardBuilder()
    if receipts is None or not receipts.enabled:
        kb.row(back_to_menu(t))
        return t("admin-receipts-off"), kb.as_markup()
    problems = await receipts.problems()
    lines = [t("admin-receipts-title", count=len(problems))]
    for view in problems:
        lines.append(
            t(
                "admin-receipts-line",
                order=view.order_id,
                amount=renderer.money(view.amount, t),
                status=t(f"admin-receipt-status-{view.status}"),
                attempts=view.attempts,
                reason=view.last_error or view.note or "—",
            )
        )
        if view.status == TaxReceiptStatus.FAILED:
            kb.row(
                InlineKeyboardButton(
                    text=t("btn-receipt-retry", order=view.order_id[:8]),
                    callback_data=AdminReceiptRetry(receipt=view.id).pack(),
                )
            )
    if not problems:
        lines.append(t("admin-receipts-none"))
    kb.row(
        InlineKeyboardButton(
            text=t("btn-refresh"), callback_data=AdminNav(section=AdminSection.RECEIPTS).pack()
        )
    )
    kb.row(back_to_menu(t))
    return "\n\n".join(lines), kb.as_markup()


async def screen(
    event: Message | CallbackQuery,
    state: FSMContext,
    t: Translator,
    renderer: Renderer,
    tax_receipts: TaxReceipts | None = None,
) -> None:
    await state.clear()
    text, markup = await _screen(t, renderer, tax_receipts)
    await show(event, text, markup)


async def on_retry(
    query: CallbackQuery,
    callback_data: AdminReceiptRetry,
    t: Translator,
    renderer: Renderer,
    tax_receipts: TaxReceipts | None = None,
) -> None:
    queued = tax_receipts is not None and await tax_receipts.retry(callback_data.receipt)
    text, markup = await _screen(t, renderer, tax_receipts)
    await show(
        query, text, markup, notice=t("admin-receipts-retried" if queued else "admin-receipts-not-failed")
    )


def build() -> Router:
    router = Router(name="admin-tax-receipts")
    router.callback_query.register(screen, AdminNav.filter(F.section == AdminSection.RECEIPTS))
    router.callback_query.register(on_retry, AdminReceiptRetry.filter())
    return router
