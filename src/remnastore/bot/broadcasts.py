"""Broadcasts over the Bot API: copying the admin's message, and the admin's progress message."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from remnastore.bot.callbacks import AdminBroadcast
from remnastore.bot.send_budget import background_sends
from remnastore.db.models import BroadcastStatus
from remnastore.locales import Html, Locales, Translator
from remnastore.services.broadcast_worker import Delivery, SendResult
from remnastore.services.broadcasts import BroadcastView


def url_buttons(buttons: list[list[str]]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    rows = [[InlineKeyboardButton(text=text, url=url)] for text, url in buttons]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def audience_label(audience: str, t: Translator) -> Html:
    if audience.startswith("lang-"):
        return t("broadcast-audience-lang", language=audience.removeprefix("lang-"))
    return t(f"broadcast-audience-{audience}")


def broadcast_card(view: BroadcastView, t: Translator) -> tuple[Html, InlineKeyboardMarkup | None]:
    """The text and buttons of a broadcast's progress (the same for the live message and the card)."""
    stats = view.stats
    text = t(
        "broadcast-progress",
        id=view.id,
        status=t(f"broadcast-status-{view.status}"),
        audience=audience_label(view.audience, t),
        sent=stats.sent,
        blocked=stats.blocked,
        failed=stats.failed + stats.unknown,
        left=stats.pending,
        total=stats.total,
    )
    actions: list[InlineKeyboardButton] = []
    if view.status == BroadcastStatus.RUNNING.value:
        actions.append(
            InlineKeyboardButton(
                text=t("btn-broadcast-pause"), callback_data=AdminBroadcast(id=view.id, action="pause").pack()
            )
        )
    if view.status == BroadcastStatus.PAUSED.value:
        actions.append(
            InlineKeyboardButton(
                text=t("btn-broadcast-resume"),
                callback_data=AdminBroadcast(id=view.id, action="resume").pack(),
            )
        )
    if view.status in (BroadcastStatus.RUNNING.value, BroadcastStatus.PAUSED.value):
        actions.append(
            InlineKeyboardButton(
                text=t("btn-broadcast-cancel"),
                callback_data=AdminBroadcast(id=view.id, action="cancel").pack(),
            )
        )
    return text, InlineKeyboardMarkup(inline_keyboard=[actions]) if actions else None


class TelegramBroadcastSender:
    """Implements ``services.broadcast_worker.BroadcastSender`` with copyMessage."""

    def __init__(self, bot: Bot, *, paid: bool) -> None:
        self._bot = bot
        self._paid = paid

    async def send(self, chat_id: int, broadcast: BroadcastView) -> SendResult:
        try:
            with background_sends():
                await self._bot.copy_message(
                    chat_id,
                    broadcast.source_chat_id,
                    broadcast.source_message_id,
                    reply_markup=url_buttons(broadcast.buttons),
                    allow_paid_broadcast=True if self._paid else None,
                )
        except TelegramRetryAfter as exc:
            return SendResult(Delivery.RETRY, retry_after=float(exc.retry_after))
        except TelegramForbiddenError as exc:
            return SendResult(Delivery.BLOCKED, error=exc.message)
        except TelegramBadRequest as exc:
            if "chat not found" in exc.message.lower():
                return SendResult(Delivery.BLOCKED, error=exc.message)
            return SendResult(Delivery.FAILED, error=exc.message)
        except TelegramNetworkError as exc:
            # The message may have arrived: not sent again (at most once).
            return SendResult(Delivery.FAILED, error=f"network: {exc.message}")
        except TelegramAPIError as exc:
            return SendResult(Delivery.FAILED, error=exc.message)
        return SendResult(Delivery.SENT)


class TelegramBroadcastReporter:
    """Implements ``services.broadcast_worker.ProgressReporter``: one message edited in place, a report."""

    def __init__(self, bot: Bot, locales: Locales) -> None:
        self._bot = bot
        self._locales = locales

    async def progress(self, broadcast: BroadcastView) -> tuple[int, int] | None:
        t = self._locales.get(broadcast.language)
        text, markup = broadcast_card(broadcast, t)
        if broadcast.progress_chat_id is not None and broadcast.progress_message_id is not None:
            try:
                await self._bot.edit_message_text(
                    text,
                    chat_id=broadcast.progress_chat_id,
                    message_id=broadcast.progress_message_id,
                    reply_markup=markup,
                )
                return None
            except TelegramBadRequest as exc:
                if "not modified" in exc.message:
                    return None
        sent = await self._bot.send_message(broadcast.created_by, text, reply_markup=markup)
        return sent.chat.id, sent.message_id

    async def finished(self, broadcast: BroadcastView) -> None:
        t = self._locales.get(broadcast.language)
        stats = broadcast.stats
        key = (
            "broadcast-report-cancelled"
            if broadcast.status == BroadcastStatus.CANCELLED.value
            else "broadcast-report"
        )
        await self._bot.send_message(
            broadcast.created_by,
            t(
                key,
                id=broadcast.id,
                sent=stats.sent,
                blocked=stats.blocked,
                failed=stats.failed,
                unknown=stats.unknown,
                left=stats.pending,
                total=stats.total,
            ),
        )
