"""A Bot API call's parameters as one JSON object, the way Telegram takes them in a JSON body.

aiogram's session posts every call as a form: each nested value (a keyboard, entities) JSON-dumped on
its own, then the whole URL-encoded. Telegram takes the same parameters as one ``application/json``
body; :func:`json_params` prepares them as aiogram does (bot defaults such as ``parse_mode`` filled in,
enums as their values, dates as timestamps, ``None`` and empty strings left out), only not dumped one by
one. A file upload cannot go in JSON: its ``attach://`` names are collected in ``files``.

An inline keyboard, the bulk of most calls, is dumped by pydantic-core in one go: its buttons hold only
strings, booleans and small objects of them, for which aiogram's preparation (walked value by value, in
Python) only leaves out what is ``None``. That halves the time of preparing an edit with a
seven-button keyboard (docs/performance.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiogram.types import InlineKeyboardMarkup
from aiohttp import FormData
from aiohttp.payload import BytesPayload, Payload

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.client.session.base import BaseSession
    from aiogram.methods import TelegramMethod

#: what :func:`json_params` leaves to pydantic-core when it is an inline keyboard
_KEYBOARD = {"reply_markup"}


def json_params(
    session: BaseSession, bot: Bot, method: TelegramMethod[Any], files: dict[str, Any]
) -> dict[str, Any]:
    """``method``'s parameters, prepared by ``session`` as for a form but not dumped one by one."""
    params: dict[str, Any] = {}
    keyboard = method.__dict__.get("reply_markup")
    if not isinstance(keyboard, InlineKeyboardMarkup):
        keyboard = None  # other keyboards are prepared as aiogram does
    for key, value in method.model_dump(
        warnings=False, exclude=_KEYBOARD if keyboard is not None else None
    ).items():
        prepared = session.prepare_value(value, bot=bot, files=files, _dumps_json=False)
        if prepared is None or prepared == "":
            continue  # aiogram's form leaves these out too
        params[key] = prepared
    if keyboard is not None:
        params["reply_markup"] = keyboard.model_dump(warnings=False, exclude_none=True)
    return params


class JsonBody(FormData):
    """A JSON request body where aiogram's session expects a form: aiohttp turns a ``FormData`` into its
    payload by calling it, and this one is a ready ``application/json`` payload. No form is built (the
    base class's fields are never used)."""

    def __init__(self, body: bytes) -> None:  # no form of its own: super().__init__ is not called
        self._body = body

    def __call__(self) -> Payload:
        return BytesPayload(self._body, content_type="application/json")
