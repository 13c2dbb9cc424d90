"""Files sent through the Telegram Bot API emulator: uploads, file ids, URLs and their JSON shapes."""

from __future__ import annotations

import struct
from typing import Any

from remnastore.emulators.telegram_params import ApiError, UploadedFile, bad_request
from remnastore.emulators.telegram_state import StoredFile, TelegramState

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MEDIA_KINDS = ("photo", "document", "video", "animation")
_PHOTO_SIDES = (90, 320, 800, 1280)
_IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")


def _is_image(data: bytes) -> bool:
    if data.startswith(_IMAGE_SIGNATURES):
        return True
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def image_size(data: bytes | None) -> tuple[int, int]:
    """Width and height of a PNG, GIF or JPEG image (800x600 when unknown)."""
    if not data:
        return 800, 600
    if data.startswith(b"\x89PNG") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:3] == b"GIF" and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        pos = 2
        while pos + 9 < len(data) and data[pos] == 0xFF:
            marker = data[pos + 1]
            length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
            if marker in {0xC0, 0xC1, 0xC2}:
                height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
                return int(width), int(height)
            pos += 2 + length
    return 800, 600


def resolve_input_file(state: TelegramState, kind: str, value: Any) -> StoredFile:
    """Turn an upload, a file_id or an URL into a stored file of the given kind."""
    if isinstance(value, UploadedFile):
        if not value.data:
            raise bad_request("file must be non-empty")
        if value.size > MAX_UPLOAD_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        if kind == "photo":
            if not _is_image(value.data):
                raise bad_request("IMAGE_PROCESS_FAILED")
            if value.size > MAX_PHOTO_BYTES:
                raise bad_request("PHOTO_INVALID_DIMENSIONS")
        return state.register_file(
            kind, data=value.data, file_name=value.filename, mime_type=value.content_type
        )
    if not isinstance(value, str) or not value or value.startswith("attach://"):
        raise bad_request(f"there is no {kind} in the request")
    known = state.files.get(value)
    if known is not None:
        if known.kind != kind and {known.kind, kind} != {"document", "animation"}:
            raise bad_request(f"can't use file of type {known.kind.capitalize()} as {kind.capitalize()}")
        return known
    if value.startswith(("http://", "https://")):
        return state.register_file(kind, url=value, file_name=value.rsplit("/", 1)[-1] or None)
    raise bad_request("wrong file identifier/HTTP URL specified")


def media_json(stored: StoredFile) -> dict[str, Any]:
    """The content fields a Message gets for a file: {"photo": [...]} or {"document": {...}} ..."""
    base: dict[str, Any] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
    if stored.data is not None:
        base["file_size"] = stored.size
    width, height = image_size(stored.data)
    if stored.kind == "photo":
        sizes: list[dict[str, Any]] = []
        longest = max(width, height, 1)
        for side in _PHOTO_SIDES:
            if side >= longest:
                break
            scale = side / longest
            sizes.append(
                {
                    "file_id": f"{stored.file_id}_{side}",
                    "file_unique_id": f"{stored.file_unique_id}{side}",
                    "width": max(1, round(width * scale)),
                    "height": max(1, round(height * scale)),
                }
            )
        sizes.append({**base, "width": width, "height": height})
        return {"photo": sizes}
    described = {**base, "file_name": stored.file_name, "mime_type": stored.mime_type}
    described = {key: value for key, value in described.items() if value is not None}
    if stored.kind == "document":
        return {"document": described}
    moving = {**described, "width": width, "height": height, "duration": 1}
    if stored.kind == "animation":
        return {"animation": moving, "document": described}
    return {"video": moving}


def media_of(data: dict[str, Any]) -> str | None:
    """Which media kind a stored Message carries, if any."""
    if "animation" in data:
        return "animation"
    return next((kind for kind in MEDIA_KINDS if kind in data), None)
