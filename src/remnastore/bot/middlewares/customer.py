"""Loads (or registers) the customer behind every update and picks their language."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update, User

from remnastore.infra.logging import bind_log_context
from remnastore.locales import Locales
from remnastore.services.accounts import AccountService, TelegramProfile

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class CustomerMiddleware(BaseMiddleware):
    """Puts ``customer``, ``is_new``, ``is_admin`` and ``t`` (the translator) into handler data.

    Banned customers (admins never are) get one short reply and their update goes no further.
    """

    def __init__(self, accounts: AccountService, locales: Locales, admin_ids: frozenset[int]) -> None:
        self._accounts = accounts
        self._locales = locales
        self._admins = admin_ids

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if isinstance(event, Update):
            bind_log_context(update_id=event.update_id)
        if user is None or user.is_bot:
            return await handler(event, data)
        arrival = await self._accounts.arrive(
            TelegramProfile(
                telegram_id=user.id,
                first_name=user.first_name,
                last_name=user.last_name,
                username=user.username,
                language_code=user.language_code,
            )
        )
        customer = arrival.customer
        bind_log_context(customer_id=customer.id)
        is_admin = user.id in self._admins
        t = self._locales.get(customer.language)
        data.update(customer=customer, is_new=arrival.created, is_admin=is_admin, t=t)
        if customer.is_banned and not is_admin:
            log.info("update from a banned customer dropped", extra={"customer_id": customer.id})
            if isinstance(event, Update):
                await _tell_banned(event, t("banned"))
            return None
        return await handler(event, data)


async def _tell_banned(update: Update, text: str) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer(text[:200], show_alert=True)
    elif update.message is not None and update.message.chat.type == "private":
        await update.message.answer(text)
    elif update.pre_checkout_query is not None:
        await update.pre_checkout_query.answer(ok=False, error_message=text[:255])
