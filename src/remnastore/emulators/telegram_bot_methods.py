"""Bot-level methods of the Telegram Bot API emulator: identity, updates, webhook, commands, chats."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from remnastore.emulators.telegram_params import Params, bad_request
from remnastore.emulators.telegram_state import TelegramState
from remnastore.emulators.telegram_updates import WebhookConfig

Handler = Callable[[TelegramState, Params], Any]

_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "restricted", "left", "kicked"})
_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_send_welcome_messages",
)
_RESTRICTED_RIGHTS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_react_to_messages",
    "can_edit_tag",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
)


def get_me(state: TelegramState, p: Params) -> dict[str, Any]:
    return {
        **state.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": True,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def get_updates(state: TelegramState, p: Params) -> list[dict[str, Any]]:
    allowed = p.raw("allowed_updates")
    return await state.hub.get_updates(
        offset=p.integer("offset"),
        limit=p.integer("limit", 100) or 100,
        poll_seconds=float(p.integer("timeout", 0) or 0),
        allowed_updates=allowed if isinstance(allowed, list) else None,
    )


def set_webhook(state: TelegramState, p: Params) -> bool:
    hub = state.hub
    url = p.text("url") or ""
    if not url:
        hub.delete_webhook(drop_pending_updates=p.flag("drop_pending_updates"))
        return True
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = p.text("secret_token")
    if secret and not _SECRET_TOKEN.fullmatch(secret):
        raise bad_request("secret token contains unallowed characters")
    max_connections = p.integer("max_connections", 40) or 40
    if not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    allowed = p.raw("allowed_updates")
    if not isinstance(allowed, list):
        allowed = hub.webhook.allowed_updates if hub.webhook else hub.allowed_updates
    config = WebhookConfig(
        url=url, secret_token=secret or None, max_connections=max_connections, allowed_updates=allowed or None
    )
    hub.set_webhook(config, drop_pending_updates=p.flag("drop_pending_updates"))
    return True


def delete_webhook(state: TelegramState, p: Params) -> bool:
    state.hub.delete_webhook(drop_pending_updates=p.flag("drop_pending_updates"))
    return True


def get_webhook_info(state: TelegramState, p: Params) -> dict[str, Any]:
    hub = state.hub
    config = hub.webhook
    info: dict[str, Any] = {
        "url": config.url if config else "",
        "has_custom_certificate": False,
        "pending_update_count": len(hub.pending),
    }
    if config is not None:
        info["max_connections"] = config.max_connections
        if config.allowed_updates:
            info["allowed_updates"] = config.allowed_updates
        if config.last_error_date is not None:
            info["last_error_date"] = config.last_error_date
            info["last_error_message"] = config.last_error_message
    return info


def _command_key(p: Params) -> str:
    scope = p.raw("scope") if isinstance(p.raw("scope"), dict) else {"type": "default"}
    return f"{json.dumps(scope, sort_keys=True)}|{p.text('language_code') or ''}"


def set_my_commands(state: TelegramState, p: Params) -> bool:
    commands = p.raw("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND.fullmatch(str(command.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    state.commands[_command_key(p)] = [dict(command) for command in commands]
    return True


def get_my_commands(state: TelegramState, p: Params) -> list[dict[str, Any]]:
    return list(state.commands.get(_command_key(p), []))


def delete_my_commands(state: TelegramState, p: Params) -> bool:
    state.commands.pop(_command_key(p), None)
    return True


def set_chat_menu_button(state: TelegramState, p: Params) -> bool:
    button = p.raw("menu_button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in {"default", "commands", "web_app"}:
        raise bad_request("can't parse menu button JSON object")
    if button["type"] == "web_app":
        url = (button.get("web_app") or {}).get("url", "")
        if urlsplit(str(url)).scheme != "https":
            raise bad_request(f"menu button Web App URL '{url}' is invalid: Only HTTPS links are allowed")
    state.menu_buttons[p.integer("chat_id")] = button
    return True


def get_chat_menu_button(state: TelegramState, p: Params) -> dict[str, Any]:
    return state.menu_buttons.get(p.integer("chat_id")) or state.menu_buttons.get(None) or {"type": "default"}


def _text_setting(field: str, limit: int) -> Handler:
    def setter(state: TelegramState, p: Params) -> bool:
        value = p.text(field) or ""
        if len(value) > limit:
            raise bad_request(f"{field} is too long")
        key = f"{field}|{p.text('language_code') or ''}"
        state.descriptions[key] = value
        if field == "name" and not p.text("language_code") and value:
            state.bot_first_name = value
        return True

    return setter


def _text_getter(field: str) -> Handler:
    def getter(state: TelegramState, p: Params) -> dict[str, Any]:
        key = f"{field}|{p.text('language_code') or ''}"
        default = state.bot_first_name if field == "name" else ""
        return {field: state.descriptions.get(key, default)}

    return getter


def get_chat(state: TelegramState, p: Params) -> dict[str, Any]:
    chat = state.chat(p.chat_id())
    gifts = dict.fromkeys(
        ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription", "gifts_from_channels"),
        True,
    )
    return {**chat.info, "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}


def member_json(status: str, user: dict[str, Any]) -> dict[str, Any]:
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(can_be_edited=False, is_anonymous=False, **dict.fromkeys(_ADMIN_RIGHTS, True))
    elif status == "restricted":
        member.update(is_member=True, until_date=0, **dict.fromkeys(_RESTRICTED_RIGHTS, False))
    elif status == "kicked":
        member["until_date"] = 0
    return member


def get_chat_member(state: TelegramState, p: Params) -> dict[str, Any]:
    chat_ref = p.chat_id()
    chat_id = state.chat(chat_ref).id if isinstance(chat_ref, str) else chat_ref
    user_id = p.req_integer("user_id")
    status = state.members.get((chat_id, user_id))
    if status is None:
        chat = state.chats.get(chat_id)
        is_own_private_chat = chat_id == user_id and (chat is None or chat.info.get("type") == "private")
        status = "member" if is_own_private_chat else "left"
    if status == "member" and chat_id == user_id and user_id in state.blocked:
        status = "kicked"
    return member_json(status, state.user_json(user_id))


def get_file(state: TelegramState, p: Params) -> dict[str, Any]:
    stored = state.files.get(p.req_text("file_id"))
    if stored is None:
        raise bad_request("invalid file_id")
    result: dict[str, Any] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
    if stored.data is not None:
        result.update(file_size=stored.size, file_path=stored.file_path)
    return result


def _ok(state: TelegramState, p: Params) -> bool:
    return True


BOT_METHODS: dict[str, Handler] = {
    "getMe": get_me,
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "logOut": _ok,
    "close": _ok,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "setChatMenuButton": set_chat_menu_button,
    "getChatMenuButton": get_chat_menu_button,
    "setMyDescription": _text_setting("description", 512),
    "getMyDescription": _text_getter("description"),
    "setMyShortDescription": _text_setting("short_description", 120),
    "getMyShortDescription": _text_getter("short_description"),
    "setMyName": _text_setting("name", 64),
    "getMyName": _text_getter("name"),
    "getChat": get_chat,
    "getChatMember": get_chat_member,
    "getFile": get_file,
}
