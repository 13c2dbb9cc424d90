"""The panel's error replies, body by body, to the error (class, status, code, message) the shop works with.

The messages are what a seller reads in the log and on the health screen, so they are asserted whole.
(`tests/integration/test_panel_errors.py` drives the same mapping over HTTP through the client.)
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from remnastore.panel.errors import (
    PanelAuthError,
    PanelBadRequest,
    PanelError,
    PanelNotFound,
    PanelProxyHeadersMissing,
    PanelUnavailable,
    PanelUsernameTaken,
    error_from_reply,
)

TOKEN_HELP = "Create an API token in the panel (Settings -> API Tokens) and put it in PANEL_TOKEN"


def _body(value: Any) -> bytes:
    return json.dumps(value).encode()


def _business(message: str, code: Any, path: str = "/api/users/5") -> bytes:
    return _body(
        {"timestamp": "2026-01-01T00:00:00.000Z", "path": path, "message": message, "errorCode": code}
    )


def test_a_business_404_keeps_the_panel_message_and_code() -> None:
    error = error_from_reply(404, _business("User with specified params not found", "A063"), "users.get")
    assert type(error) is PanelNotFound
    assert (error.status, error.code, error.attempts) == (404, "A063", 1)
    assert error.panel_message == "User with specified params not found"
    assert str(error) == "users.get: User with specified params not found (HTTP 404, A063)"
    assert not error.route_missing


def test_the_frameworks_own_404_is_a_missing_route() -> None:
    body = _body(
        {"message": "Cannot GET /api/users/by-telegram-id/1", "error": "Not Found", "statusCode": 404}
    )
    error = error_from_reply(404, body, "users.by_telegram_id")
    assert type(error) is PanelNotFound and error.route_missing and error.code is None
    assert str(error) == "users.by_telegram_id: Cannot GET /api/users/by-telegram-id/1 (HTTP 404)"


def test_username_taken_is_its_own_error() -> None:
    error = error_from_reply(400, _business("User username already exists", "A019"), "users.create")
    assert type(error) is PanelUsernameTaken
    assert (error.status, error.code) == (400, "A019")
    assert str(error) == "users.create: User username already exists (HTTP 400, A019)"


def test_validation_errors_are_listed_with_their_paths() -> None:
    body = _body(
        {
            "statusCode": 400,
            "message": "Validation failed",
            "errors": [
                {"path": ["username"], "message": "Too short"},
                {"path": ["traffic", "limit"], "message": "Must be positive"},
                {"path": [], "message": "Bad request body"},
                "not an object",
                {"message": "No path at all"},
                {"path": "username", "message": "A path that is not a list"},
                {"path": ["expireAt"]},
            ],
        }
    )
    error = error_from_reply(400, body, "users.update")
    assert type(error) is PanelBadRequest and error.status == 400 and error.code is None
    assert error.errors == [
        "username: Too short",
        "traffic.limit: Must be positive",
        "Bad request body",
        "No path at all",
        "A path that is not a list",
        "expireAt: ",
    ]
    assert str(error) == (
        "users.update: Validation failed (username: Too short; traffic.limit: Must be positive; "
        "Bad request body; No path at all; A path that is not a list; expireAt: ) (HTTP 400)"
    )


def test_class_validator_messages_are_listed() -> None:
    body = _body({"message": ["a must be x", "b must be y"], "error": "Bad Request", "statusCode": 400})
    error = error_from_reply(400, body, "users.update")
    assert type(error) is PanelBadRequest and error.panel_message == ""
    assert error.errors == ["a must be x", "b must be y"]
    assert str(error) == "users.update: HTTP 400 (a must be x; b must be y) (HTTP 400)"


def test_a_bad_request_without_details() -> None:
    error = error_from_reply(400, b"", "users.update")
    assert type(error) is PanelBadRequest and error.errors == []
    assert str(error) == "users.update: HTTP 400 (HTTP 400)"


def test_a_wrong_token_says_how_to_make_one() -> None:
    body = _body({"message": "Unauthorized", "statusCode": 401})
    error = error_from_reply(401, body, "system.stats")
    assert type(error) is PanelAuthError and (error.status, error.code) == (401, None)
    assert str(error) == (
        f"system.stats: the panel rejected the API token (missing, wrong or expired). {TOKEN_HELP} (HTTP 401)"
    )


def test_an_admin_login_token_is_told_apart_from_missing_scopes() -> None:
    admin_jwt = _body({"message": "Forbidden. You Must Create Own API-Token", "errorCode": "A071"})
    error = error_from_reply(403, admin_jwt, "system.stats")
    assert type(error) is PanelAuthError and (error.status, error.code) == (403, "A071")
    assert str(error) == (
        "system.stats: the panel refused an admin login token: API calls need an API token. Create one in "
        "the panel (Settings -> API Tokens) and put it in PANEL_TOKEN (HTTP 403, A071)"
    )
    scopes = error_from_reply(403, _body({"message": "Forbidden resource", "statusCode": 403}), "users.get")
    assert str(scopes) == (
        "users.get: the panel refused the API token (Forbidden resource): its scopes do not allow this call. "
        "Create an API token in the panel with the scopes users, hwid-user-devices, internal-squads and "
        "system (or '*') (HTTP 403)"
    )
    bare = error_from_reply(403, b"", "users.get")
    assert "refused the API token (Forbidden): its scopes" in str(bare)


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_transient_statuses_keep_status_code_and_message(status: int) -> None:
    error = error_from_reply(status, _business("Try later", "T1"), "users.get")
    assert type(error) is PanelUnavailable
    assert (error.status, error.code, error.panel_message) == (status, "T1", "Try later")
    assert str(error) == f"users.get: Try later (HTTP {status}, T1)"


@pytest.mark.parametrize("body", [b"", b"<html>Bad Gateway</html>", b"[1, 2]", b'"text"', b"null"])
def test_a_reply_without_a_json_object_is_named_by_its_status(body: bytes) -> None:
    error = error_from_reply(502, body, "users.get")
    assert type(error) is PanelUnavailable
    assert (error.status, error.code, error.panel_message) == (502, None, "")
    assert str(error) == "users.get: HTTP 502 (HTTP 502)"


def test_other_statuses_are_final_errors_and_odd_fields_are_ignored() -> None:
    error = error_from_reply(418, _body({"message": 42, "errorCode": 7}), "users.get")
    assert type(error) is PanelError
    assert (error.status, error.code, error.panel_message) == (418, None, "")
    assert str(error) == "users.get: HTTP 418 (HTTP 418)"
    coded = error_from_reply(409, _business("Conflict", "C9"), "users.update")
    assert type(coded) is PanelError and str(coded) == "users.update: Conflict (HTTP 409, C9)"


def test_errors_without_status_or_code() -> None:
    plain = PanelError("users.get: unexpected reply")
    assert str(plain) == "users.get: unexpected reply" and plain.args == ("users.get: unexpected reply",)
    assert (plain.status, plain.code, plain.attempts, plain.panel_message) == (None, None, 1, "")
    assert str(PanelError("x", code="A1")) == "x (A1)"
    assert str(PanelError("x", status=500, code="A1")) == "x (HTTP 500, A1)"
    assert PanelBadRequest("x").status == 400 and PanelBadRequest("x").errors == []


def test_a_dropped_plain_http_connection_explains_the_proxy_headers() -> None:
    error = PanelProxyHeadersMissing()
    assert isinstance(error, PanelUnavailable)
    assert str(error) == (
        "the panel closed the connection without replying. Over plain http the panel only answers requests "
        "carrying 'X-Forwarded-For' and 'X-Forwarded-Proto: https' (the client sends both; check that no "
        "proxy in between overwrites them and that PANEL_EXTRA_HEADERS does not), or use the panel's https "
        "address. It may also be restarting."
    )
    assert str(PanelProxyHeadersMissing("restarting")) == "restarting"
