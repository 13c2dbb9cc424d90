"""The free trial button."""

from __future__ import annotations

from aiogram.types import CallbackQuery

from remnastore.bot.callbacks import Screen
from remnastore.bot.filters import OpensScreen
from remnastore.bot.keyboards import MenuOptions, after_trial
from remnastore.bot.render import Renderer
from remnastore.bot.respond import show
from remnastore.bot.routing import Router
from remnastore.locales import Translator
from remnastore.services.accounts import CustomerView
from remnastore.services.subscriptions import SubscriptionService


async def activate_trial(
    query: CallbackQuery,
    t: Translator,
    customer: CustomerView,
    subscriptions: SubscriptionService,
    renderer: Renderer,
    menu: MenuOptions,
) -> None:
    description = " ".join(
        p for p in (f"@{customer.username}" if customer.username else None, customer.first_name) if p
    )
    granted = await subscriptions.activate_trial(customer, description=description)
    text = t(
        "trial-activated",
        expires=renderer.when(granted.expires_at, t),
        days=granted.days,
        traffic=renderer.traffic_limit(granted.traffic_limit_bytes, t),
        devices=granted.device_limit or "∞",
        link=granted.link,
    )
    await show(query, text, after_trial(t, link=granted.link, mini_app=menu.mini_app))


def build() -> Router:
    router = Router(name="trial")
    router.callback_query.register(activate_trial, OpensScreen(Screen.TRIAL))
    return router
