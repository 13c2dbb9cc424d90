"""Errors of the panel client, mapped from the panel's replies by HTTP status first, then ``errorCode``.

The panel answers errors in three shapes: business errors ``{timestamp, path, message, errorCode}``,
validation errors ``{statusCode: 400, message: "Validation failed", errors: [...]}`` and Nest defaults
``{message, error?, statusCode}``. :func:`error_from_reply` turns any of them (or a body that is not
JSON at all, e.g. a reverse proxy's HTML page) into one of the classes below.
"""

from __future__ import annotations

import json
from typing import Any

CODE_USERNAME_TAKEN = "A019"
CODE_ALREADY_DISABLED = "A029"
CODE_ALREADY_ENABLED = "A030"
CODE_DEVICE_NOT_FOUND = "A204"
#: 500 "Failed to create user" / "Update user error": on a real panel what an unknown internal squad
#: (or another reference to something the panel does not have) produces; repeating cannot help
CONFIGURATION_CODES = frozenset({"A018", "A039"})

_ADMIN_JWT_HINT = "must create own api-token"


class PanelError(Exception):
    """Any failure talking to the panel. ``attempts`` counts the HTTP requests made for the call."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.attempts = 1
        self.panel_message = ""

    def __str__(self) -> str:
        details = ", ".join(
            part for part in (f"HTTP {self.status}" if self.status else "", self.code or "") if part
        )
        return f"{self.message} ({details})" if details else self.message


class PanelNotFound(PanelError):
    """The user, device or route does not exist (any 404).

    ``route_missing`` is true for the framework's own "Cannot GET /api/..." reply (no ``errorCode``): the
    route itself is unknown, e.g. a 2.x route asked of a 3.x panel, or a wrong PANEL_URL.
    """

    @property
    def route_missing(self) -> bool:
        return self.code is None and self.panel_message.startswith("Cannot ")


class PanelUuidLink(PanelNotFound):
    """A user asked of a 3.x panel by a uuid (a link kept from a 2.x panel, e.g. an imported customer's).

    A 3.x panel addresses users by their numeric id only and has no lookup by the old uuid, so the user
    cannot be found that way: the caller looks for it by the customer's Telegram id instead.
    """


class PanelUsernameTaken(PanelError):
    """Creating a user failed because the username exists (400 ``A019``) and is not ours to adopt."""


class PanelAuthError(PanelError):
    """The panel refused the credentials (401) or the token's scopes (403)."""


class PanelBadRequest(PanelError):
    """The panel rejected the request (400); ``errors`` holds its validation messages."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = 400,
        code: str | None = None,
        errors: list[str] | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.errors = errors or []


class PanelUnavailable(PanelError):
    """A transient failure: network error, timeout, 5xx, connection reset. Worth retrying later."""


class PanelConfigurationError(PanelError):
    """The panel refused a create/update with 500 ``A018``/``A039``: the request names something the panel
    does not have, in practice an internal squad from the shop's settings or catalogue. Not transient:
    retrying the same request fails the same way until the seller fixes the configuration."""


class PanelProxyHeadersMissing(PanelUnavailable):
    """The panel closed a plain-http connection without any reply."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or (
                "the panel closed the connection without replying. Over plain http the panel only answers "
                "requests carrying 'X-Forwarded-For' and 'X-Forwarded-Proto: https' (the client sends both; "
                "check that no proxy in between overwrites them and that PANEL_EXTRA_HEADERS does not), "
                "or use the panel's https address. It may also be restarting."
            )
        )


def _auth_message(status: int, panel_message: str) -> str:
    if status == 403 and _ADMIN_JWT_HINT in panel_message.lower():
        return (
            "the panel refused an admin login token: API calls need an API token. Create one in the panel "
            "(Settings -> API Tokens) and put it in PANEL_TOKEN"
        )
    if status == 403:
        return (
            f"the panel refused the API token ({panel_message or 'Forbidden'}): its scopes do not allow this "
            "call. Create an API token in the panel with the scopes users, hwid-user-devices, "
            "internal-squads and system (or '*')"
        )
    return (
        "the panel rejected the API token (missing, wrong or expired). Create an API token in the panel "
        "(Settings -> API Tokens) and put it in PANEL_TOKEN"
    )


def _validation_messages(body: dict[str, Any]) -> list[str]:
    messages: list[str] = []
    errors = body.get("errors")
    if isinstance(errors, list):
        for item in errors:
            if not isinstance(item, dict):
                continue
            path = item.get("path")
            where = ".".join(str(part) for part in path) if isinstance(path, list) and path else ""
            text = str(item.get("message", ""))
            messages.append(f"{where}: {text}" if where else text)
    raw = body.get("message")
    if isinstance(raw, list):  # Nest class-validator style
        messages.extend(str(item) for item in raw)
    return messages


def error_from_reply(status: int, body: bytes, endpoint: str) -> PanelError:
    """The error for a non-2xx reply of the panel to the call named ``endpoint``."""
    parsed: Any = None
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = None
    data: dict[str, Any] = parsed if isinstance(parsed, dict) else {}
    code = data.get("errorCode") if isinstance(data.get("errorCode"), str) else None
    raw_message = data.get("message")
    panel_message = raw_message if isinstance(raw_message, str) else ""
    text = f"{endpoint}: {panel_message}" if panel_message else f"{endpoint}: HTTP {status}"

    error: PanelError
    if status in (401, 403):
        error = PanelAuthError(
            f"{endpoint}: {_auth_message(status, panel_message)}", status=status, code=code
        )
    elif status == 404:
        error = PanelNotFound(text, status=status, code=code)
    elif status == 400 and code == CODE_USERNAME_TAKEN:
        error = PanelUsernameTaken(text, status=status, code=code)
    elif status == 400:
        errors = _validation_messages(data)
        if errors:
            text = f"{text} ({'; '.join(errors)})"
        error = PanelBadRequest(text, status=status, code=code, errors=errors)
    elif status >= 500 and code in CONFIGURATION_CODES:
        error = PanelConfigurationError(
            f"{text} (a squad or other reference the panel does not have?)", status=status, code=code
        )
    elif status >= 500 or status in (408, 429):
        error = PanelUnavailable(text, status=status, code=code)
    else:
        error = PanelError(text, status=status, code=code)
    error.panel_message = panel_message
    return error
