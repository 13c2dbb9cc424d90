"""Showing a screen: edit the pressed message in place, or send a new one."""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from remnastore.bot.session import result_unread
from remnastore.bot.webhook_reply import notice_into_reply

log = logging.getLogger(__name__)


async def show(
    event: Message | CallbackQuery,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    notice: str | None = None,
) -> None:
    """Answer a message with a new message; answer a button by editing its message (``notice`` pops up).

    The button's callback query is answered first, so the customer's spinner stops at once instead of
    turning for the whole edit."""
    if isinstance(event, Message):
        with result_unread():
            await event.answer(text, reply_markup=markup)
        return
    try:
        if not notice_into_reply(event.id, notice):
            with result_unread():
                await event.answer(notice)
    except TelegramBadRequest as exc:
        # e.g. "query is too old" after a long queue in a burst: the screen is still worth showing
        log.info("could not answer a button press, showing the screen anyway: %s", exc.message)
    message = event.message
    if isinstance(message, Message) and message.text is not None:
        try:
            with result_unread():
                await message.edit_text(text, reply_markup=markup)
        except TelegramBadRequest as exc:
            if "not modified" not in exc.message:
                log.info("could not edit a message, sending a new one: %s", exc.message)
                await message.answer(text, reply_markup=markup)
        return
    if event.bot is not None:
        await event.bot.send_message(event.from_user.id, text, reply_markup=markup)
