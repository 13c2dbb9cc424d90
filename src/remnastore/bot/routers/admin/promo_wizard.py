"""Admin: the promo code wizard (one code, or a batch with a CSV): one handler per button step and one
per typed answer; the answers so far are kept in the conversation state."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from remnastore.bot.callbacks import AdminPromoWizard
from remnastore.bot.render import Renderer
from remnastore.bot.respond import show
from remnastore.bot.routers.admin.promo_common import (
    KINDS,
    button,
    cancel_markup,
    optional_number,
    terms,
    wizard_step,
)
from remnastore.bot.routers.admin.promos import list_promos, show_card
from remnastore.bot.routing import Router
from remnastore.bot.states import AdminPromoStates
from remnastore.domain.errors import DomainError
from remnastore.locales import Translator
from remnastore.services.promo_admin import MAX_BULK, MAX_LIMIT, PromoAdmin, PromoSpec

# -- the wizard's buttons: one handler per step (a button whose step does not apply shows the list) ----


async def _answers(
    query: CallbackQuery,
    t: Translator,
    state: FSMContext,
    promo_admin: PromoAdmin,
    renderer: Renderer,
    *needed: str,
) -> dict[str, Any] | None:
    """The answers so far when the wizard is at this step; otherwise (a button of a wizard that is over,
    or never started) the list is shown and None returned."""
    data = await state.get_data()
    if all(key in data for key in ("mode", *needed)):
        return data
    await list_promos(query, t, state, promo_admin, renderer)
    return None


async def wizard_new(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    await state.set_data({"mode": "one"})
    await state.set_state(AdminPromoStates.code)
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [button(t("btn-promo-generate"), wizard_step("gen"))],
            [button(t("btn-cancel"), wizard_step("cancel"))],
        ]
    )
    await show(query, t("admin-promo-ask-code"), markup)


async def wizard_bulk(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    await state.set_data({"mode": "bulk"})
    await state.set_state(AdminPromoStates.count)
    await show(query, t("admin-promo-ask-count", high=MAX_BULK), cancel_markup(t))


async def wizard_generate(
    query: CallbackQuery, t: Translator, state: FSMContext, promo_admin: PromoAdmin, renderer: Renderer
) -> None:
    if await _answers(query, t, state, promo_admin, renderer) is None:
        return
    await state.update_data(code=None)
    await _ask_kind(query, t)


async def wizard_kind(
    query: CallbackQuery,
    callback_data: AdminPromoWizard,
    t: Translator,
    state: FSMContext,
    promo_admin: PromoAdmin,
    renderer: Renderer,
) -> None:
    if await _answers(query, t, state, promo_admin, renderer) is None:
        return
    kind = callback_data.value
    await state.update_data(kind=kind)
    await state.set_state(AdminPromoStates.value)
    await show(
        query, t(f"admin-promo-ask-value-{kind}", currency=promo_admin.default_currency), cancel_markup(t)
    )


async def wizard_no_limit(
    query: CallbackQuery, t: Translator, state: FSMContext, promo_admin: PromoAdmin, renderer: Renderer
) -> None:
    if await _answers(query, t, state, promo_admin, renderer, "value") is None:
        return
    await state.update_data(limit=None)
    await _ask_validity(query, t, state)


async def wizard_no_date(
    query: CallbackQuery, t: Translator, state: FSMContext, promo_admin: PromoAdmin, renderer: Renderer
) -> None:
    if await _answers(query, t, state, promo_admin, renderer, "value") is None:
        return
    await state.update_data(days=None)
    await _ask_first(query, t, state)


async def wizard_first(
    query: CallbackQuery,
    callback_data: AdminPromoWizard,
    t: Translator,
    state: FSMContext,
    promo_admin: PromoAdmin,
    renderer: Renderer,
) -> None:
    if await _answers(query, t, state, promo_admin, renderer, "value") is None:
        return
    await state.update_data(first=callback_data.value == "yes")
    await _ask_tariffs(query, t, state, promo_admin)


async def wizard_tariff(
    query: CallbackQuery,
    callback_data: AdminPromoWizard,
    t: Translator,
    state: FSMContext,
    promo_admin: PromoAdmin,
    renderer: Renderer,
) -> None:
    if await _answers(query, t, state, promo_admin, renderer, "first") is None:
        return
    value = callback_data.value
    if value != "all" and promo_admin.catalogue.tariff(value) is None:
        raise DomainError("admin-promo-bad-tariffs", known="")
    await state.update_data(tariffs=None if value == "all" else [value])
    await _confirm(query, t, state, promo_admin, renderer)


async def wizard_create(
    query: CallbackQuery,
    t: Translator,
    state: FSMContext,
    promo_admin: PromoAdmin,
    renderer: Renderer,
    bot: Bot,
) -> None:
    if await _answers(query, t, state, promo_admin, renderer, "first") is None:
        return
    await _create(query, t, state, promo_admin, renderer, bot)


def _register_steps(router: Router) -> None:
    """The wizard's buttons, one handler per step; any other button of the wizard (cancel, a value that is
    not offered) shows the list."""
    step = AdminPromoWizard.filter
    router.callback_query.register(wizard_new, step(F.step == "new"))
    router.callback_query.register(wizard_bulk, step(F.step == "bulk"))
    router.callback_query.register(wizard_generate, step(F.step == "gen"))
    router.callback_query.register(wizard_kind, step((F.step == "kind") & F.value.in_(KINDS)))
    router.callback_query.register(wizard_no_limit, step(F.step == "nolimit"))
    router.callback_query.register(wizard_no_date, step(F.step == "nodate"))
    router.callback_query.register(wizard_first, step((F.step == "first") & F.value.in_(("yes", "no"))))
    router.callback_query.register(wizard_tariff, step(F.step == "tariff"))
    router.callback_query.register(wizard_create, step(F.step == "create"))
    router.callback_query.register(list_promos, step())


async def _ask_kind(event: Message | CallbackQuery, t: Translator) -> None:
    kb = InlineKeyboardBuilder()
    for kind in KINDS:
        kb.row(button(t(f"admin-promo-kind-{kind}"), wizard_step("kind", kind)))
    kb.row(button(t("btn-cancel"), wizard_step("cancel")))
    await show(event, t("admin-promo-ask-kind"), kb.as_markup())


async def _ask_validity(event: Message | CallbackQuery, t: Translator, state: FSMContext) -> None:
    await state.set_state(AdminPromoStates.validity)
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [button(t("btn-promo-no-end"), wizard_step("nodate"))],
            [button(t("btn-cancel"), wizard_step("cancel"))],
        ]
    )
    await show(event, t("admin-promo-ask-validity"), markup)


async def _ask_first(event: Message | CallbackQuery, t: Translator, state: FSMContext) -> None:
    await state.set_state(None)
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(t("admin-yes"), wizard_step("first", "yes")),
                button(t("admin-no"), wizard_step("first", "no")),
            ],
            [button(t("btn-cancel"), wizard_step("cancel"))],
        ]
    )
    await show(event, t("admin-promo-ask-first"), markup)


async def _ask_tariffs(
    event: Message | CallbackQuery, t: Translator, state: FSMContext, promo_admin: PromoAdmin
) -> None:
    await state.set_state(AdminPromoStates.tariffs)
    kb = InlineKeyboardBuilder()
    kb.row(button(t("admin-promo-all-tariffs"), wizard_step("tariff", "all")))
    for tariff in promo_admin.catalogue.tariffs:
        kb.row(button(tariff.name(t.language), wizard_step("tariff", tariff.code)))
    kb.row(button(t("btn-cancel"), wizard_step("cancel")))
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
        **terms(spec, t, renderer),
    )
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [button(t("btn-promo-create"), wizard_step("create"))],
            [button(t("btn-cancel"), wizard_step("cancel"))],
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
    await show_card(query, row, t, renderer, notice=t("admin-promo-created"))


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
            [button(t("btn-promo-no-limit"), wizard_step("nolimit"))],
            [button(t("btn-cancel"), wizard_step("cancel"))],
        ]
    )
    await show(message, t("admin-promo-ask-limit"), markup)


async def typed_limit(message: Message, t: Translator, state: FSMContext) -> None:
    await state.update_data(limit=optional_number(message.text or "", MAX_LIMIT))
    await _ask_validity(message, t, state)


async def typed_validity(message: Message, t: Translator, state: FSMContext) -> None:
    await state.update_data(days=optional_number(message.text or "", 3650))
    await _ask_first(message, t, state)


async def typed_tariffs(
    message: Message, t: Translator, state: FSMContext, promo_admin: PromoAdmin, renderer: Renderer
) -> None:
    await state.update_data(tariffs=list(promo_admin.parse_tariffs(message.text or "")))
    await _confirm(message, t, state, promo_admin, renderer)


def build() -> Router:
    router = Router(name="admin-promo-wizard")
    _register_steps(router)
    text = F.text & ~F.text.startswith("/")
    router.message.register(typed_count, AdminPromoStates.count, text)
    router.message.register(typed_code, AdminPromoStates.code, text)
    router.message.register(typed_value, AdminPromoStates.value, text)
    router.message.register(typed_limit, AdminPromoStates.limit, text)
    router.message.register(typed_validity, AdminPromoStates.validity, text)
    router.message.register(typed_tariffs, AdminPromoStates.tariffs, text)
    return router
