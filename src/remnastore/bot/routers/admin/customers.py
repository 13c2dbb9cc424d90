"""Admin: find customers, open a card, act on a customer (each action is done and audited by the service)."""

from __future__ import annotations

import logging

from aiogram import F
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from remnastore.bot.callbacks import (
    AdminCustomer,
    AdminCustomers,
    AdminCustomerSearch,
    AdminNav,
    AdminOrder,
    AdminSection,
    CustomerAction,
)
from remnastore.bot.display_names import language_name, provider_name, subscription_kind, tariff_name
from remnastore.bot.keyboards.pager import add_pager
from remnastore.bot.render import Renderer
from remnastore.bot.respond import show
from remnastore.bot.routers.admin.menu import back_to_menu
from remnastore.bot.routing import Router
from remnastore.bot.states import AdminCustomerStates
from remnastore.domain.catalogue import Catalogue
from remnastore.domain.errors import DomainError
from remnastore.domain.typed_numbers import typed_int_or_none
from remnastore.locales import Translator
from remnastore.services.customer_admin import CustomerAdmin
from remnastore.services.customer_cards import CustomerCard, CustomerRow
from remnastore.services.effective_settings import EffectiveSettings

log = logging.getLogger(__name__)
A = CustomerAction
MAX_QUERY = 80

# Actions that need the admin to type something next, with the state that takes it and its prompt.
PROMPTS: dict[CustomerAction, tuple[State, str]] = {
    A.EXTEND: (AdminCustomerStates.extend_days, "admin-customer-extend-prompt"),
    A.EXPIRY: (AdminCustomerStates.expiry, "admin-customer-expiry-prompt"),
    A.DEVICES: (AdminCustomerStates.device_limit, "admin-customer-devices-prompt"),
    A.MESSAGE: (AdminCustomerStates.message, "admin-customer-message-prompt"),
    A.DELETE: (AdminCustomerStates.delete, "admin-customer-delete-prompt"),
}


def _button_text(row: CustomerRow) -> str:
    name = f"@{row.username}" if row.username else (row.first_name or "—")
    return f"{'🚫 ' if row.is_banned else ''}{name[:40]} · {row.telegram_id}"


def _customer_buttons(kb: InlineKeyboardBuilder, rows: list[CustomerRow]) -> None:
    for row in rows:
        kb.row(
            InlineKeyboardButton(text=_button_text(row), callback_data=AdminCustomer(customer=row.id).pack())
        )


async def list_customers(
    query: CallbackQuery,
    t: Translator,
    customer_admin: CustomerAdmin,
    state: FSMContext,
    callback_data: AdminCustomers | AdminNav,
) -> None:
    await state.clear()
    page = callback_data.page if isinstance(callback_data, AdminCustomers) else 0
    rows, more = await customer_admin.page(page)
    kb = InlineKeyboardBuilder()
    kb.row(InlineKeyboardButton(text=t("btn-customer-search"), callback_data=AdminCustomerSearch().pack()))
    _customer_buttons(kb, rows)
    add_pager(kb, page, more, lambda to: AdminCustomers(page=to))
    kb.row(back_to_menu(t))
    text = (
        t("admin-customers-title", page=page + 1)
        + "\n\n"
        + t("admin-customers-hint" if rows else "admin-customers-empty")
    )
    await show(query, text, kb.as_markup())


def _to_list(t: Translator) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.row(
        InlineKeyboardButton(
            text=t("btn-cancel"), callback_data=AdminNav(section=AdminSection.CUSTOMERS).pack()
        )
    )
    return kb.as_markup()


async def ask_search(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    await state.set_state(AdminCustomerStates.search)
    await show(query, t("admin-customer-search-prompt"), _to_list(t))


async def search(message: Message, t: Translator, customer_admin: CustomerAdmin, state: FSMContext) -> None:
    text = (message.text or "").strip()
    if not text or len(text) > MAX_QUERY:
        await message.answer(t("admin-customer-search-prompt"), reply_markup=_to_list(t))
        return
    rows = await customer_admin.search(text)
    if not rows:
        await message.answer(t("admin-customer-search-none", query=text), reply_markup=_to_list(t))
        return
    await state.clear()
    kb = InlineKeyboardBuilder()
    _customer_buttons(kb, rows)
    kb.row(InlineKeyboardButton(text=t("btn-customer-search"), callback_data=AdminCustomerSearch().pack()))
    kb.row(InlineKeyboardButton(text=t("btn-customers-list"), callback_data=AdminCustomers().pack()))
    await message.answer(t("admin-customer-search-results", count=len(rows)), reply_markup=kb.as_markup())


def panel_status_text(status: str, t: Translator) -> str:
    """The panel's status as the admin reads it (ACTIVE, DISABLED, LIMITED, EXPIRED, DELETED)."""
    key = f"panel-status-{status.lower()}"
    return t(key) if t.has(key) else status


def render_card(card: CustomerCard, t: Translator, renderer: Renderer, catalogue: Catalogue) -> str:
    row = card.row
    lines = [
        t(
            "admin-customer-card",
            id=str(row.id),
            telegram_id=str(row.telegram_id),
            name=row.first_name or "—",
            username=f"@{row.username}" if row.username else "—",
            language=language_name(card.language, t),
            created=renderer.when(row.created_at, t),
            seen=renderer.when(card.last_seen_at, t),
            state=t("admin-customer-state-banned" if row.is_banned else "admin-customer-state-active"),
            trial=renderer.when(card.trial_used_at, t)
            if card.trial_used_at
            else t("admin-customer-trial-unused"),
            balance=renderer.money(card.balance, t),
        ),
    ]
    if card.subscription_expires_at is not None:
        lines.append(
            t(
                "admin-customer-subscription",
                kind=subscription_kind(card.subscription_kind, t),
                tariff=tariff_name(card.subscription_tariff, catalogue, t),
                expires=renderer.when(card.subscription_expires_at, t),
            )
        )
        if card.subscription_panel_status is not None:
            status = panel_status_text(card.subscription_panel_status, t)
            lines.append(t("admin-customer-panel-status", status=status))
    panel = card.panel
    if panel is not None:
        lines.append(
            t(
                "admin-customer-panel",
                status=panel_status_text(panel.status, t),
                expires=renderer.when(panel.expires_at, t),
                used=renderer.size(panel.used_bytes, t),
                limit=renderer.traffic_limit(panel.limit_bytes, t),
                devices=str(panel.device_limit) if panel.device_limit else t("devices-no-limit"),
                username=row.panel_username or "—",
                link=panel.link,
            )
        )
    else:
        lines.append(
            t("admin-customer-panel-unavailable" if card.panel_unavailable else "admin-customer-no-panel")
        )
    paid = ", ".join(renderer.money(m, t) for m in card.paid) or "—"
    lines.append(t("admin-customer-orders", count=card.orders_count, paid=paid))
    for order in card.recent_orders:
        lines.append(
            t(
                "admin-customer-order-line",
                order=order.id[:8],
                date=renderer.date(order.created_at, t),
                amount=renderer.money(order.amount, t),
                provider=provider_name(order.provider, t),
                status=t(f"order-status-{order.status}"),
            )
        )
    lines.append(
        t(
            "admin-customer-referrals",
            invited=card.invited,
            paying=card.invited_paying,
            referrer=str(card.referrer_telegram_id) if card.referrer_telegram_id else "—",
        )
    )
    promos = ", ".join(f"{code} ({status})" for code, status in card.promos) or "—"
    lines.append(t("admin-customer-promos", promos=promos))
    return "\n".join(lines)


def card_markup(card: CustomerCard, t: Translator) -> InlineKeyboardMarkup:
    cid = card.row.id
    kb = InlineKeyboardBuilder()

    def button(key: str, action: CustomerAction) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=t(key), callback_data=AdminCustomer(customer=cid, action=action).pack()
        )

    ban = button("btn-customer-unban", A.UNBAN) if card.row.is_banned else button("btn-customer-ban", A.BAN)
    kb.row(button("btn-customer-extend", A.EXTEND), button("btn-customer-expiry", A.EXPIRY))
    kb.row(button("btn-customer-devices", A.DEVICES), button("btn-customer-traffic", A.TRAFFIC))
    kb.row(button("btn-customer-revoke", A.REVOKE), button("btn-customer-trial", A.TRIAL))
    kb.row(button("btn-customer-message", A.MESSAGE), button("btn-customer-refund", A.REFUND))
    kb.row(ban, button("btn-customer-delete", A.DELETE))
    kb.row(InlineKeyboardButton(text=t("btn-customers-list"), callback_data=AdminCustomers().pack()))
    kb.row(back_to_menu(t))
    return kb.as_markup()


async def _show_card(
    event: Message | CallbackQuery,
    customer_id: int,
    t: Translator,
    customer_admin: CustomerAdmin,
    renderer: Renderer,
    effective_settings: EffectiveSettings,
    *,
    notice: str | None = None,
) -> None:
    card = await customer_admin.card(customer_id)
    text = render_card(card, t, renderer, effective_settings.current.catalogue)
    if notice and isinstance(event, Message):
        text = notice + "\n\n" + text
    await show(event, text, card_markup(card, t), notice=notice)


def _cancel(customer_id: int, t: Translator) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.row(
        InlineKeyboardButton(text=t("btn-cancel"), callback_data=AdminCustomer(customer=customer_id).pack())
    )
    return kb.as_markup()


async def customer_action(
    query: CallbackQuery,
    callback_data: AdminCustomer,
    t: Translator,
    customer_admin: CustomerAdmin,
    renderer: Renderer,
    state: FSMContext,
    effective_settings: EffectiveSettings,
) -> None:
    cid, action, actor = callback_data.customer, callback_data.action, query.from_user.id
    await state.clear()
    prompt = PROMPTS.get(action)
    if prompt is not None:
        telegram_id = await customer_admin.telegram_id(cid)
        await state.set_state(prompt[0])
        await state.update_data(customer=cid)
        await show(query, t(prompt[1], telegram_id=str(telegram_id)), _cancel(cid, t))
        return
    if action == A.REFUND:
        await _refund_list(query, cid, t, customer_admin, renderer)
        return
    notice: str | None = None
    if action in (A.BAN, A.UNBAN):
        await customer_admin.set_banned(cid, action == A.BAN, actor=actor)
        notice = t("admin-customer-banned-done" if action == A.BAN else "admin-customer-unbanned-done")
    elif action == A.TRAFFIC:
        await customer_admin.reset_traffic(cid, actor=actor)
        notice = t("admin-customer-traffic-reset")
    elif action == A.REVOKE:
        await customer_admin.revoke_link(cid, actor=actor)
        notice = t("admin-customer-link-revoked")
    elif action == A.TRIAL:
        await customer_admin.reset_trial(cid, actor=actor)
        notice = t("admin-customer-trial-reset")
    await _show_card(query, cid, t, customer_admin, renderer, effective_settings, notice=notice)


async def _refund_list(
    query: CallbackQuery, customer_id: int, t: Translator, customer_admin: CustomerAdmin, renderer: Renderer
) -> None:
    orders = await customer_admin.refundable_orders(customer_id)
    kb = InlineKeyboardBuilder()
    for order in orders:
        label = f"#{order.id[:8]} · {renderer.date(order.created_at, t)} · {renderer.money(order.amount, t)}"
        kb.row(
            InlineKeyboardButton(text=label, callback_data=AdminOrder(order=order.id, action="refund").pack())
        )
    kb.row(InlineKeyboardButton(text=t("btn-back"), callback_data=AdminCustomer(customer=customer_id).pack()))
    await show(
        query, t("admin-customer-refund-title" if orders else "admin-customer-refund-none"), kb.as_markup()
    )


async def _customer_from_state(state: FSMContext) -> int | None:
    value = (await state.get_data()).get("customer")
    return value if isinstance(value, int) else None


def _number(message: Message) -> int | None:
    return typed_int_or_none(message.text or "", high=999_999)


async def typed_input(
    message: Message,
    t: Translator,
    customer_admin: CustomerAdmin,
    renderer: Renderer,
    state: FSMContext,
    effective_settings: EffectiveSettings,
) -> None:
    """Days to add, an expiry date, a device limit or the delete confirmation, typed after the button."""
    cid = await _customer_from_state(state)
    current = await state.get_state()
    if cid is None:
        await state.clear()
        return
    actor = message.from_user.id if message.from_user else 0
    try:
        if current == AdminCustomerStates.extend_days.state:
            days = _number(message)
            if days is None:
                raise DomainError("admin-customer-not-a-number")
            expires = await customer_admin.extend(cid, days, actor=actor)
            notice = t("admin-customer-extended", days=days, expires=renderer.when(expires, t))
        elif current == AdminCustomerStates.expiry.state:
            when = customer_admin.parse_date(message.text or "")
            expires = await customer_admin.set_expiry(cid, when, actor=actor)
            notice = t("admin-customer-expiry-set", expires=renderer.when(expires, t))
        elif current == AdminCustomerStates.device_limit.state:
            limit = _number(message)
            if limit is None:
                raise DomainError("admin-customer-not-a-number")
            await customer_admin.set_device_limit(cid, limit, actor=actor)
            notice = t("admin-customer-devices-set", limit=limit)
        else:
            await customer_admin.delete(cid, confirmation=message.text or "", actor=actor)
            await state.clear()
            await message.answer(t("admin-customer-deleted"), reply_markup=_to_list(t))
            return
    except DomainError as exc:
        if exc.text_key == "admin-customer-delete-mismatch":
            await state.clear()
            await _show_card(
                message, cid, t, customer_admin, renderer, effective_settings, notice=renderer.error(exc, t)
            )
            return
        await message.answer(renderer.error(exc, t), reply_markup=_cancel(cid, t))
        return
    await state.clear()
    await _show_card(message, cid, t, customer_admin, renderer, effective_settings, notice=notice)


async def forward_message(
    message: Message,
    t: Translator,
    customer_admin: CustomerAdmin,
    renderer: Renderer,
    state: FSMContext,
    effective_settings: EffectiveSettings,
) -> None:
    """Copy the admin's next message (any kind: text, photo, video, document...) to the customer."""
    cid = await _customer_from_state(state)
    await state.clear()
    if cid is None:
        return
    telegram_id = await customer_admin.telegram_id(cid)
    try:
        await message.copy_to(telegram_id)
        delivered = True
    except TelegramAPIError as exc:
        log.info("admin message not delivered: %s", exc.message, extra={"customer_id": cid})
        delivered = False
    actor = message.from_user.id if message.from_user else 0
    await customer_admin.record_message(cid, actor=actor, delivered=delivered, kind=message.content_type)
    notice = t("admin-customer-message-sent" if delivered else "admin-customer-message-failed")
    await _show_card(message, cid, t, customer_admin, renderer, effective_settings, notice=notice)


def build() -> Router:
    router = Router(name="admin-customers")
    router.callback_query.register(list_customers, AdminNav.filter(F.section == AdminSection.CUSTOMERS))
    router.callback_query.register(list_customers, AdminCustomers.filter())
    router.callback_query.register(ask_search, AdminCustomerSearch.filter())
    router.callback_query.register(customer_action, AdminCustomer.filter())
    router.message.register(search, AdminCustomerStates.search)
    router.message.register(forward_message, AdminCustomerStates.message)
    router.message.register(
        typed_input,
        AdminCustomerStates.extend_days,
        F.text,
    )
    router.message.register(typed_input, AdminCustomerStates.expiry, F.text)
    router.message.register(typed_input, AdminCustomerStates.device_limit, F.text)
    router.message.register(typed_input, AdminCustomerStates.delete, F.text)
    return router
