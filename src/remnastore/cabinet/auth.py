"""What a visitor presents to sign in, checked without the database: Telegram Mini App ``initData`` and
the shop's own signed sign-in links.

Mini App data is checked as Telegram specifies: the data-check-string (every field but ``hash``, sorted
by key, ``key=value`` lines joined by ``\\n``) signed with HMAC-SHA256 under the key
HMAC-SHA256("WebAppData", bot token), compared in constant time, and ``auth_date`` not older than the
allowed age. Whether the same data was already used is the caller's business (see sessions.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

MAX_INIT_DATA = 8192
#: a Mini App's clock may run a little ahead of ours
FUTURE_SKEW = timedelta(seconds=60)


class SignInRefused(Exception):
    """The presented credential is not accepted; ``reason`` is for the log, never for the visitor."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class MiniAppSignIn:
    """A verified Mini App launch: who opened it, when Telegram signed it, and its hash (for replay)."""

    telegram_id: int
    first_name: str
    last_name: str | None
    username: str | None
    language_code: str | None
    auth_date: datetime
    digest: str


def verify_init_data(init_data: str, bot_token: str, *, now: datetime, max_age: timedelta) -> MiniAppSignIn:
    """The Mini App sign-in in ``init_data`` if Telegram signed it for this bot and it is fresh."""
    if not init_data or len(init_data) > MAX_INIT_DATA:
        raise SignInRefused("init data empty or too long")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise SignInRefused("init data is not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise SignInRefused("init data repeats a field")
    received = fields.pop("hash", "")
    if len(received) != 64:
        raise SignInRefused("init data has no hash")
    check_string = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    expected = hmac.new(secret, check_string.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, received.lower()):
        raise SignInRefused("init data signature does not match")
    try:
        auth_date = datetime.fromtimestamp(int(fields.get("auth_date", "")), UTC)
    except (ValueError, OverflowError, OSError):
        raise SignInRefused("init data has no auth_date") from None
    if auth_date > now + FUTURE_SKEW:
        raise SignInRefused("init data is signed in the future")
    if now - auth_date > max_age:
        raise SignInRefused("init data is stale")
    try:
        user = json.loads(fields.get("user", ""))
    except ValueError:
        raise SignInRefused("init data has no user") from None
    if not isinstance(user, dict) or not isinstance(user.get("id"), int) or isinstance(user.get("id"), bool):
        raise SignInRefused("init data has no user id")

    def text(name: str) -> str | None:
        value = user.get(name)
        return value if isinstance(value, str) and value else None

    return MiniAppSignIn(
        telegram_id=int(user["id"]),
        first_name=text("first_name") or "",
        last_name=text("last_name"),
        username=text("username"),
        language_code=text("language_code"),
        auth_date=auth_date,
        digest=hashlib.sha256(expected.encode()).hexdigest(),
    )


def sign_init_data(fields: dict[str, str], bot_token: str) -> str:
    """``fields`` signed as Telegram signs a Mini App launch (for the emulated Telegram and tests)."""
    check_string = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    signature = hmac.new(secret, check_string.encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": signature})


def cabinet_secret(bot_token: str) -> bytes:
    """The key that signs sign-in links: derived from the bot token, so every instance agrees on it."""
    return hashlib.sha256(f"remnastore-cabinet:{bot_token}".encode()).digest()


class LinkTokens:
    """Sign-in link tokens: 192 random bits and an HMAC of them, so that a made-up token is refused
    before the database is asked. Only a digest of a token is ever stored."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _signature(self, body: str) -> str:
        mac = hmac.new(self._secret, body.encode(), hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def new(self) -> str:
        body = secrets.token_urlsafe(24)
        return f"{body}.{self._signature(body)}"

    def check(self, token: str) -> str:
        """The digest under which a genuine token is stored; SignInRefused for anything else."""
        body, dot, signature = token.partition(".")
        if not dot or len(token) > 128 or not hmac.compare_digest(self._signature(body), signature):
            raise SignInRefused("sign-in link signature does not match")
        return digest(token)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def redacted(token: str) -> str:
    """A token as it may appear in a log: its first characters only."""
    return token[:6] + "…"
