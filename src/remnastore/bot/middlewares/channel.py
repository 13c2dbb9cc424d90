"""The required-channel gate: customers who are not in the channel see the gate instead of the shop.

Register it as an outer update middleware *after* the customer middleware (it reads ``is_admin`` and
``t``). Never gated: admins, payments (pre-checkout queries and payment messages must always be
processed), membership changes, inline queries, the gate's own "I have joined" button and anything
outside private chats. ``/start`` always runs (the customer is registered and their deep link applied);
a customer who is not a member then gets the gate as well.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Message, TelegramObject, Update, User

from remnastore.bot.channel_membership import ChannelMembership, CheckChannel, gate_keyboard
from remnastore.bot.respond import show
from remnastore.bot.routers.user import channel as channel_router
from remnastore.config.channel_gate import ChannelGateSettings
from remnastore.locales import Locales, Translator
from remnastore.services.channel_gate import ChannelGate

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
_CHECK_DATA = CheckChannel().pack()


def is_exempt(update: Update) -> bool:
    """Updates the gate never holds back."""
    if update.pre_checkout_query is not None or update.shipping_query is not None:
        return True
    if update.my_chat_member is not None or update.chat_member is not None:
        return True
    if update.inline_query is not None or update.chosen_inline_result is not None:
        return True
    message = update.message
    if message is not None:
        if message.successful_payment is not None or message.refunded_payment is not None:
            return True
        return message.chat.type != "private"
    query = update.callback_query
    if query is not None:
        if query.data == _CHECK_DATA:
            return True
        return isinstance(query.message, Message) and query.message.chat.type != "private"
    return False


def is_start(update: Update) -> bool:
    message = update.message
    if message is None or message.text is None or message.chat.type != "private":
        return False
    command = message.text.split(maxsplit=1)[0] if message.text.strip() else ""
    return command.split("@", 1)[0] == "/start"


class ChannelGateMiddleware(BaseMiddleware):
    """Shows the gate (join link and "I have joined") to customers who are not channel members."""

    def __init__(self, membership: ChannelMembership, locales: Locales, admin_ids: frozenset[int]) -> None:
        self._membership = membership
        self._locales = locales
        self._admins = admin_ids

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        bot: Bot | None = data.get("bot")
        if not isinstance(event, Update) or user is None or user.is_bot or bot is None:
            return await handler(event, data)
        if data.get("is_admin") or user.id in self._admins or is_exempt(event):
            return await handler(event, data)
        t: Translator = data.get("t") or self._locales.get(None)
        if is_start(event):
            result = await handler(event, data)
            if not await self._membership.is_member(bot, user.id):
                await self._show_gate(event, t)
            return result
        if await self._membership.is_member(bot, user.id):
            return await handler(event, data)
        log.info("update held back: not a member of the required channel", extra={"telegram_id": user.id})
        await self._show_gate(event, t)
        return None

    async def _show_gate(self, update: Update, t: Translator) -> None:
        text = t("channel-required")
        markup = gate_keyboard(t, self._membership.join_url)
        try:
            if update.callback_query is not None:
                query = update.callback_query
                if isinstance(query.message, Message):
                    await show(query, text, markup)
                else:
                    await query.answer(t("channel-not-joined")[:200], show_alert=True)
            elif update.message is not None:
                await update.message.answer(text, reply_markup=markup)
        except TelegramAPIError as exc:
            log.info("could not show the channel gate: %s", exc.message)


def install_channel_gate(
    dispatcher: Dispatcher,
    gate: ChannelGate | None,
    settings: ChannelGateSettings,
    locales: Locales,
    admin_ids: frozenset[int],
) -> ChannelMembership | None:
    """Wire the gate into ``dispatcher`` (call it after the customer middleware is registered): the
    middleware, and the router of the "I have joined" button and of the channel's membership changes,
    placed first so that no catch-all handler takes the button. Does nothing when no channel is required.
    """
    if gate is None or settings.required_channel_id is None or settings.required_channel_url is None:
        return None
    membership = ChannelMembership(gate, settings.required_channel_url)
    dispatcher.update.outer_middleware(ChannelGateMiddleware(membership, locales, admin_ids))
    _include_first(dispatcher, channel_router.build(membership))
    return membership


def _include_first(dispatcher: Dispatcher, router: Router) -> None:
    dispatcher.include_router(router)
    dispatcher.sub_routers.remove(router)
    dispatcher.sub_routers.insert(0, router)
