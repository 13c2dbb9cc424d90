"""Reply markup validation of the Telegram Bot API emulator, with Telegram's error texts."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from remnastore.emulators.telegram_params import bad_request

CALLBACK_DATA_LIMIT = 64
MAX_INLINE_BUTTONS = 100
INLINE_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_URL_SCHEMES = frozenset({"http", "https", "tg"})


def _check_url(url: Any) -> None:
    if not isinstance(url, str) or not url:
        raise bad_request("BUTTON_URL_INVALID")
    parts = urlsplit(url)
    if parts.scheme.lower() not in _URL_SCHEMES:
        raise bad_request("BUTTON_URL_INVALID")
    if parts.scheme.lower() in {"http", "https"} and not parts.netloc:
        raise bad_request("BUTTON_URL_INVALID")


def _check_inline_button(button: Any, *, allow_pay: bool) -> None:
    if not isinstance(button, dict):
        raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str):
        raise bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
    if not text.strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    actions = [name for name in INLINE_BUTTON_ACTIONS if button.get(name) is not None]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise bad_request(
            "can't parse inline keyboard button: exactly one of the optional fields must be used, "
            f"got {', '.join(actions)}"
        )
    action = actions[0]
    value = button[action]
    if action == "callback_data":
        if not isinstance(value, str) or not value or len(value.encode("utf-8")) > CALLBACK_DATA_LIMIT:
            raise bad_request("BUTTON_DATA_INVALID")
    elif action == "url":
        _check_url(value)
    elif action in {"web_app", "login_url"}:
        url = value.get("url") if isinstance(value, dict) else None
        if not isinstance(url, str) or urlsplit(url).scheme.lower() != "https":
            raise bad_request(
                f"inline keyboard button Web App URL '{url}' is invalid: Only HTTPS links are allowed"
            )
    elif action == "pay" and not allow_pay:
        raise bad_request("can't parse inline keyboard button: pay buttons are allowed only in invoices")
    elif action == "copy_text":
        copied = value.get("text") if isinstance(value, dict) else None
        if not isinstance(copied, str) or not copied or len(copied) > 256:
            raise bad_request("COPY_TEXT_INVALID")


def validate_reply_markup(markup: Any, *, allow_pay: bool = False) -> dict[str, Any] | None:
    """Validate a reply_markup parameter; return the markup to echo on the Message (inline only)."""
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request('can\'t parse inline keyboard markup: field "inline_keyboard" must be an Array')
        buttons = [button for row in rows for button in row]
        if len(buttons) > MAX_INLINE_BUTTONS:
            raise bad_request("REPLY_MARKUP_TOO_LONG")
        for button in buttons:
            _check_inline_button(button, allow_pay=allow_pay)
        kept = [row for row in rows if row]
        return {"inline_keyboard": kept} if kept else None
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request('can\'t parse keyboard markup: field "keyboard" must be an Array')
        for row in rows:
            for button in row:
                text = (
                    button
                    if isinstance(button, str)
                    else button.get("text")
                    if isinstance(button, dict)
                    else None
                )
                if not isinstance(text, str) or not text:
                    raise bad_request("BUTTON_TEXT_INVALID")
        return None
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return None
    raise bad_request("can't parse reply keyboard markup JSON object")


def reply_keyboard_change(markup: Any) -> tuple[bool, list[list[str]] | None]:
    """(changes the reply keyboard?, its button texts) for an already validated reply_markup."""
    if not isinstance(markup, dict):
        return False, None
    if isinstance(markup.get("keyboard"), list):
        rows = [
            [button if isinstance(button, str) else str(button.get("text", "")) for button in row]
            for row in markup["keyboard"]
        ]
        return True, rows
    if markup.get("remove_keyboard") is True:
        return True, None
    return False, None


def first_button_is_pay(markup: dict[str, Any] | None) -> bool:
    if not markup:
        return True
    rows = markup.get("inline_keyboard") or []
    return bool(rows and rows[0] and rows[0][0].get("pay"))
