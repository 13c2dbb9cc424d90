"""Admin: advertising campaigns. Create one (name, code, cost), get its start link, read its funnel."""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from remnastore.bot.callbacks import (
    AdminCampaignCard,
    AdminCampaignList,
    AdminCampaignNew,
    AdminNav,
    AdminSection,
)
from remnastore.bot.keyboards.pager import add_pager
from remnastore.bot.render import Renderer
from remnastore.bot.respond import show
from remnastore.bot.routers.admin.menu import back_to_menu
from remnastore.bot.routing import Router
from remnastore.bot.states import CampaignStates
from remnastore.domain.errors import DomainError
from remnastore.domain.money import Money
from remnastore.locales import Translator
from remnastore.services.campaigns import CampaignAdmin, Funnel


def _button(
    text: str, data: AdminCampaignCard | AdminCampaignList | AdminCampaignNew | AdminNav
) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _cancel(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_button(t("btn-cancel"), AdminCampaignList(page=0))]])


async def list_campaigns(
    event: Message | CallbackQuery,
    t: Translator,
    state: FSMContext,
    campaign_admin: CampaignAdmin,
    callback_data: AdminCampaignList | AdminNav | None = None,
) -> None:
    await state.clear()
    page = callback_data.page if isinstance(callback_data, AdminCampaignList) else 0
    rows, more = await campaign_admin.page(page)
    lines = [t("admin-campaigns-title", page=page + 1), ""]
    if not rows:
        lines.append(t("admin-campaigns-empty"))
    kb = InlineKeyboardBuilder()
    for row in rows:
        kb.row(_button(f"{row.title} · {row.code}", AdminCampaignCard(campaign=row.id)))
    add_pager(kb, page, more, lambda to: AdminCampaignList(page=to))
    kb.row(_button(t("btn-campaign-new"), AdminCampaignNew(step="new")))
    kb.row(back_to_menu(t))
    await show(event, "\n".join(lines), kb.as_markup())


def funnel_text(funnel: Funnel, t: Translator, renderer: Renderer, bot_username: str) -> str:
    campaign = funnel.campaign
    revenue = ", ".join(renderer.money(m, t) for m in funnel.revenue) or renderer.money(
        Money.zero(campaign.cost.currency), t
    )
    text: str = t(
        "admin-campaign-card",
        title=campaign.title,
        code=campaign.code,
        link=campaign.link(bot_username),
        created=renderer.date(campaign.created_at, t),
        starts=funnel.starts,
        trials=funnel.trials,
        payers=funnel.payers,
        revenue=revenue,
        cost=renderer.money(campaign.cost, t),
    )
    if campaign.cost.minor > 0:
        earned = funnel.revenue_in_cost_currency
        text += "\n" + t(
            "admin-campaign-balance",
            result=renderer.money(earned - campaign.cost, t),
            percent=earned.minor * 100 // campaign.cost.minor,
        )
    return text


async def campaign_card(
    query: CallbackQuery,
    callback_data: AdminCampaignCard,
    t: Translator,
    campaign_admin: CampaignAdmin,
    renderer: Renderer,
    bot: Bot,
) -> None:
    await _card(query, callback_data.campaign, t, campaign_admin, renderer, bot)


async def _card(
    event: Message | CallbackQuery,
    campaign_id: int,
    t: Translator,
    campaign_admin: CampaignAdmin,
    renderer: Renderer,
    bot: Bot,
    notice: str | None = None,
) -> None:
    funnel = await campaign_admin.funnel(campaign_id)
    me = await bot.me()
    kb = InlineKeyboardBuilder()
    kb.row(_button(t("btn-refresh"), AdminCampaignCard(campaign=campaign_id)))
    kb.row(_button(t("btn-back"), AdminCampaignList(page=0)))
    await show(event, funnel_text(funnel, t, renderer, me.username or ""), kb.as_markup(), notice=notice)


# -- the wizard's buttons: one handler per step (a button whose step does not apply shows the list) ----


async def wizard_new(query: CallbackQuery, t: Translator, state: FSMContext) -> None:
    await state.set_data({"campaign": True})
    await state.set_state(CampaignStates.title)
    await show(query, t("admin-campaign-ask-title"), _cancel(t))


async def wizard_generate(
    query: CallbackQuery, t: Translator, state: FSMContext, campaign_admin: CampaignAdmin
) -> None:
    if "title" not in await state.get_data():
        await list_campaigns(query, t, state, campaign_admin)
        return
    await state.update_data(code=None)
    await _ask_cost(query, t, state, campaign_admin)


async def wizard_free(
    query: CallbackQuery,
    t: Translator,
    state: FSMContext,
    campaign_admin: CampaignAdmin,
    renderer: Renderer,
    bot: Bot,
) -> None:
    data = await state.get_data()
    if "title" not in data or "code" not in data:
        await list_campaigns(query, t, state, campaign_admin)
        return
    await _create(query, t, state, campaign_admin, renderer, bot, Money.zero(campaign_admin.default_currency))


async def _ask_cost(
    event: Message | CallbackQuery, t: Translator, state: FSMContext, campaign_admin: CampaignAdmin
) -> None:
    await state.set_state(CampaignStates.cost)
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("btn-campaign-free"), AdminCampaignNew(step="free"))],
            [_button(t("btn-cancel"), AdminCampaignList(page=0))],
        ]
    )
    await show(event, t("admin-campaign-ask-cost", currency=campaign_admin.default_currency), markup)


async def _create(
    event: Message | CallbackQuery,
    t: Translator,
    state: FSMContext,
    campaign_admin: CampaignAdmin,
    renderer: Renderer,
    bot: Bot,
    cost: Money,
) -> None:
    data = await state.get_data()
    actor = event.from_user.id if event.from_user is not None else 0
    code = data.get("code")
    row = await campaign_admin.create(str(data["title"]), str(code) if code else None, cost, actor=actor)
    await state.clear()
    await _card(event, row.id, t, campaign_admin, renderer, bot, notice=t("admin-campaign-created"))


async def typed_title(
    message: Message, t: Translator, state: FSMContext, campaign_admin: CampaignAdmin
) -> None:
    await state.update_data(title=campaign_admin.check_title(message.text or ""))
    await state.set_state(CampaignStates.code)
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("btn-campaign-generate"), AdminCampaignNew(step="gen"))],
            [_button(t("btn-cancel"), AdminCampaignList(page=0))],
        ]
    )
    await show(message, t("admin-campaign-ask-code"), markup)


async def typed_code(
    message: Message, t: Translator, state: FSMContext, campaign_admin: CampaignAdmin
) -> None:
    code = campaign_admin.check_code(message.text or "")
    if await campaign_admin.exists(code):
        raise DomainError("admin-campaign-code-taken")
    await state.update_data(code=code)
    await _ask_cost(message, t, state, campaign_admin)


async def typed_cost(
    message: Message,
    t: Translator,
    state: FSMContext,
    campaign_admin: CampaignAdmin,
    renderer: Renderer,
    bot: Bot,
) -> None:
    data = await state.get_data()
    if "title" not in data:
        await state.clear()
        raise DomainError("admin-campaign-not-found")
    cost = campaign_admin.parse_cost(message.text or "")
    await _create(message, t, state, campaign_admin, renderer, bot, cost)


def build() -> Router:
    router = Router(name="admin-campaigns")
    router.message.register(list_campaigns, Command("campaigns"))
    router.callback_query.register(list_campaigns, AdminNav.filter(F.section == AdminSection.CAMPAIGNS))
    router.callback_query.register(list_campaigns, AdminCampaignList.filter())
    router.callback_query.register(campaign_card, AdminCampaignCard.filter())
    router.callback_query.register(wizard_new, AdminCampaignNew.filter(F.step == "new"))
    router.callback_query.register(wizard_generate, AdminCampaignNew.filter(F.step == "gen"))
    router.callback_query.register(wizard_free, AdminCampaignNew.filter(F.step == "free"))
    text = F.text & ~F.text.startswith("/")
    router.message.register(typed_title, CampaignStates.title, text)
    router.message.register(typed_code, CampaignStates.code, text)
    router.message.register(typed_cost, CampaignStates.cost, text)
    return router
