"""What the Telegram Bot API emulator remembers: chats, messages, files, queries and payments."""

from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from remnastore.emulators.telegram_params import ApiError, bad_request
from remnastore.emulators.telegram_updates import UpdateHub


@dataclass
class ApiCall:
    """One request the bot made, as the emulator answered it."""

    method: str
    params: dict[str, Any]
    at: float
    ok: bool
    result: Any = None
    error: str | None = None
    error_code: int | None = None
    chat_id: int | None = None
    index: int = 0
    finished: float = 0.0
    via_webhook_reply: bool = False
    #: how the parameters came: ``application/json``, ``multipart/form-data``, a URL-encoded form ...
    content_type: str | None = None


@dataclass(frozen=True)
class Button:
    """An inline keyboard button as the user sees it."""

    text: str
    callback_data: str | None = None
    url: str | None = None
    web_app_url: str | None = None
    switch_inline_query: str | None = None
    copy_text: str | None = None
    pay: bool = False
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Button:
        web_app = data.get("web_app")
        copy_text = data.get("copy_text")
        inline_query = data.get("switch_inline_query", data.get("switch_inline_query_current_chat"))
        return cls(
            text=str(data.get("text", "")),
            callback_data=data.get("callback_data"),
            url=data.get("url"),
            web_app_url=web_app.get("url") if isinstance(web_app, dict) else None,
            switch_inline_query=inline_query,
            copy_text=copy_text.get("text") if isinstance(copy_text, dict) else None,
            pay=bool(data.get("pay")),
            raw=data,
        )


@dataclass(frozen=True)
class BotMessage:
    """A snapshot of a message the bot shows in a chat."""

    message_id: int
    chat_id: int
    text: str
    html: str | None
    parse_mode: str | None
    entities: list[dict[str, Any]]
    buttons: list[list[Button]]
    has_photo: bool
    has_document: bool
    has_video: bool
    has_animation: bool
    invoice: dict[str, Any] | None
    event: str
    raw: dict[str, Any] = field(repr=False)

    @property
    def button_texts(self) -> list[str]:
        return [button.text for row in self.buttons for button in row]

    def find_button(self, label: str) -> Button | None:
        """The button whose text equals `label`, else contains it, else whose callback_data equals it."""
        flat = [button for row in self.buttons for button in row]
        for matches in (
            lambda b: b.text == label,
            lambda b: label in b.text,
            lambda b: b.callback_data == label,
        ):
            found = next((button for button in flat if matches(button)), None)
            if found is not None:
                return found
        return None


@dataclass
class StoredMessage:
    data: dict[str, Any]
    from_bot: bool
    source_text: str | None = None
    parse_mode: str | None = None
    deleted: bool = False
    invoice_details: dict[str, Any] | None = None

    def view(self, event: str) -> BotMessage:
        data = self.data
        markup = data.get("reply_markup") or {}
        rows = markup.get("inline_keyboard") or []
        return BotMessage(
            message_id=int(data["message_id"]),
            chat_id=int(data["chat"]["id"]),
            text=str(data.get("text", data.get("caption", ""))),
            html=self.source_text,
            parse_mode=self.parse_mode,
            entities=list(data.get("entities", data.get("caption_entities", []))),
            buttons=[[Button.from_json(button) for button in row] for row in rows],
            has_photo="photo" in data,
            has_document="document" in data,
            has_video="video" in data,
            has_animation="animation" in data,
            invoice=data.get("invoice"),
            event=event,
            raw=data,
        )


@dataclass
class ChatState:
    info: dict[str, Any]
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    history: list[BotMessage] = field(default_factory=list)
    last_message_id: int = 0
    reply_keyboard: list[list[str]] | None = None

    @property
    def id(self) -> int:
        return int(self.info["id"])

    def next_message_id(self) -> int:
        self.last_message_id += 1
        return self.last_message_id

    def bot_messages(self) -> list[BotMessage]:
        return [item.view("current") for item in self.messages.values() if item.from_bot and not item.deleted]


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    data: bytes | None = field(default=None, repr=False)
    file_name: str | None = None
    mime_type: str | None = None
    url: str | None = None

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else 0

    @property
    def file_path(self) -> str:
        return f"{self.kind}s/file_{self.file_unique_id}"


@dataclass
class QueryState:
    """A callback, pre-checkout or inline query waiting for the bot's answer."""

    query_id: str
    user_id: int
    kind: str
    answered: bool = False
    answer: dict[str, Any] | None = None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass
class StarCharge:
    charge_id: str
    user_id: int
    amount: int
    payload: str
    date: int
    refunded: bool = False


class TelegramState:
    """The emulated Telegram world of one bot."""

    def __init__(self, *, bot_username: str, bot_first_name: str, hub: UpdateHub) -> None:
        self.hub = hub
        self.bot_id = 0
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.descriptions: dict[str, str] = {}
        self.chats: dict[int, ChatState] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.files: dict[str, StoredFile] = {}
        self.members: dict[tuple[int, int], str] = {}
        self.blocked: set[int] = set()
        self.queries: dict[str, QueryState] = {}
        self.invoice_links: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, StarCharge] = {}
        self.star_transactions: list[dict[str, Any]] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self._ids = itertools.count(1)

    def next_id(self) -> int:
        return next(self._ids)

    @property
    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id or 1,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    # -- chats ---------------------------------------------------------------------------------
    def add_chat(self, info: dict[str, Any]) -> ChatState:
        chat = self.chats.get(int(info["id"]))
        if chat is None:
            chat = ChatState(info=info)
            self.chats[chat.id] = chat
        else:
            chat.info.update(info)
        return chat

    def user_json(self, user_id: int) -> dict[str, Any]:
        return self.users.get(user_id) or {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}

    def chat(self, chat_id: int | str) -> ChatState:
        if isinstance(chat_id, str):
            wanted = chat_id.removeprefix("@").lower()
            for chat in self.chats.values():
                if str(chat.info.get("username", "")).lower() == wanted:
                    return chat
            raise bad_request("chat not found")
        found = self.chats.get(chat_id)
        if found is None:
            raise bad_request("chat not found")
        return found

    def writable_chat(self, chat_id: int | str) -> ChatState:
        chat = self.chat(chat_id)
        if chat.info.get("type") == "private" and chat.id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def message(self, chat: ChatState, message_id: int, *, missing: str) -> StoredMessage:
        stored = chat.messages.get(message_id)
        if stored is None or stored.deleted:
            raise bad_request(missing)
        return stored

    def store_message(
        self,
        chat: ChatState,
        content: dict[str, Any],
        *,
        from_bot: bool = True,
        sender: dict[str, Any] | None = None,
        source_text: str | None = None,
        parse_mode: str | None = None,
    ) -> StoredMessage:
        data: dict[str, Any] = {
            "message_id": chat.next_message_id(),
            "from": self.bot_user if from_bot else sender,
            "chat": dict(chat.info),
            "date": int(time.time()),
            **content,
        }
        if data["from"] is None:
            del data["from"]
        stored = StoredMessage(data=data, from_bot=from_bot, source_text=source_text, parse_mode=parse_mode)
        chat.messages[data["message_id"]] = stored
        if from_bot:
            chat.history.append(stored.view("sent"))
        return stored

    # -- files ---------------------------------------------------------------------------------
    def register_file(
        self,
        kind: str,
        *,
        data: bytes | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        url: str | None = None,
    ) -> StoredFile:
        unique = secrets.token_urlsafe(9)
        stored = StoredFile(
            file_id=f"{kind[:2].upper()}{secrets.token_urlsafe(24)}",
            file_unique_id=unique,
            kind=kind,
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            url=url,
        )
        self.files[stored.file_id] = stored
        return stored

    def file_by_path(self, path: str) -> StoredFile | None:
        return next((item for item in self.files.values() if item.file_path == path), None)

    # -- queries -------------------------------------------------------------------------------
    def new_query(self, kind: str, user_id: int, **payload: Any) -> QueryState:
        query = QueryState(query_id=str(10**15 + self.next_id()), user_id=user_id, kind=kind, payload=payload)
        self.queries[query.query_id] = query
        return query

    def take_query(self, query_id: str, kind: str) -> QueryState:
        query = self.queries.get(query_id)
        if query is None or query.kind != kind or query.answered:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        return query
