"""Everything no other handler took: unknown commands, free text, outdated or forged buttons."""

from __future__ import annotations

import logging

from aiogram.types import CallbackQuery, Message

from remnastore.bot.keyboards import MenuOptions
from remnastore.bot.routers.user.start import render_menu
from remnastore.bot.routing import Router
from remnastore.locales import Translator
from remnastore.services.accounts import CustomerView
from remnastore.services.subscriptions import SubscriptionService

log = logging.getLogger(__name__)


async def unknown_message(
    message: Message,
    t: Translator,
    customer: CustomerView,
    subscriptions: SubscriptionService,
    menu: MenuOptions,
) -> None:
    is_command = bool(message.text and message.text.startswith("/"))
    log.info(
        "unhandled message",
        extra={"customer_id": customer.id, "kind": "command" if is_command else message.content_type},
    )
    prefix = t("unknown-command" if is_command else "unknown-input") + "\n\n"
    await render_menu(message, t, customer, subscriptions, menu, prefix)


async def unknown_button(
    query: CallbackQuery,
    t: Translator,
    customer: CustomerView,
    subscriptions: SubscriptionService,
    menu: MenuOptions,
) -> None:
    log.warning("unknown callback data", extra={"customer_id": customer.id, "length": len(query.data or "")})
    await render_menu(query, t, customer, subscriptions, menu, notice=t("button-outdated"))


def build() -> Router:
    router = Router(name="fallback")
    router.message.register(unknown_message)
    router.callback_query.register(unknown_button)
    return router
