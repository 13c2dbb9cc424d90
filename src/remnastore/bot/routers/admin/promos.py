"""Admin: promo codes. The list, a code's card with its edits and activations (the wizard that creates
codes: promo_wizard.py)."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder

from remnastore.bot.callbacks import (
    AdminNav,
    AdminPromoActs,
    AdminPromoCard,
    AdminPromoList,
    AdminSection,
)
from remnastore.bot.keyboards.pager import add_pager
from remnastore.bot.render import Renderer
from remnastore.bot.respond import show
from remnastore.bot.routers.admin.menu import back_to_menu
from remnastore.bot.routers.admin.promo_common import (
    button,
    optional_number,
    terms,
    value_text,
    wizard_step,
)
from remnastore.bot.routing import Router
from remnastore.bot.states import AdminPromoStates
from remnastore.domain.errors import DomainError
from remnastore.locales import Translator
from remnastore.services.promo_admin import MAX_LIMIT, PromoAdmin, PromoRow

# -- list and card ---------------------------------------------------------------------------------


async def list_promos(
    event: Message | CallbackQuery,
    t: Translator,
    state: FSMContext,
    promo_admin: PromoAdmin,
    renderer: Renderer,
    callback_data: AdminPromoList | AdminNav | None = None,
) -> None:
    await state.clear()
    page = callback_data.page if isinstance(callback_data, AdminPromoList) else 0
    rows, more = await promo_admin.page(page)
    lines = [t("admin-promos-title", page=page + 1), ""]
    lines += [_line(row, t, renderer) for row in rows] or [t("admin-promos-empty")]
    kb = InlineKeyboardBuilder()
    for row in rows:
        kb.row(button(("" if row.is_active else "⛔ ") + row.code, AdminPromoCard(promo=row.id)))
    add_pager(kb, page, more, lambda to: AdminPromoList(page=to))
    kb.row(button(t("btn-promo-new"), wizard_step("new")), button(t("btn-promo-bulk"), wizard_step("bulk")))
    kb.row(back_to_menu(t))
    await show(event, "\n".join(lines), kb.as_markup())


def _line(row: PromoRow, t: Translator, renderer: Renderer) -> str:
    return t(
        "admin-promo-line",
        code=row.code,
        value=value_text(row.spec, t, renderer),
        used=row.activations_count,
        limit=str(row.spec.max_activations) if row.spec.max_activations else "∞",
        state=t("admin-promo-on") if row.is_active else t("admin-promo-off"),
    )


async def show_card(
    event: Message | CallbackQuery,
    row: PromoRow,
    t: Translator,
    renderer: Renderer,
    notice: str | None = None,
) -> None:
    spec_terms = terms(row.spec, t, renderer)
    text = t(
        "admin-promo-card",
        code=row.code,
        used=row.activations_count,
        until=renderer.when(row.valid_until, t) if row.valid_until else t("admin-promo-no-end"),
        state=t("admin-promo-on") if row.is_active else t("admin-promo-off"),
        reserved=row.statuses.get("reserved", 0),
        consumed=row.statuses.get("consumed", 0) + row.statuses.get("applied", 0),
        released=row.statuses.get("released", 0),
        **spec_terms,
    )
    kb = InlineKeyboardBuilder()
    kb.row(button(t("btn-promo-activations"), AdminPromoActs(promo=row.id)))
    kb.row(
        button(t("btn-promo-limit"), AdminPromoCard(promo=row.id, action="limit")),
        button(t("btn-promo-validity"), AdminPromoCard(promo=row.id, action="until")),
    )
    toggle = ("btn-promo-off", "off") if row.is_active else ("btn-promo-on", "on")
    kb.row(button(t(toggle[0]), AdminPromoCard(promo=row.id, action=toggle[1])))
    kb.row(button(t("btn-back"), AdminPromoList(page=0)))
    await show(event, text, kb.as_markup(), notice=notice)


async def promo_card(
    query: CallbackQuery,
    callback_data: AdminPromoCard,
    t: Translator,
    state: FSMContext,
    promo_admin: PromoAdmin,
    renderer: Renderer,
) -> None:
    action, actor = callback_data.action, query.from_user.id
    if action in ("off", "on"):
        row = await promo_admin.set_active(callback_data.promo, action == "on", actor=actor)
        await show_card(query, row, t, renderer, notice=t(f"admin-promo-turned-{action}"))
        return
    row = await promo_admin.get(callback_data.promo)
    if action == "limit":
        await state.set_state(AdminPromoStates.edit_limit)
        await state.set_data({"promo_id": row.id})
        await show(query, t("admin-promo-ask-new-limit", code=row.code), _back_to(t, row.id))
        return
    if action == "until":
        await state.set_state(AdminPromoStates.edit_validity)
        await state.set_data({"promo_id": row.id})
        await show(query, t("admin-promo-ask-new-validity", code=row.code), _back_to(t, row.id))
        return
    await state.clear()
    await show_card(query, row, t, renderer)


def _back_to(t: Translator, promo_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[button(t("btn-cancel"), AdminPromoCard(promo=promo_id))]])


async def _edited_promo(state: FSMContext) -> int:
    promo_id = (await state.get_data()).get("promo_id")
    if not isinstance(promo_id, int):
        await state.clear()
        raise DomainError("admin-promo-not-found")
    return promo_id


async def typed_new_limit(
    message: Message, t: Translator, state: FSMContext, promo_admin: PromoAdmin, renderer: Renderer
) -> None:
    promo_id = await _edited_promo(state)
    limit = optional_number(message.text or "", MAX_LIMIT)
    row = await promo_admin.set_limit(promo_id, limit, actor=message.from_user.id if message.from_user else 0)
    await state.clear()
    await show_card(message, row, t, renderer)


async def typed_new_validity(
    message: Message, t: Translator, state: FSMContext, promo_admin: PromoAdmin, renderer: Renderer
) -> None:
    promo_id = await _edited_promo(state)
    days = optional_number(message.text or "", 3650)
    row = await promo_admin.set_validity(
        promo_id, days, actor=message.from_user.id if message.from_user else 0
    )
    await state.clear()
    await show_card(message, row, t, renderer)


async def activations(
    query: CallbackQuery,
    callback_data: AdminPromoActs,
    t: Translator,
    promo_admin: PromoAdmin,
    renderer: Renderer,
) -> None:
    row = await promo_admin.get(callback_data.promo)
    page = callback_data.page
    items, more = await promo_admin.activations(row.id, page)
    lines = [t("admin-promo-activations-title", code=row.code, page=page + 1), ""]
    lines += [
        t(
            "admin-promo-activation-line",
            customer=str(item.telegram_id),
            status=t(f"admin-promo-status-{item.status}"),
            date=renderer.when(item.created_at, t),
            order=item.order_id[:8] if item.order_id else "—",
        )
        for item in items
    ] or [t("admin-promo-activations-empty")]
    kb = InlineKeyboardBuilder()
    add_pager(kb, page, more, lambda to: AdminPromoActs(promo=row.id, page=to))
    kb.row(button(t("btn-back"), AdminPromoCard(promo=row.id)))
    await show(query, "\n".join(lines), kb.as_markup())


def build() -> Router:
    router = Router(name="admin-promos")
    router.message.register(list_promos, Command("promos"))
    router.callback_query.register(list_promos, AdminNav.filter(F.section == AdminSection.PROMOS))
    router.callback_query.register(list_promos, AdminPromoList.filter())
    router.callback_query.register(promo_card, AdminPromoCard.filter())
    router.callback_query.register(activations, AdminPromoActs.filter())
    text = F.text & ~F.text.startswith("/")
    router.message.register(typed_new_limit, AdminPromoStates.edit_limit, text)
    router.message.register(typed_new_validity, AdminPromoStates.edit_validity, text)
    return router
