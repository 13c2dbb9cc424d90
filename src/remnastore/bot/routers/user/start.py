"""/start (with deep-link payloads) and the main menu."""

from __future__ import annotations

from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from remnastore.bot.callbacks import Screen
from remnastore.bot.filters import OpensScreen
from remnastore.bot.keyboards import MenuOptions, main_menu
from remnastore.bot.promo_texts import deep_link_notice
from remnastore.bot.render import Renderer
from remnastore.bot.respond import show
from remnastore.bot.routers.user.gifts import activate_gift
from remnastore.bot.routing import Router
from remnastore.domain.deep_links import PayloadKind, parse_start_payload
from remnastore.locales import Translator
from remnastore.services.accounts import AccountService, CustomerView
from remnastore.services.gifts import GiftService
from remnastore.services.promos import PromoService
from remnastore.services.subscriptions import SubscriptionService


async def render_menu(
    event: Message | CallbackQuery,
    t: Translator,
    customer: CustomerView,
    subscriptions: SubscriptionService,
    menu: MenuOptions,
    prefix: str = "",
    notice: str | None = None,
) -> None:
    trial = subscriptions.trial_offered(customer)
    text = prefix + t("main-menu")
    if trial:
        text += "\n\n" + t("menu-trial-hint", days=subscriptions.trial_days)
    markup = main_menu(
        t,
        trial=trial,
        devices=menu.devices_enabled,
        links=menu.links,
        balance=menu.balance_enabled,
        referrals=menu.referrals_enabled,
        promo=menu.promos_enabled,
        cabinet=menu.cabinet_enabled,
    )
    await show(event, text, markup, notice=notice)


async def leave_conversation(state: FSMContext, raw_state: str | None) -> None:
    """End an unfinished conversation; costs no storage write when there is none (the usual case)."""
    if raw_state is not None:
        await state.clear()


async def start(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    raw_state: str | None,
    t: Translator,
    customer: CustomerView,
    is_new: bool,
    accounts: AccountService,
    subscriptions: SubscriptionService,
    menu: MenuOptions,
    renderer: Renderer,
    promos: PromoService | None = None,
    gifts: GiftService | None = None,
) -> None:
    await leave_conversation(state, raw_state)
    await accounts.apply_start_payload(customer, command.args, is_new=is_new)
    payload = parse_start_payload(command.args)
    if payload.kind is PayloadKind.GIFT:
        await activate_gift(message, t, customer, gifts, payload.value)
        return
    prefix = t("welcome-new", name=customer.first_name) + "\n\n" if is_new else ""
    notice = await deep_link_notice(promos, customer, command.args, t, renderer)
    if notice:
        prefix += notice + "\n\n"
    await render_menu(message, t, customer, subscriptions, menu, prefix)


async def menu_command(
    message: Message,
    state: FSMContext,
    raw_state: str | None,
    t: Translator,
    customer: CustomerView,
    subscriptions: SubscriptionService,
    menu: MenuOptions,
) -> None:
    await leave_conversation(state, raw_state)
    await render_menu(message, t, customer, subscriptions, menu)


async def menu_button(
    query: CallbackQuery,
    state: FSMContext,
    raw_state: str | None,
    t: Translator,
    customer: CustomerView,
    subscriptions: SubscriptionService,
    menu: MenuOptions,
) -> None:
    await leave_conversation(state, raw_state)
    await render_menu(query, t, customer, subscriptions, menu)


def build() -> Router:
    router = Router(name="start")
    router.message.register(start, CommandStart())
    router.message.register(menu_command, Command("menu"))
    router.callback_query.register(menu_button, OpensScreen(Screen.MAIN))
    return router
