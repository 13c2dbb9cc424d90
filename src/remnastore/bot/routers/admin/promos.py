"""Admin: promo codes. A step-by-step wizard (one code or a batch with a CSV), the list, a code's card
with its edits and activations."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder

from remnastore.bot.callbacks import (
    AdminNav,
    AdminPromoActs,
    AdminPromoCard,
    AdminPromoList,
    AdminPromoWizard,
    AdminSection,
)
from remnastore.bot.keyboards.pager import add_pager
from remnastore.bot.render import Renderer
from remnastore.bot.respond import show
from remnastore.bot.routers.admin.menu import back_to_menu
from remnastore.bot.states import AdminPromoStates
from remnastore.domain.errors import DomainError
from remnastore.domain.promos import PromoKindName
from remnastore.locales import Translator
from remnastore.services.promo_admin import MAX_BULK, MAX_LIMIT, PromoAdmin, PromoRow, PromoSpec

KINDS = tuple(kind.value for kind in PromoKindName)


def _button(text: str, data: Any) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _wizard(step: str, value: str = "") -> AdminPromoWizard:
    return AdminPromoWizard(step=step, value=value)


def _cancel(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_button(t("btn-cancel"), _wizard("cancel"))]])


def value_text(spec: PromoSpec, t: Translator, renderer: Renderer) -> str:
    amount = spec.amount
    if amount is not None:
        return renderer.money(amount, t)
    return t(f"admin-promo-value-{spec.kind}", value=spec.value)


def _terms(spec: PromoSpec, t: Translator, renderer: Renderer) -> dict[str, str]:
    return {
        "kind": t(f"admin-promo-kind-{spec.kind}"),
        "value": value_text(spec, t, renderer),
        "limit": str(spec.max_activations) if spec.max_activations else t("admin-promo-unlimited"),
        "first": t("admin-yes") if spec.first_purchase_only else t("admin-no"),
        "tariffs": ", ".join(spec.tariff_codes) if spec.tariff_codes else t("admin-promo-all-tariffs"),
    }


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
        kb.row(_button(("" if row.is_active else "⛔ ") + row.code, AdminPromoCard(promo=row.id)))
    add_pager(kb, page, more, lambda to: AdminPromoList(page=to))
    kb.row(_button(t("btn-promo-new"), _wizard("new")), _button(t("btn-promo-bulk"), _wizard("bulk")))
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


async def _card(
    event: Message | CallbackQuery,
    row: PromoRow,
    t: Translator,
    renderer: Renderer,
    notice: str | None = None,
) -> None:
    terms = _terms(row.spec, t, renderer)
    text = t(
        "admin-promo-card",
        code=row.code,
        used=row.activations_count,
        until=renderer.when(row.valid_until, t) if row.valid_until else t("admin-promo-no-end"),
        state=t("admin-promo-on") if row.is_active else t("admin-promo-off"),
        reserved=row.statuses.get("reserved", 0),
        consumed=row.statuses.get("consumed", 0) + row.statuses.get("applied", 0),
        released=row.statuses.get("released", 0),
        **terms,
    )
    kb = InlineKeyboardBuilder()
    kb.row(_button(t("btn-promo-activations"), AdminPromoActs(promo=row.id)))
    kb.row(
        _button(t("btn-promo-limit"), AdminPromoCard(promo=row.id, action="limit")),
        _button(t("btn-promo-validity"), AdminPromoCard(promo=row.id, action="until")),
    )
    toggle = ("btn-promo-off", "off") if row.is_active else ("btn-promo-on", "on")
    kb.row(_button(t(toggle[0]), AdminPromoCard(promo=row.id, action=toggle[1])))
    kb.row(_button(t("btn-back"), AdminPromoList(page=0)))
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
        await _card(query, row, t, renderer, notice=t(f"admin-promo-turned-{action}"))
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
    await _card(query, row, t, renderer)


def _back_to(t: Translator, promo_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_button(t("btn-cancel"), AdminPromoCard(promo=promo_id))]])


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
    limit = _optional_number(message.text or "", MAX_LIMIT)
    row = await promo_admin.set_limit(promo_id, limit, actor=message.from_user.id if message.from_user else 0)
    await state.clear()
    await _card(message, row, t, renderer)


async def typed_new_validity(
    message: Message, t: Translator, state: FSMContext, promo_admin: PromoAdmin, renderer: Renderer
) -> None:
    promo_id = await _edited_promo(state)
    days = _optional_number(message.text or "", 3650)
    row = await promo_admin.set_validity(
        promo_id, days, actor=message.from_user.id if message.from_user else 0
    )
    await state.clear()
    await _card(message, row, t, renderer)


def _optional_number(text: str, top: int) -> int | None:
    """A number from 0 to ``top``; 0 means none."""
    cleaned = text.strip()
    if cleaned == "0":
        return None
    return PromoAdmin.parse_count(cleaned, top)


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
    kb.row(_button(t("btn-back"), AdminPromoCard(promo=row.id)))
    await show(query, "\n".join(lines), kb.as_markup())


# -- the wizard --------------------------------------------------------------------------------------


async def wizard_button(
    query: CallbackQuery,
    callback_data: AdminPromoWizard,
    t: Translator,
    state: FSMContext,
    promo_admin: PromoAdmin,
    renderer: Renderer,
    bot: Bot,
) -> None:
    step, value = callback_data.step, callback_data.value
    data = await state.get_data()
    if step == "cancel":
        await list_promos(query, t, state, promo_admin, renderer)
        return
    if step == "new":
        await state.set_data({"mode": "one"})
        await state.set_state(AdminPromoStates.code)
        markup = InlineKeyboardMarkup(
            inline_keyboard=[
                [_button(t("btn-promo-generate"), _wizard("gen"))],
                [_button(t("btn-cancel"), _wizard("cancel"))],
            ]
        )
        await show(query, t("admin-promo-ask-code"), markup)
        return
    if step == "bulk":
        await state.set_data({"mode": "bulk"})
        await state.set_state(AdminPromoStates.count)
        await show(query, t("admin-promo-ask-count", high=MAX_BULK), _cancel(t))
        return
    if "mode" not in data:  # a button of a wizard that is over (or never started)
        await list_promos(query, t, state, promo_admin, renderer)
        return
    if step == "gen":
        await state.update_data(code=None)
        await _ask_kind(query, t)
    elif step == "kind" and value in KINDS:
        await state.update_data(kind=value)
        await state.set_state(AdminPromoStates.value)
        await show(
            query, t(f"admin-promo-ask-value-{value}", currency=promo_admin.default_currency), _cancel(t)
        )
    elif step == "nolimit" and "value" in data:
        await state.update_data(limit=None)
        await _ask_validity(query, t, state)
    elif step == "nodate" and "value" in data:
        await state.update_data(days=None)
        await _ask_first(query, t, state)
    elif step == "first" and value in ("yes", "no") and "value" in data:
        await state.update_data(first=value == "yes")
        await _ask_tariffs(query, t, state, promo_admin)
    elif step == "tariff" and "first" in data:
        if value != "all" and promo_admin.catalogue.tariff(value) is None:
            raise DomainError("admin-promo-bad-tariffs", known="")
        await state.update_data(tariffs=None if value == "all" else [value])
        await _confirm(query, t, state, promo_admin, renderer)
    elif step == "create" and "first" in data:
        await _create(query, t, state, promo_admin, renderer, bot)
    else:
        await list_promos(query, t, state, promo_admin, renderer)


async def _ask_kind(event: Message | CallbackQuery, t: Translator) -> None:
    kb = InlineKeyboardBuilder()
    for kind in KINDS:
        kb.row(_button(t(f"admin-promo-kind-{kind}"), _wizard("kind", kind)))
    kb.row(_button(t("btn-cancel"), _wizard("cancel")))
    await show(event, t("admin-promo-ask-kind"), kb.as_markup())


async def _ask_validity(event: Message | CallbackQuery, t: Translator, state: FSMContext) -> None:
    await state.set_state(AdminPromoStates.validity)
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("btn-promo-no-end"), _wizard("nodate"))],
            [_button(t("btn-cancel"), _wizard("cancel"))],
        ]
    )
    await show(event, t("admin-promo-ask-validity"), markup)


async def _ask_first(event: Message | CallbackQuery, t: Translator, state: FSMContext) -> None:
    await state.set_state(None)
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(t("admin-yes"), _wizard("first", "yes")),
                _button(t("admin-no"), _wizard("first", "no")),
            ],
            [_button(t("btn-cancel"), _wizard("cancel"))],
        ]
    )
    await show(event, t("admin-promo-ask-first"), markup)


async def _ask_tariffs(
    event: Message | CallbackQuery, t: Translator, state: FSMContext, promo_admin: PromoAdmin
) -> None:
    await state.set_state(AdminPromoStates.tariffs)
    kb = InlineKeyboardBuilder()
    kb.row(_button(t("admin-promo-all-tariffs"), _wizard("tariff", "all")))
    for tariff in promo_admin.catalogue.tariffs:
        kb.row(_button(tariff.name(t.language), _wizard("tariff", tariff.code)))
    kb.row(_button(t("btn-cancel"), _wizard("cancel")))
    await show(event, t("admin-promo-ask-tariffs"), kb.as_markup())


def _spec(data: dict[str, Any]) -> PromoSpec:
    tariffs = data.get("tariffs")
    return PromoSpec(
        kind=str(data["kind"]),
        value=int(data["value"]),
        currency=data.get("currency"),
        max_activations=data.get("limit"),
        valid_days=data.get("days"),
        first_purchase_only=bool(data.get("first")),
        tariff_codes=tuple(tariffs) if tariffs else None,
    )


async def _confirm(
    event: Message | CallbackQuery,
    t: Translator,
    state: FSMContext,
    promo_admin: PromoAdmin,
    renderer: Renderer,
) -> None:
    await state.set_state(None)
    data = await state.get_data()
    spec = _spec(data)
    what = (
        t("admin-promo-confirm-bulk", count=int(data["count"]))
        if data.get("mode") == "bulk"
        else t("admin-promo-confirm-one", code=data.get("code") or t("admin-promo-generated"))
    )
    text = t(
        "admin-promo-confirm",
        what=what,
        validity=t("admin-promo-days", days=spec.valid_days) if spec.valid_days else t("admin-promo-no-end"),
        **_terms(spec, t, renderer),
    )
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("btn-promo-create"), _wizard("create"))],
            [_button(t("btn-cancel"), _wizard("cancel"))],
        ]
    )
    await show(event, text, markup)


async def _create(
    query: CallbackQuery,
    t: Translator,
    state: FSMContext,
    promo_admin: PromoAdmin,
    renderer: Renderer,
    bot: Bot,
) -> None:
    data = await state.get_data()
    spec = _spec(data)
    await state.clear()
    actor = query.from_user.id
    if data.get("mode") == "bulk":
        count = int(data["count"])
        codes = await promo_admin.bulk(spec, count, actor=actor)
        me = await bot.me()
        document = BufferedInputFile(
            promo_admin.csv(codes, spec, me.username or ""), filename=f"promo-codes-{count}.csv"
        )
        await bot.send_document(actor, document, caption=t("admin-promo-bulk-done", count=len(codes)))
        await list_promos(query, t, state, promo_admin, renderer)
        return
    code = data.get("code")
    row = await promo_admin.create(spec, str(code) if code else None, actor=actor)
    await _card(query, row, t, renderer, notice=t("admin-promo-created"))


async def typed_count(message: Message, t: Translator, state: FSMContext) -> None:
    count = PromoAdmin.parse_count(message.text or "", MAX_BULK)
    await state.update_data(count=count)
    await _ask_kind(message, t)


async def typed_code(message: Message, t: Translator, state: FSMContext, promo_admin: PromoAdmin) -> None:
    code = PromoAdmin.check_code(message.text or "")
    if await promo_admin.find(code) is not None:
        raise DomainError("admin-promo-code-taken")
    await state.update_data(code=code)
    await _ask_kind(message, t)


async def typed_value(message: Message, t: Translator, state: FSMContext, promo_admin: PromoAdmin) -> None:
    data = await state.get_data()
    value, currency = promo_admin.parse_value(str(data.get("kind")), message.text or "")
    await state.update_data(value=value, currency=currency)
    await state.set_state(AdminPromoStates.limit)
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("btn-promo-no-limit"), _wizard("nolimit"))],
            [_button(t("btn-cancel"), _wizard("cancel"))],
        ]
    )
    await show(message, t("admin-promo-ask-limit"), markup)


async def typed_limit(message: Message, t: Translator, state: FSMContext) -> None:
    await state.update_data(limit=_optional_number(message.text or "", MAX_LIMIT))
    await _ask_validity(message, t, state)


async def typed_validity(message: Message, t: Translator, state: FSMContext) -> None:
    await state.update_data(days=_optional_number(message.text or "", 3650))
    await _ask_first(message, t, state)


async def typed_tariffs(
    message: Message, t: Translator, state: FSMContext, promo_admin: PromoAdmin, renderer: Renderer
) -> None:
    await state.update_data(tariffs=list(promo_admin.parse_tariffs(message.text or "")))
    await _confirm(message, t, state, promo_admin, renderer)


def build() -> Router:
    router = Router(name="admin-promos")
    router.message.register(list_promos, Command("promos"))
    router.callback_query.register(list_promos, AdminNav.filter(F.section == AdminSection.PROMOS))
    router.callback_query.register(list_promos, AdminPromoList.filter())
    router.callback_query.register(promo_card, AdminPromoCard.filter())
    router.callback_query.register(activations, AdminPromoActs.filter())
    router.callback_query.register(wizard_button, AdminPromoWizard.filter())
    text = F.text & ~F.text.startswith("/")
    router.message.register(typed_count, AdminPromoStates.count, text)
    router.message.register(typed_code, AdminPromoStates.code, text)
    router.message.register(typed_value, AdminPromoStates.value, text)
    router.message.register(typed_limit, AdminPromoStates.limit, text)
    router.message.register(typed_validity, AdminPromoStates.validity, text)
    router.message.register(typed_tariffs, AdminPromoStates.tariffs, text)
    router.message.register(typed_new_limit, AdminPromoStates.edit_limit, text)
    router.message.register(typed_new_validity, AdminPromoStates.edit_validity, text)
    return router
