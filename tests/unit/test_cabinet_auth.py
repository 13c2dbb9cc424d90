"""Mini App initData and sign-in link tokens, checked as Telegram specifies (without the database)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

import pytest

from remnastore.cabinet.auth import (
    LinkTokens,
    SignInRefused,
    cabinet_secret,
    sign_init_data,
    verify_init_data,
)

TOKEN = "7000000001:AAE2eTestTokenForTheEmulatorOnly_xyz"
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
AGE = timedelta(hours=1)


def launch(*, auth_date: datetime = NOW, user_id: int = 4242, token: str = TOKEN, **extra: str) -> str:
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps({"id": user_id, "first_name": "Ann", "language_code": "ru"}),
        "auth_date": str(int(auth_date.timestamp())),
        **extra,
    }
    return sign_init_data(fields, token)


def test_telegram_signature_is_checked_as_specified() -> None:
    """An independent computation of Telegram's scheme: key = HMAC("WebAppData", token)."""
    data = launch(signature="abc")
    fields = dict(parse_qsl(data))
    received = fields.pop("hash")
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    key = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    assert hmac.new(key, check.encode(), hashlib.sha256).hexdigest() == received
    signed = verify_init_data(data, TOKEN, now=NOW + timedelta(minutes=5), max_age=AGE)
    assert (signed.telegram_id, signed.first_name, signed.language_code) == (4242, "Ann", "ru")


def test_forged_data_is_refused() -> None:
    data = dict(parse_qsl(launch()))
    data["user"] = json.dumps({"id": 1, "first_name": "Mallory"})  # another customer, old hash
    with pytest.raises(SignInRefused, match="signature"):
        verify_init_data(urlencode(data), TOKEN, now=NOW, max_age=AGE)


def test_data_signed_for_another_bot_is_refused() -> None:
    other = launch(token="7000000002:AAE2eAnotherBotTokenForTests_xyz")
    with pytest.raises(SignInRefused, match="signature"):
        verify_init_data(other, TOKEN, now=NOW, max_age=AGE)


def test_stale_and_future_data_are_refused() -> None:
    with pytest.raises(SignInRefused, match="stale"):
        verify_init_data(launch(auth_date=NOW - AGE - timedelta(seconds=1)), TOKEN, now=NOW, max_age=AGE)
    with pytest.raises(SignInRefused, match="future"):
        verify_init_data(launch(auth_date=NOW + timedelta(minutes=10)), TOKEN, now=NOW, max_age=AGE)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("", "empty"),
        ("x" * 9000, "too long"),
        ("user=1&user=2&hash=" + "0" * 64, "repeats"),
        ("auth_date=1", "no hash"),
        ("auth_date=1&hash=zz", "no hash"),
    ],
)
def test_malformed_data_is_refused(data: str, reason: str) -> None:
    with pytest.raises(SignInRefused, match=reason):
        verify_init_data(data, TOKEN, now=NOW, max_age=AGE)


def test_signed_data_without_a_user_is_refused() -> None:
    data = sign_init_data({"auth_date": str(int(NOW.timestamp())), "user": '{"id": "7"}'}, TOKEN)
    with pytest.raises(SignInRefused, match="user id"):
        verify_init_data(data, TOKEN, now=NOW, max_age=AGE)


def test_link_tokens_refuse_anything_not_signed_by_the_shop() -> None:
    tokens = LinkTokens(cabinet_secret(TOKEN))
    genuine = tokens.new()
    assert len(tokens.check(genuine)) == 64
    body, _, signature = genuine.partition(".")
    other_last = "B" if signature.endswith("A") else "A"  # a last character that really differs
    for forged in (body, f"{body}.{signature[:-1]}{other_last}", f"x{body}.{signature}", "", "a" * 200):
        with pytest.raises(SignInRefused, match="signature"):
            tokens.check(forged)
    other_shop = LinkTokens(cabinet_secret("7000000002:AAE2eAnotherBotTokenForTests_xyz"))
    with pytest.raises(SignInRefused, match="signature"):
        other_shop.check(genuine)
