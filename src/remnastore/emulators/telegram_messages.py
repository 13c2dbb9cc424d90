"""Message methods of the Telegram Bot API emulator: send, edit, delete, copy and forward."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from remnastore.emulators.telegram_html import parse_formatted
from remnastore.emulators.telegram_markup import reply_keyboard_change, validate_reply_markup
from remnastore.emulators.telegram_media import MEDIA_KINDS, media_json, media_of, resolve_input_file
from remnastore.emulators.telegram_params import Params, bad_request
from remnastore.emulators.telegram_state import ChatState, StoredMessage, TelegramState

Handler = Callable[[TelegramState, Params], Any]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


def formatted_text(p: Params, text_field: str, entities_field: str) -> tuple[str, str, list[dict[str, Any]]]:
    """(source as sent, plain text, entities) of a text or caption parameter."""
    source = p.text(text_field) or ""
    text, entities = parse_formatted(source, p.text("parse_mode"), p.raw(entities_field))
    return source, text, entities


def checked_text(p: Params) -> tuple[str, str, list[dict[str, Any]]]:
    source, text, entities = formatted_text(p, "text", "entities")
    if not text.strip():
        raise bad_request("message text is empty")
    if len(text) > TEXT_LIMIT:
        raise bad_request("message is too long")
    return source, text, entities


def checked_caption(p: Params) -> tuple[str, str, list[dict[str, Any]]]:
    source, caption, entities = formatted_text(p, "caption", "caption_entities")
    if len(caption) > CAPTION_LIMIT:
        raise bad_request("message caption is too long")
    return source, caption, entities


def _reply_fields(state: TelegramState, chat: ChatState, p: Params) -> dict[str, Any]:
    reply = p.raw("reply_parameters")
    if isinstance(reply, dict):
        message_id = reply.get("message_id")
        allow_missing = bool(reply.get("allow_sending_without_reply"))
    else:
        message_id = p.integer("reply_to_message_id")
        allow_missing = p.flag("allow_sending_without_reply")
    if not isinstance(message_id, int):
        return {}
    stored = chat.messages.get(message_id)
    if stored is None or stored.deleted:
        if allow_missing:
            return {}
        raise bad_request("message to be replied not found")
    return {"reply_to_message": {k: v for k, v in stored.data.items() if k != "reply_to_message"}}


def _show_reply_keyboard(chat: ChatState, p: Params) -> None:
    changed, rows = reply_keyboard_change(p.raw("reply_markup"))
    if changed:
        chat.reply_keyboard = rows


def _with(content: dict[str, Any], **optional: Any) -> dict[str, Any]:
    content.update({key: value for key, value in optional.items() if value})
    return content


def send_message(state: TelegramState, p: Params) -> dict[str, Any]:
    chat = state.writable_chat(p.chat_id())
    source, text, entities = checked_text(p)
    markup = validate_reply_markup(p.raw("reply_markup"))
    content = _with({"text": text}, entities=entities, reply_markup=markup, **_reply_fields(state, chat, p))
    stored = state.store_message(chat, content, source_text=source, parse_mode=p.text("parse_mode"))
    _show_reply_keyboard(chat, p)
    return stored.data


def _media_sender(kind: str) -> Handler:
    def send_media(state: TelegramState, p: Params) -> dict[str, Any]:
        chat = state.writable_chat(p.chat_id())
        source, caption, entities = checked_caption(p)
        markup = validate_reply_markup(p.raw("reply_markup"))
        stored_file = resolve_input_file(state, kind, p.raw(kind))
        content = _with(
            media_json(stored_file),
            caption=caption,
            caption_entities=entities,
            has_media_spoiler=p.flag("has_spoiler"),
            reply_markup=markup,
            **_reply_fields(state, chat, p),
        )
        stored = state.store_message(
            chat, content, source_text=source or None, parse_mode=p.text("parse_mode")
        )
        _show_reply_keyboard(chat, p)
        return stored.data

    return send_media


def _editable(state: TelegramState, p: Params) -> tuple[ChatState, StoredMessage]:
    chat = state.writable_chat(p.chat_id())
    if not p.has("message_id"):
        raise bad_request("message identifier is not specified")
    stored = state.message(chat, p.req_integer("message_id"), missing="message to edit not found")
    if not stored.from_bot:
        raise bad_request("message can't be edited")
    return chat, stored


def _apply_edit(
    chat: ChatState, stored: StoredMessage, changes: dict[str, Any], *, source: str | None, p: Params
) -> dict[str, Any]:
    """Replace the given fields (a None value removes the field), refusing an edit that changes nothing."""
    data = stored.data
    if all(data.get(key) == (value or None) for key, value in changes.items()):
        raise bad_request(NOT_MODIFIED)
    for key, value in changes.items():
        if value:
            data[key] = value
        else:
            data.pop(key, None)
    data["edit_date"] = int(time.time())
    if source is not None:
        stored.source_text = source
        stored.parse_mode = p.text("parse_mode")
    chat.history.append(stored.view("edited"))
    return data


def edit_message_text(state: TelegramState, p: Params) -> dict[str, Any] | bool:
    source, text, entities = checked_text(p)
    markup = validate_reply_markup(p.raw("reply_markup"))
    if p.has("inline_message_id"):
        return True
    chat, stored = _editable(state, p)
    if "text" not in stored.data:
        raise bad_request("there is no text in the message to edit")
    changes = {"text": text, "entities": entities, "reply_markup": markup}
    return _apply_edit(chat, stored, changes, source=source, p=p)


def edit_message_caption(state: TelegramState, p: Params) -> dict[str, Any] | bool:
    source, caption, entities = checked_caption(p)
    markup = validate_reply_markup(p.raw("reply_markup"))
    if p.has("inline_message_id"):
        return True
    chat, stored = _editable(state, p)
    if media_of(stored.data) is None:
        raise bad_request("there is no caption in the message to edit")
    changes = {"caption": caption, "caption_entities": entities, "reply_markup": markup}
    return _apply_edit(chat, stored, changes, source=source or None, p=p)


def edit_message_reply_markup(state: TelegramState, p: Params) -> dict[str, Any] | bool:
    markup = validate_reply_markup(p.raw("reply_markup"), allow_pay=True)
    if p.has("inline_message_id"):
        return True
    chat, stored = _editable(state, p)
    return _apply_edit(chat, stored, {"reply_markup": markup}, source=None, p=p)


def edit_message_media(state: TelegramState, p: Params) -> dict[str, Any] | bool:
    media = p.raw("media")
    if not isinstance(media, dict) or media.get("type") not in MEDIA_KINDS:
        raise bad_request(
            "can't parse InputMedia: media type must be one of photo, document, video, animation"
        )
    value: Any = media.get("media")
    if isinstance(value, str) and value.startswith("attach://"):
        value = p.files.get(value.removeprefix("attach://"), value)
    inner = Params({key: media.get(key) for key in ("caption", "parse_mode", "caption_entities")}, p.files)
    source, caption, entities = checked_caption(inner)
    markup = validate_reply_markup(p.raw("reply_markup"))
    stored_file = resolve_input_file(state, str(media["type"]), value)
    if p.has("inline_message_id"):
        return True
    chat, stored = _editable(state, p)
    if media_of(stored.data) is None:
        raise bad_request("there is no media in the message to edit")
    for kind in (*MEDIA_KINDS, "caption", "caption_entities"):
        stored.data.pop(kind, None)
    changes: dict[str, Any] = {**media_json(stored_file), "caption": caption, "caption_entities": entities}
    changes["reply_markup"] = markup
    return _apply_edit(chat, stored, changes, source=source or None, p=inner)


def delete_message(state: TelegramState, p: Params) -> bool:
    chat = state.chat(p.chat_id())
    stored = state.message(chat, p.req_integer("message_id"), missing="message to delete not found")
    stored.deleted = True
    if stored.from_bot:
        chat.history.append(stored.view("deleted"))
    return True


def delete_messages(state: TelegramState, p: Params) -> bool:
    chat = state.chat(p.chat_id())
    ids = p.raw("message_ids")
    if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
        raise bad_request("message_ids must contain 1-100 message identifiers")
    for message_id in ids:
        stored = chat.messages.get(int(message_id))
        if stored is not None and not stored.deleted:
            stored.deleted = True
            if stored.from_bot:
                chat.history.append(stored.view("deleted"))
    return True


_COPIED_FIELDS = ("text", "entities", "caption", "caption_entities", *MEDIA_KINDS)


def _source_message(state: TelegramState, p: Params, missing: str) -> StoredMessage:
    source_chat = state.chat(p.chat_id("from_chat_id"))
    stored = state.message(source_chat, p.req_integer("message_id"), missing=missing)
    if "invoice" in stored.data or "successful_payment" in stored.data:
        raise bad_request("message can't be copied")
    return stored


def copy_message(state: TelegramState, p: Params) -> dict[str, Any]:
    original = _source_message(state, p, "message to copy not found")
    chat = state.writable_chat(p.chat_id())
    content = {key: original.data[key] for key in _COPIED_FIELDS if key in original.data}
    if p.has("caption") and media_of(content) is not None:
        _, caption, entities = checked_caption(p)
        content.pop("caption_entities", None)
        content = _with(content, caption=caption, caption_entities=entities)
    markup = validate_reply_markup(p.raw("reply_markup"))
    content = _with(content, reply_markup=markup, **_reply_fields(state, chat, p))
    stored = state.store_message(
        chat, content, source_text=original.source_text, parse_mode=original.parse_mode
    )
    _show_reply_keyboard(chat, p)
    return {"message_id": stored.data["message_id"]}


def forward_message(state: TelegramState, p: Params) -> dict[str, Any]:
    original = _source_message(state, p, "message to forward not found")
    chat = state.writable_chat(p.chat_id())
    content = {key: original.data[key] for key in _COPIED_FIELDS if key in original.data}
    sender = original.data.get("from")
    origin: dict[str, Any] = {"date": original.data["date"]}
    if isinstance(sender, dict):
        origin.update(type="user", sender_user=sender)
    else:
        origin.update(type="channel", chat=original.data["chat"], message_id=original.data["message_id"])
    content["forward_origin"] = origin
    stored = state.store_message(
        chat, content, source_text=original.source_text, parse_mode=original.parse_mode
    )
    return stored.data


def send_chat_action(state: TelegramState, p: Params) -> bool:
    state.writable_chat(p.chat_id())
    if p.text("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


MESSAGE_METHODS: dict[str, Handler] = {
    "sendMessage": send_message,
    "sendPhoto": _media_sender("photo"),
    "sendDocument": _media_sender("document"),
    "sendVideo": _media_sender("video"),
    "sendAnimation": _media_sender("animation"),
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "editMessageMedia": edit_message_media,
    "deleteMessage": delete_message,
    "deleteMessages": delete_messages,
    "copyMessage": copy_message,
    "forwardMessage": forward_message,
    "sendChatAction": send_chat_action,
}
