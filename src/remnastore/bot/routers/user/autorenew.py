"""Auto-renewal: its screen (state, turn on from the balance, pay by card keeping it, turn off) and the
purchase that keeps the card."""

from __future__ import annotations

from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from remnastore.bot.callbacks import AutoRenewAction, BuyAutoRenew, Nav, Screen
from remnastore.bot.filters import OpensScreen
from remnastore.bot.render import Renderer
from remnastore.bot.respond import show
from remnastore.bot.routers.user.buy import start_payment
from remnastore.bot.routing import Router
from remnastore.domain.errors import DomainError
from remnastore.locales import Translator
from remnastore.services.accounts import CustomerView
from remnastore.services.autorenewal import AutoRenewalService, RenewalView
from remnastore.services.checkout import BALANCE, Checkout


def toggle_button(t: Translator, enabled: bool) -> InlineKeyboardButton:
    """The subscription screen's button: shows the state; one tap turns it off, or opens the options."""
    if enabled:
        return InlineKeyboardButton(
            text=t("autorenew-btn-state-on"), callback_data=AutoRenewAction(action="off").pack()
        )
    return InlineKeyboardButton(
        text=t("autorenew-btn-state-off"), callback_data=Nav(screen=Screen.AUTORENEW).pack()
    )


def _text(t: Translator, view: RenewalView, renderer: Renderer) -> str:
    if view.enabled:
        method = (
            t("autorenew-method-balance") if view.method == BALANCE else (view.card or t("autorenew-card"))
        )
        lines = [t("autorenew-title"), "", t("autorenew-state-on", method=method)]
        if view.tariff is not None and view.period is not None:
            lines.append(
                t(
                    "autorenew-plan",
                    tariff=view.tariff.name(t.language),
                    period=renderer.period(view.period, t),
                )
            )
        lines += ["", t("autorenew-off-hint")]
        return "\n".join(lines)
    if view.tariff is None:
        return "\n".join([t("autorenew-title"), "", t("autorenew-needs-subscription")])
    return "\n".join([t("autorenew-title"), "", t("autorenew-state-off"), "", t("autorenew-how")])


def _markup(t: Translator, view: RenewalView) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    if view.enabled:
        kb.row(
            InlineKeyboardButton(
                text=t("autorenew-btn-off"), callback_data=AutoRenewAction(action="off").pack()
            )
        )
    elif view.tariff is not None and view.period is not None:
        if view.card_provider is not None:
            kb.row(
                InlineKeyboardButton(
                    text=t("autorenew-btn-card"),
                    callback_data=BuyAutoRenew(
                        tariff=view.tariff.code, period=view.period.code, method=view.card_provider
                    ).pack(),
                )
            )
        if view.balance_possible:
            kb.row(
                InlineKeyboardButton(
                    text=t("autorenew-btn-balance"), callback_data=AutoRenewAction(action="balance").pack()
                )
            )
    else:
        kb.row(InlineKeyboardButton(text=t("btn-buy"), callback_data=Nav(screen=Screen.BUY).pack()))
    kb.row(
        InlineKeyboardButton(text=t("btn-subscription"), callback_data=Nav(screen=Screen.SUBSCRIPTION).pack())
    )
    return kb.as_markup()


def _service(autorenew: AutoRenewalService | None) -> AutoRenewalService:
    if autorenew is None:
        raise DomainError("autorenew-unavailable")
    return autorenew


async def screen(
    query: CallbackQuery,
    t: Translator,
    customer: CustomerView,
    renderer: Renderer,
    autorenew: AutoRenewalService | None = None,
    notice: str | None = None,
) -> None:
    view = await _service(autorenew).view(customer)
    await show(query, _text(t, view, renderer), _markup(t, view), notice=notice)


async def action(
    query: CallbackQuery,
    callback_data: AutoRenewAction,
    t: Translator,
    customer: CustomerView,
    renderer: Renderer,
    autorenew: AutoRenewalService | None = None,
) -> None:
    service = _service(autorenew)
    if callback_data.action == "off":
        await service.disable(customer)
        notice = t("autorenew-turned-off")
    else:
        await service.enable_balance(customer)
        notice = t("autorenew-turned-on")
    await screen(query, t, customer, renderer, service, notice=str(notice))


async def buy_keeping_card(
    query: CallbackQuery,
    callback_data: BuyAutoRenew,
    t: Translator,
    customer: CustomerView,
    checkout: Checkout,
    renderer: Renderer,
    autorenew: AutoRenewalService | None = None,
) -> None:
    _service(autorenew)
    await start_payment(
        query,
        t,
        customer,
        checkout,
        renderer,
        callback_data.tariff,
        callback_data.period,
        callback_data.method,
        save_method=True,
    )


def build() -> Router:
    router = Router(name="autorenew")
    router.callback_query.register(screen, OpensScreen(Screen.AUTORENEW))
    router.callback_query.register(action, AutoRenewAction.filter())
    router.callback_query.register(buy_keeping_card, BuyAutoRenew.filter())
    return router
