"""Inline mode: a customer shares their referral invitation in any chat (@bot in the input field)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultArticle,
    InputTextMessageContent,
)

from remnastore.bot.routing import Router
from remnastore.locales import Translator
from remnastore.services.accounts import CustomerView

CACHE_SECONDS = 300


def referral_link(bot_username: str, referral_code: str) -> str:
    return f"https://t.me/{bot_username}?start=ref_{referral_code}"


async def share_invitation(query: InlineQuery, bot: Bot, t: Translator, customer: CustomerView) -> None:
    me = await bot.me()
    link = referral_link(me.username or "", customer.referral_code)
    article = InlineQueryResultArticle(
        id="invite",
        title=t("inline-invite-title"),
        description=t("inline-invite-description"),
        input_message_content=InputTextMessageContent(
            message_text=t("inline-invite-text", link=link), parse_mode=ParseMode.HTML
        ),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text=t("inline-invite-button"), url=link)]]
        ),
    )
    await query.answer([article], cache_time=CACHE_SECONDS, is_personal=True)


def build() -> Router:
    router = Router(name="inline")
    router.inline_query.register(share_invitation)
    return router
