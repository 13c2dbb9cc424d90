"""The "Invite friends" screen: the personal link, how many came and paid, what was earned, the terms."""

from __future__ import annotations

from aiogram import Bot
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from remnastore.bot.callbacks import Screen
from remnastore.bot.filters import OpensScreen
from remnastore.bot.keyboards import back_to_menu
from remnastore.bot.render import Renderer
from remnastore.bot.respond import show
from remnastore.bot.routers.user.inline import referral_link
from remnastore.bot.routing import Router
from remnastore.domain.catalogue import Catalogue, Period
from remnastore.domain.errors import DomainError
from remnastore.locales import Translator
from remnastore.services.accounts import CustomerView
from remnastore.services.checkout import Checkout
from remnastore.services.referrals import ReferralRewards


def _periods(catalogue: Catalogue) -> list[Period]:
    seen: dict[str, Period] = {}
    for tariff in catalogue.tariffs:
        for period in tariff.periods:
            seen.setdefault(period.code, period)
    return sorted(seen.values(), key=lambda p: p.approx_days)


def terms(t: Translator, rewards: ReferralRewards, catalogue: Catalogue, renderer: Renderer) -> list[str]:
    settings = rewards.settings
    lines = []
    for period in _periods(catalogue):
        inviter, invitee = settings.inviter_days_for(period.code), settings.invitee_days_for(period.code)
        if inviter or invitee:
            lines.append(
                t(
                    "referrals-terms-days",
                    period=renderer.period(period, t),
                    inviter=inviter,
                    invitee=invitee,
                )
            )
    if rewards.commission_offered:
        lines.append(t("referrals-terms-commission", percent=settings.commission_percent))
    if not lines:
        return [t("referrals-terms-none")]
    when = "every" if settings.every_payment else "first"
    return [t("referrals-terms-header", when=when), *lines]


async def overview(
    event: Message | CallbackQuery,
    bot: Bot,
    t: Translator,
    customer: CustomerView,
    referrals: ReferralRewards | None,
    checkout: Checkout,
    renderer: Renderer,
) -> None:
    if referrals is None or not referrals.settings.enabled:
        raise DomainError("referrals-disabled")
    me = await bot.me()
    link = referral_link(me.username or "", customer.referral_code)
    stats = await referrals.stats(customer.id)
    lines = [
        t("referrals-title"),
        "",
        t("referrals-link", link=link),
        "",
        t("referrals-stats", invited=stats.invited, paying=stats.paying),
    ]
    for amount in stats.earned:
        lines.append(t("referrals-earned", amount=renderer.money(amount, t)))
    lines += ["", *terms(t, referrals, checkout.catalogue, renderer)]
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=t("referrals-btn-share"), switch_inline_query="")],
            [back_to_menu(t)],
        ]
    )
    await show(event, "\n".join(lines), markup)


def build() -> Router:
    router = Router(name="referrals")
    router.message.register(overview, Command("referrals"))
    router.callback_query.register(overview, OpensScreen(Screen.REFERRALS))
    return router
