"""Rules of the Remnawave panel emulator: the panel's zod validation, error bodies and reply shapes."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from aiohttp import web

USER_STATUSES = ("ACTIVE", "DISABLED", "LIMITED", "EXPIRED")
TRAFFIC_STRATEGIES = ("NO_RESET", "DAY", "WEEK", "MONTH", "MONTH_ROLLING")
USERNAME_RE = re.compile(r"^[a-zA-Z0-9_-]+$")
TAG_RE = re.compile(r"^[A-Z0-9_]+$")
HWID_RE = re.compile(r"^[a-zA-Z0-9=-]{10,64}$")
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$")


def now() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    """The panel's datetime form: ``2026-12-24T00:36:51.000Z``."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def compact_json(obj: Any) -> str:
    """``JSON.stringify``: no spaces, non-ASCII left raw."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def reply(payload: Any, status: int = 200) -> web.Response:
    """A success in the panel's ``{"response": ...}`` envelope."""
    return web.json_response({"response": payload}, status=status, dumps=compact_json)


def nest_error(status: int, message: str | None = None, error: str | None = None) -> web.Response:
    """Nest's default error body: ``{"message", "error"?, "statusCode"}``."""
    body: dict[str, Any] = {"message": message or HTTPStatus(status).phrase}
    if error:
        body["error"] = error
    body["statusCode"] = status
    return web.json_response(body, status=status, dumps=compact_json)


class ValidationFailed(Exception):
    """A 400 with the panel's validation body."""

    def __init__(self, issues: list[dict[str, Any]]) -> None:
        super().__init__("Validation failed")
        self.issues = issues

    def body(self) -> dict[str, Any]:
        return {"statusCode": 400, "message": "Validation failed", "errors": self.issues}


class BusinessError(Exception):
    """A business error: ``{timestamp, path, message, errorCode}`` with its HTTP status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self, path: str, timestamp: str | None) -> dict[str, Any]:
        return {"timestamp": timestamp, "path": path, "message": self.message, "errorCode": self.code}


USERNAME_TAKEN = BusinessError(400, "A019", "User username already exists")
SHORT_UUID_TAKEN = BusinessError(400, "A020", "User short UUID already exists")
CREATE_FAILED = BusinessError(500, "A018", "Failed to create user")
UPDATE_FAILED = BusinessError(500, "A039", "Update user error")
USER_NOT_FOUND = BusinessError(404, "A025", "User not found")
USERS_NOT_FOUND = BusinessError(404, "A062", "Users not found")
NO_USER_WITH_PARAMS = BusinessError(404, "A063", "User with specified params not found")
ALREADY_DISABLED = BusinessError(400, "A029", "User already disabled")
ALREADY_ENABLED = BusinessError(400, "A030", "User already enabled")
DEVICE_EXISTS = BusinessError(400, "A098", "User hwid device already exists")
DEVICE_LIMIT = BusinessError(400, "A099", "User hwid device limit reached")
DEVICE_NOT_FOUND = BusinessError(404, "A204", "Hwid device not found")


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def parse_datetime(text: str) -> datetime | None:
    """zod ``datetime({offset: true, local: true})``; a value without offset is taken as UTC."""
    if not _DATETIME_RE.match(text):
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def type_issue(key: str, expected: str, received: str, *, modern: bool = True) -> dict[str, Any]:
    """zod's ``invalid_type`` issue for ``key`` ("" for the body itself) in the panel's style."""
    path = [key] if key else []
    if modern:
        message = f"Invalid input: expected {expected}, received {received}"
        return {"expected": expected, "code": "invalid_type", "path": path, "message": message}
    message = "Required" if received == "undefined" else f"Expected {expected}, received {received}"
    return {
        "code": "invalid_type",
        "expected": expected,
        "received": received,
        "path": path,
        "message": message,
    }


class Checker:
    """Collects zod-like issues for one JSON body; :meth:`done` raises them all at once.

    ``modern`` (3.x panels, zod 4) words issues as ``invalid_format`` with ``origin``/``format`` and
    "Invalid input: expected ..."; the legacy style (2.x, zod 3) uses ``invalid_string``/``validation``.
    """

    def __init__(self, body: Any, *, modern: bool = True) -> None:
        self.modern = modern
        if not isinstance(body, dict):
            raise ValidationFailed([type_issue("", "object", _kind(body), modern=modern)])
        self.body: dict[str, Any] = body
        self.issues: list[dict[str, Any]] = []

    def fail(self, key: str, code: str, message: str, **extra: Any) -> None:
        self.issues.append({"code": code, **extra, "path": [key] if key else [], "message": message})

    def done(self) -> None:
        if self.issues:
            raise ValidationFailed(self.issues)

    def _type(self, key: str, expected: str, received: str, message: str | None = None) -> None:
        issue = type_issue(key, expected, received, modern=self.modern)
        if message:
            issue["message"] = message
        self.issues.append(issue)

    def _format(self, key: str | list[Any], fmt: str, message: str, pattern: str | None = None) -> None:
        path = key if isinstance(key, list) else [key]
        if self.modern:
            extra = {"pattern": pattern} if pattern is not None else {}
            issue = {"origin": "string", "code": "invalid_format", "format": fmt, **extra}
        else:
            issue = {"code": "invalid_string", "validation": fmt}
        self.issues.append({**issue, "path": path, "message": message})

    def _size(self, key: str, code: str, origin: str, bound: int, message: str) -> None:
        name = "minimum" if code == "too_small" else "maximum"
        if self.modern:
            issue: dict[str, Any] = {"origin": origin, "code": code, name: bound, "inclusive": True}
        else:
            issue = {"code": code, name: bound, "type": origin, "inclusive": True}
        self.issues.append({**issue, "path": [key], "message": message})

    def _present(
        self, key: str, expected: str, *, required: bool, nullable: bool, message: str | None
    ) -> bool:
        """True when the value is there and should be checked further."""
        if key not in self.body:
            if required:
                self._type(key, expected, "undefined", message)
            return False
        value = self.body[key]
        if value is None:
            if not nullable:
                self._type(key, expected, "null")
            return False
        if _kind(value) != expected:
            self._type(key, expected, _kind(value))
            return False
        return True

    def string(
        self,
        key: str,
        *,
        required: bool = False,
        required_message: str | None = None,
        nullable: bool = False,
        pattern: re.Pattern[str] | None = None,
        pattern_message: str = "Invalid",
        min_len: tuple[int, str] | None = None,
        max_len: tuple[int, str] | None = None,
    ) -> None:
        if not self._present(key, "string", required=required, nullable=nullable, message=required_message):
            return
        value: str = self.body[key]
        if pattern is not None and not pattern.match(value):
            self._format(key, "regex", pattern_message, pattern.pattern)
        if max_len is not None and len(value) > max_len[0]:
            self._size(key, "too_big", "string", max_len[0], max_len[1])
        if min_len is not None and len(value) < min_len[0]:
            self._size(key, "too_small", "string", min_len[0], min_len[1])

    def integer(
        self,
        key: str,
        *,
        minimum: tuple[int, str] | None = None,
        nullable: bool = False,
        required: bool = False,
    ) -> None:
        if not self._present(key, "number", required=required, nullable=nullable, message=None):
            return
        value = self.body[key]
        if isinstance(value, float) and not value.is_integer():
            self._type(key, "int", "number")
        elif minimum is not None and value < minimum[0]:
            self._size(key, "too_small", "number", minimum[0], minimum[1])

    def choice(self, key: str, options: tuple[str, ...], message: str | None = None) -> None:
        if key in self.body and self.body[key] not in options:
            if self.modern:
                text = message or "Invalid option: expected one of " + "|".join(f'"{o}"' for o in options)
                self.fail(key, "invalid_value", text, values=list(options))
            else:
                text = message or f"Invalid enum value. Expected {' | '.join(repr(o) for o in options)}"
                self.fail(key, "invalid_value", text, options=list(options))

    def when(self, key: str, *, required: bool = False, required_message: str | None = None) -> None:
        if not self._present(key, "string", required=required, nullable=False, message=required_message):
            return
        if parse_datetime(self.body[key]) is None:
            self._format(key, "datetime", "Invalid ISO datetime" if self.modern else "Invalid date format")

    def uuid(self, key: str, *, nullable: bool = False) -> None:
        if self._present(key, "string", required=False, nullable=nullable, message=None) and not (
            UUID_RE.match(self.body[key])
        ):
            self._format(key, "uuid", "Invalid UUID" if self.modern else "Invalid uuid")

    def uuid_list(self, key: str) -> None:
        if not self._present(key, "array", required=False, nullable=False, message=None):
            return
        for index, item in enumerate(self.body[key]):
            if not isinstance(item, str) or not UUID_RE.match(item):
                self._format([key, index], "uuid", "Invalid UUID" if self.modern else "Invalid uuid")

    def email(self, key: str) -> None:
        if self._present(key, "string", required=False, nullable=True, message=None) and not (
            _EMAIL_RE.match(self.body[key])
        ):
            self._format(key, "email", "Invalid email format")

    def tag(self) -> None:
        self.string(
            "tag",
            nullable=True,
            pattern=TAG_RE,
            pattern_message="Tag can only contain uppercase letters, numbers, underscores",
            max_len=(16, "Tag must be less than 16 characters"),
        )


def check_create(body: Any, *, modern: bool = True) -> dict[str, Any]:
    """``POST /api/users``."""
    check = Checker(body, modern=modern)
    check.string(
        "username",
        required=True,
        required_message="Username is required",
        pattern=USERNAME_RE,
        pattern_message="Username can only contain letters, numbers, underscores and dashes",
        max_len=(36, "Username must be less than 36 characters"),
        min_len=(3, "Username must be at least 3 characters"),
    )
    check.choice("status", USER_STATUSES)
    check.string("shortUuid")
    check.integer("trafficLimitBytes", minimum=(0, "Traffic limit must be greater than 0"))
    check.choice("trafficLimitStrategy", TRAFFIC_STRATEGIES, "Invalid traffic limit strategy")
    check.when("expireAt", required=True, required_message="Expiration date is required")
    check.string("description")
    check.tag()
    check.integer("telegramId", nullable=True)
    check.email("email")
    check.integer("hwidDeviceLimit", minimum=(0, "Device limit must be greater than 0"))
    check.uuid_list("activeInternalSquads")
    check.uuid("externalSquadUuid", nullable=True)
    check.done()
    return check.body


def check_update(body: Any, id_key: str, *, modern: bool = True) -> dict[str, Any]:
    """``PATCH /api/users``: the user is named by ``id_key`` (``id`` or ``uuid``) or ``username``."""
    check = Checker(body, modern=modern)
    if id_key == "id":
        check.integer("id")
    else:
        check.uuid("uuid")
    check.string("username")
    message = "You can't change status to LIMITED or EXPIRED. These statuses handled by Remnawave."
    check.choice("status", ("ACTIVE", "DISABLED"), message)
    check.integer("trafficLimitBytes", minimum=(0, "Traffic limit must be greater than 0"))
    check.choice("trafficLimitStrategy", TRAFFIC_STRATEGIES, "Invalid traffic limit strategy")
    check.when("expireAt")
    expire_at = parse_datetime(body["expireAt"]) if isinstance(body.get("expireAt"), str) else None
    if expire_at is not None and expire_at <= datetime.now(UTC):
        check.fail("expireAt", "custom", "Expiration date cannot be in the past")
    check.string("description", nullable=True)
    check.tag()
    check.integer("telegramId", nullable=True)
    check.email("email")
    check.integer("hwidDeviceLimit", minimum=(0, "Device limit must be non-negative"), nullable=True)
    check.uuid_list("activeInternalSquads")
    check.uuid("externalSquadUuid", nullable=True)
    if body.get(id_key) is None and not body.get("username"):
        check.fail("", "custom", f"Either {id_key} or username must be provided")
    check.done()
    return check.body
