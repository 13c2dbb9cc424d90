"""What the chat page shows, as JSON: the messages of one chat, its reply keyboard, the bot's answers to
button presses, and the users of the emulated panel.

Message text goes out as plain text plus Telegram's entities (never as HTML): the page builds the
formatting from them with DOM nodes, so nothing the bot sends can inject markup into the page.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from remnastore.emulators.panel import PanelEmulator
from remnastore.emulators.telegram import TelegramEmulator
from remnastore.emulators.telegram_state import ChatState, StoredMessage

_MEDIA = ("photo", "animation", "video", "document")


def file_url(file_id: str) -> str:
    return f"/api/files/{file_id}"


def _media(data: dict[str, Any]) -> dict[str, Any] | None:
    kind = next((name for name in _MEDIA if name in data), None)
    if kind is None:
        return None
    described = data[kind][-1] if kind == "photo" else data[kind]
    return {
        "kind": kind,
        "url": file_url(str(described["file_id"])),
        "name": described.get("file_name"),
        "mime_type": described.get("mime_type"),
    }


def _button(raw: dict[str, Any], invoice_links: dict[str, dict[str, Any]]) -> dict[str, Any]:
    text = str(raw.get("text", ""))
    if "callback_data" in raw:
        return {"text": text, "kind": "callback", "data": raw["callback_data"]}
    if raw.get("pay"):
        return {"text": text, "kind": "pay"}
    url = raw.get("url")
    if isinstance(url, str):
        if url in invoice_links:
            return {"text": text, "kind": "invoice_link", "url": url}
        return {"text": text, "kind": "url", "url": url}
    web_app = raw.get("web_app")
    if isinstance(web_app, dict):
        return {"text": text, "kind": "url", "url": str(web_app.get("url", ""))}
    copy_text = raw.get("copy_text")
    if isinstance(copy_text, dict):
        return {"text": text, "kind": "copy", "data": str(copy_text.get("text", ""))}
    return {"text": text, "kind": "other"}


def message_json(stored: StoredMessage, invoice_links: dict[str, dict[str, Any]]) -> dict[str, Any]:
    data = stored.data
    markup = data.get("reply_markup") or {}
    rows = markup.get("inline_keyboard") or []
    invoice = data.get("invoice")
    buttons = [[_button(button, invoice_links) for button in row] for row in rows]
    if invoice is not None and not buttons:
        buttons = [[{"text": f"Pay {invoice['total_amount']} {invoice['currency']}", "kind": "pay"}]]
    return {
        "id": int(data["message_id"]),
        "from_bot": stored.from_bot,
        "date": int(data.get("date", 0)),
        "edited": "edit_date" in data,
        "text": str(data.get("text", data.get("caption", ""))),
        "entities": list(data.get("entities", data.get("caption_entities", []))),
        "media": _media(data),
        "invoice": invoice,
        "paid": "successful_payment" in data,
        "buttons": buttons,
    }


def _notices(telegram: TelegramEmulator, user_id: int) -> list[dict[str, Any]]:
    """The bot's answers to this user's button presses that carry a text (toasts and alerts)."""
    found = []
    for query in telegram.state.queries.values():
        answer = query.answer or {}
        if query.kind == "callback" and query.user_id == user_id and answer.get("text"):
            found.append(
                {"id": query.query_id, "text": str(answer["text"]), "alert": bool(answer.get("show_alert"))}
            )
    return found


def _commands(telegram: TelegramEmulator, language: str | None) -> list[dict[str, str]]:
    commands = telegram.state.commands
    scope = json.dumps({"type": "default"}, sort_keys=True)
    chosen = commands.get(f"{scope}|{language or ''}") or commands.get(f"{scope}|") or []
    return [{"command": str(c["command"]), "description": str(c["description"])} for c in chosen]


def chat_json(telegram: TelegramEmulator, chat: ChatState, language: str | None) -> dict[str, Any]:
    links = telegram.state.invoice_links
    messages = [message_json(item, links) for _, item in sorted(chat.messages.items()) if not item.deleted]
    return {
        "messages": messages,
        "reply_keyboard": chat.reply_keyboard,
        "notices": _notices(telegram, chat.id),
        "commands": _commands(telegram, language),
    }


def invoice_json(invoice: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": invoice.get("title"),
        "description": invoice.get("description"),
        "currency": invoice.get("currency"),
        "total_amount": invoice.get("total_amount"),
    }


def _expiry(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def panel_json(panel: PanelEmulator) -> list[dict[str, Any]]:
    users = []
    for user in panel.users:
        ref: int | str = user["id"] if "id" in user else user["uuid"]
        users.append(
            {
                "username": user["username"],
                "telegram_id": user["telegramId"],
                "expire_at": _expiry(user["expireAt"]),
                "status": user["status"],
                "traffic_used_bytes": user["userTraffic"]["usedTrafficBytes"],
                "traffic_limit_bytes": user["trafficLimitBytes"],
                "devices": len(panel.devices(ref)),
                "device_limit": user["hwidDeviceLimit"],
            }
        )
    return users
