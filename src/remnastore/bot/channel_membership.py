"""Asking Telegram whether a customer is in the required channel, and the screens of that gate."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    ChatMemberAdministrator,
    ChatMemberMember,
    ChatMemberOwner,
    ChatMemberRestricted,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ResultChatMemberUnion,
)

from remnastore.bot.callbacks import Nav, Screen
from remnastore.locales import Translator
from remnastore.services.channel_gate import ChannelGate

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 5.0


class CheckChannel(CallbackData, prefix="chk"):
    """The "I have joined" button: check the membership again, skipping the cache."""


def counts_as_member(member: ResultChatMemberUnion) -> bool:
    """Owners, admins, members and restricted members still in the chat count; left and kicked do not."""
    if isinstance(member, ChatMemberOwner | ChatMemberAdministrator | ChatMemberMember):
        return True
    return isinstance(member, ChatMemberRestricted) and member.is_member


def gate_keyboard(t: Translator, join_url: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=t("channel-btn-join"), url=join_url)],
            [InlineKeyboardButton(text=t("channel-btn-check"), callback_data=CheckChannel().pack())],
        ]
    )


def open_menu_keyboard(t: Translator) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text=t("btn-menu"), callback_data=Nav(screen=Screen.MAIN).pack())
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


class ChannelMembership:
    """The gate as the bot uses it: asks ``getChatMember`` on a cache miss and never locks customers out
    because of Telegram. When the bot cannot see the channel's members (it is not an admin there, or the
    id is wrong) every customer is let through and the problem is logged as an error, once until it is
    fixed; a transient Telegram failure lets the update through as well."""

    def __init__(self, gate: ChannelGate, join_url: str, *, timeout: float = CHECK_TIMEOUT) -> None:
        self.gate = gate
        self.join_url = join_url
        self._timeout = timeout
        self._misconfiguration_logged = False

    @property
    def channel_id(self) -> int:
        return self.gate.channel_id

    async def is_member(self, bot: Bot, telegram_id: int, *, fresh: bool = False) -> bool:
        async def ask_telegram() -> bool:
            member = await bot.get_chat_member(
                self.gate.channel_id, telegram_id, request_timeout=int(self._timeout)
            )
            self._misconfiguration_logged = False
            return counts_as_member(member)

        try:
            member = await self.gate.is_member(telegram_id, ask_telegram, fresh=fresh)
        except (TelegramBadRequest, TelegramForbiddenError) as exc:
            if not self._misconfiguration_logged:
                self._misconfiguration_logged = True
                log.error(
                    "cannot check the required channel (is the bot an admin there?); "
                    "customers are let through: %s",
                    exc.message,
                    extra={"channel_id": self.gate.channel_id},
                )
            return True
        except TelegramAPIError as exc:
            log.warning("channel membership check failed, update let through: %s", type(exc).__name__)
            return True
        return member

    async def forget(self, telegram_id: int) -> None:
        await self.gate.forget(telegram_id)
