"""The required channel: the "I have joined" button and the channel's membership changes."""

from __future__ import annotations

import logging

from aiogram import Bot, F
from aiogram.types import CallbackQuery, ChatMemberUpdated

from remnastore.bot.channel_membership import (
    ChannelMembership,
    CheckChannel,
    counts_as_member,
    open_menu_keyboard,
)
from remnastore.bot.respond import show
from remnastore.bot.routing import Router
from remnastore.locales import Translator

log = logging.getLogger(__name__)


def build(membership: ChannelMembership) -> Router:
    router = Router(name="channel")

    async def check(query: CallbackQuery, bot: Bot, t: Translator) -> None:
        if await membership.is_member(bot, query.from_user.id, fresh=True):
            await show(query, t("channel-thanks"), open_menu_keyboard(t))
        else:
            await query.answer(t("channel-not-joined")[:200], show_alert=True)

    async def membership_changed(update: ChatMemberUpdated) -> None:
        user_id = update.new_chat_member.user.id
        if counts_as_member(update.new_chat_member):
            return
        await membership.forget(user_id)
        log.info("a customer left the required channel", extra={"telegram_id": user_id})

    router.callback_query.register(check, CheckChannel.filter())
    router.chat_member.register(membership_changed, F.chat.id == membership.channel_id)
    return router
