"""Telegram's webhook: an update read straight from the request bytes, payments settled first.

The update is parsed once, from the raw body, by pydantic-core's own JSON parser
(``Update.model_validate_json``): no dict of dicts is built and then validated a second time, as
aiogram's handler does (``request.json()`` then ``Update.model_validate``).

* a body that is not JSON at all (unparsable, nested deeper than the parser's recursion limit, not
  UTF-8) is answered 400, without a traceback, like every other webhook route;
* a JSON body that is no update aiogram knows is answered 200 and dropped with a warning: Telegram would
  only deliver it again, and it is not worth holding the updates behind it;
* an authenticated payment update is settled before the answer (:mod:`remnastore.bot.payment_intake`);
  should that fail the answer is 500 and Telegram delivers the update again;
* anything else is handled in the background, with the dispatcher's ``feed_update``, as aiogram's
  ``handle_in_background`` does; a method a handler returns is still sent (``silent_call_request``);
* the message whose button was pressed comes without its keyboard and text entities parsed
  (:class:`WebhookUpdate`): building a model per button and per entity was nearly half of parsing a
  press, and no handler reads them;
* a button press is answered in the webhook's reply: before replying, the handler waits (at most
  :data:`remnastore.bot.webhook_reply.REPLY_WAIT_SECONDS`) for the press's first ``answerCallbackQuery``
  or the end of its handling (:mod:`remnastore.bot.webhook_reply`). Other updates are replied to at once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.methods import TelegramMethod
from aiogram.types import CallbackQuery, Chat, InaccessibleMessage, Message, TelegramObject, Update, User
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from pydantic import Field, ValidationError

from remnastore.bot.payment_intake import PaymentIntake, payment_events
from remnastore.bot.webhook_reply import REPLY_WAIT_SECONDS, reply_slot

log = logging.getLogger(__name__)

_Model = TypeVar("_Model", bound=type[TelegramObject])

_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


def _bind_from_context(model: Any, context: Any, /) -> None:
    """What aiogram's ``model_post_init`` does (the bot from the validation context, the object's only
    private attribute), set in one step instead of through pydantic's private-attribute set-up and
    ``__setattr__``: about half of building each object of a press."""
    object.__setattr__(model, "__pydantic_private__", {"_bot": context.get("bot") if context else None})


def _bound_from_context(cls: _Model) -> _Model:
    """``cls`` with :func:`_bind_from_context` as its post-init, if the bot is still aiogram's only private
    attribute (otherwise aiogram's own post-init is kept, which sets up every private attribute).

    pydantic-core calls ``model_post_init`` by name after building each object, so assigning it after the
    class is built replaces pydantic's wrapper without changing anything else of the class."""
    if set(cls.__private_attributes__) == {"_bot"}:
        cls.model_post_init = _bind_from_context  # type: ignore[method-assign,assignment]
    return cls


@_bound_from_context
class PressUser(User):
    """The person who pressed (or the bot who sent the pressed message)."""


@_bound_from_context
class PressChat(Chat):
    """The chat of the pressed message."""


@_bound_from_context
class PressedMessage(Message):
    """The message whose button was pressed, as it comes with the press: its keyboard and its text's
    entities are kept as Telegram sent them (plain JSON values), not built into aiogram's models (a model
    per button and per entity, nearly half the cost of parsing a press). The shop edits or answers this
    message and reads its text, never its keyboard or entities."""

    from_user: PressUser | None = Field(None, alias="from")
    chat: PressChat
    reply_markup: Any = None
    entities: Any = None


@_bound_from_context
class PressQuery(CallbackQuery):
    from_user: PressUser = Field(..., alias="from")
    message: PressedMessage | InaccessibleMessage | None = None


@_bound_from_context
class WebhookUpdate(Update):
    """aiogram's ``Update`` with a button press as :class:`PressQuery`: its objects bound to the bot in one
    step (:func:`_bind_from_context`) and its message as :class:`PressedMessage`."""

    callback_query: PressQuery | None = None


def _not_json(exc: ValidationError) -> bool:
    return any(error["type"] == "json_invalid" for error in exc.errors(include_url=False))


class SettleFirstRequestHandler(SimpleRequestHandler):
    """Webhook: the update parsed once from the body; an authenticated payment update is settled before
    Telegram gets its 200; every update handled in the background; a press answered in the reply."""

    def __init__(
        self, *args: Any, intake: PaymentIntake, reply_wait: float = REPLY_WAIT_SECONDS, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._intake = intake
        self.reply_wait = reply_wait

    async def handle(self, request: web.Request) -> web.Response:
        bot = await self.resolve_bot(request)
        if not self.verify_secret(request.headers.get(_SECRET_HEADER, ""), bot):
            return web.Response(body="Unauthorized", status=401)
        body = await request.read()
        try:
            update = WebhookUpdate.model_validate_json(body, context={"bot": bot})
        except ValidationError as exc:
            if _not_json(exc):
                log.warning("refused a webhook body that is not JSON (%d bytes)", len(body))
                return web.Response(status=400, text="not JSON")
            where = [(error["type"], error["loc"]) for error in exc.errors(include_url=False)[:3]]
            log.warning("dropped a webhook body that is no update: %s", where)
            return self._empty(bot)
        if payment_events(update):
            try:
                await self._intake.settle([update])
            except Exception:
                log.exception("could not store a payment update; Telegram will deliver it again")
                return web.Response(status=500)
        query = update.callback_query
        if query is None:
            self._spawn(bot, update)
            return self._empty(bot)
        with reply_slot(bot, query.id) as slot:
            work = self._spawn(bot, update)  # the task inherits the slot
        try:
            await slot.wait(work, self.reply_wait)
        finally:
            answer = slot.close()  # a later answer is sent as a call
        if answer is None:
            return self._empty(bot)
        return web.json_response(answer, dumps=bot.session.json_dumps)

    @staticmethod
    def _empty(bot: Bot) -> web.Response:
        return web.json_response({}, dumps=bot.session.json_dumps)

    def _spawn(self, bot: Bot, update: Update) -> asyncio.Task[None]:
        task = asyncio.create_task(self._feed(bot, update))
        self._background_feed_update_tasks.add(task)
        task.add_done_callback(self._background_feed_update_tasks.discard)
        return task

    async def _feed(self, bot: Bot, update: Update) -> None:
        try:
            result = await self.dispatcher.feed_update(bot, update, **self.data)
        except Exception:
            log.exception("update %d failed", update.update_id)
            return
        if isinstance(result, TelegramMethod):
            await self.dispatcher.silent_call_request(bot=bot, result=result)
