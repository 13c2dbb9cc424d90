"""What a customer sees when a handler fails: the rule's own text, or a short apology."""

from __future__ import annotations

import logging
from typing import Any

from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent

from remnastore.bot.keyboards import only_back
from remnastore.bot.log_chat import LogChat
from remnastore.bot.render import Renderer
from remnastore.bot.routing import Router
from remnastore.domain.errors import DomainError
from remnastore.locales import Locales

log = logging.getLogger(__name__)


def error_router(locales: Locales, renderer: Renderer, log_chat: LogChat | None = None) -> Router:
    """``log_chat``: where unexpected handler failures are reported (refusals by rules are not)."""
    router = Router(name="errors")

    @router.errors()
    async def on_error(event: ErrorEvent, **data: Any) -> bool:
        update = event.update
        t = data.get("t") or locales.get(None)
        exc = event.exception
        if isinstance(exc, DomainError):
            text = renderer.error(exc, t)
            log.info("request refused: %s", exc.text_key, extra={"update_id": update.update_id})
        else:
            text = t("error-generic")
            log.error(
                "handler failed: %s",
                type(exc).__name__,
                exc_info=exc,
                extra={"update_id": update.update_id},
            )
            if log_chat is not None:
                log_chat.post("log-handler-error", error=type(exc).__name__, update=update.update_id)
        try:
            if update.callback_query is not None:
                query = update.callback_query
                await query.answer(text[:200], show_alert=True)
            elif update.message is not None and update.message.chat.type == "private":
                await update.message.answer(text, reply_markup=only_back(t))
        except TelegramAPIError as reply_error:
            log.warning("could not tell the customer about an error: %s", reply_error)
        return True

    return router
