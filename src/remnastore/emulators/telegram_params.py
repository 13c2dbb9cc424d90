"""Request parameters of the Telegram Bot API emulator: decoding, typing and API errors.

Telegram accepts parameters in the query string, as JSON, as an url-encoded form or as multipart form
data. In forms every value is a string and complex values (keyboards, entities, prices ...) are JSON
encoded, which is what aiogram sends. The parameters are normalised here into plain Python values so
that the method handlers and the recorded calls see one shape whatever the transport was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

INT_FIELDS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "user_id",
        "offset",
        "limit",
        "timeout",
        "max_connections",
        "cache_time",
        "reply_to_message_id",
        "message_thread_id",
        "star_count",
        "duration",
        "width",
        "height",
        "max_tip_amount",
        "subscription_period",
        "until_date",
        "direct_messages_topic_id",
    }
)
BOOL_FIELDS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "allow_sending_without_reply",
        "allow_paid_broadcast",
        "show_alert",
        "ok",
        "drop_pending_updates",
        "disable_web_page_preview",
        "has_spoiler",
        "show_caption_above_media",
        "is_personal",
        "need_name",
        "need_phone_number",
        "need_email",
        "need_shipping_address",
        "send_phone_number_to_provider",
        "send_email_to_provider",
        "is_flexible",
        "disable_content_type_detection",
        "supports_streaming",
        "only_if_banned",
        "revoke_messages",
        "remove_caption",
        "for_channels",
    }
)
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "prices",
        "allowed_updates",
        "link_preview_options",
        "reply_parameters",
        "commands",
        "scope",
        "menu_button",
        "results",
        "button",
        "media",
        "suggested_tip_amounts",
        "message_ids",
        "reaction",
        "permissions",
        "rights",
        "shipping_options",
    }
)
_JSON_ERROR_NAMES = {"reply_markup": "reply keyboard markup"}


class ApiError(Exception):
    """An error answered to the client exactly like Telegram does."""

    def __init__(self, error_code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


@dataclass(frozen=True)
class UploadedFile:
    """A file that arrived in a multipart request."""

    field_name: str
    filename: str
    content_type: str
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)


async def read_request(request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """Collect the raw parameters and uploaded files of a Bot API request."""
    params: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if request.method != "POST" or not request.body_exists:
        return params, files
    content_type = request.content_type
    if content_type == "application/json":
        try:
            body = await request.json()
        except ValueError as exc:
            raise bad_request("can't parse JSON request body") from exc
        if not isinstance(body, dict):
            raise bad_request("JSON request body must be an object")
        params.update(body)
    elif content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.filename is not None:
                data = await part.read()
                files[part.name] = UploadedFile(
                    field_name=part.name,
                    filename=part.filename,
                    content_type=part.headers.get("Content-Type", "application/octet-stream"),
                    data=bytes(data),
                )
            else:
                params[part.name] = await part.text()
    else:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, str):
                params[key] = value
    return params, files


def _to_int(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
    return value


def _to_bool(value: Any) -> Any:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"true", "1"}:
            return True
        if lowered in {"false", "0", ""}:
            return False
    return value


def normalize_params(raw: dict[str, Any], files: dict[str, UploadedFile]) -> dict[str, Any]:
    """Type the raw parameters; `attach://name` references become `UploadedFile` objects."""
    params: dict[str, Any] = {}
    for name, value in raw.items():
        if name in JSON_FIELDS and isinstance(value, str):
            try:
                params[name] = json.loads(value)
            except ValueError as exc:
                what = _JSON_ERROR_NAMES.get(name, name.replace("_", " "))
                raise bad_request(f"can't parse {what} JSON object") from exc
        elif name in INT_FIELDS:
            params[name] = _to_int(value)
        elif name in BOOL_FIELDS:
            params[name] = _to_bool(value)
        elif isinstance(value, str) and value.startswith("attach://"):
            params[name] = files.get(value.removeprefix("attach://"), value)
        else:
            params[name] = value
    for name, upload in files.items():
        # A file may also be posted directly under the parameter's own name.
        if name not in params and name not in _attached_names(raw):
            params[name] = upload
    return params


def _attached_names(raw: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for value in raw.values():
        if isinstance(value, str) and value.startswith("attach://"):
            names.add(value.removeprefix("attach://"))
    return names


class Params:
    """Typed access to the normalised parameters of one call."""

    def __init__(self, values: dict[str, Any], files: dict[str, UploadedFile] | None = None) -> None:
        self.values = values
        self.files = files or {}

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dict | list):
            return json.dumps(value)
        return value if isinstance(value, str) else f"{value}"

    def req_text(self, name: str) -> str:
        value = self.text(name)
        if not value:
            raise bad_request(f"{name} is empty")
        return value

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = _to_int(self.values.get(name))
        if value is None or value == "":
            return default
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_request(f"invalid {name} specified")
        return value

    def req_integer(self, name: str) -> int:
        value = self.integer(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        value = _to_bool(self.values.get(name))
        if value is None:
            return default
        return bool(value)

    def chat_id(self, name: str = "chat_id") -> int | str:
        value = _to_int(self.values.get(name))
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.startswith("@"):
            return value
        raise bad_request("chat not found")
