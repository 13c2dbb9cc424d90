"""Taking updates by webhook: Telegram pushes them with the secret token; others are refused."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from remnastore.app import webhook_secret
from tests.fixtures.shop import Shop, free_port

PORT = free_port()


@pytest.fixture
def shop_env() -> dict[str, str]:
    return {"WEBHOOK_BASE_URL": f"http://127.0.0.1:{PORT}", "WEB_PORT": str(PORT)}


async def test_updates_arrive_by_webhook_and_forged_calls_are_refused(shop: Shop) -> None:
    info = [c for c in shop.telegram.calls_for("setWebhook") if c.ok][-1]
    assert info.params["url"] == f"http://127.0.0.1:{PORT}/webhooks/telegram"
    assert info.params["secret_token"] == webhook_secret(shop.app.settings)

    nina = shop.user(6001, first_name="Nina", language_code="en")
    reply = await nina.wait_reply(await nina.send("/start"))
    assert "Welcome, Nina" in reply.text

    forged = {
        "update_id": 999999,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 6002, "type": "private"},
            "from": {"id": 6002, "is_bot": False, "first_name": "Eve"},
            "text": "/start",
        },
    }
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            async with http.post(
                f"http://127.0.0.1:{PORT}/webhooks/telegram", json=forged, headers=headers
            ) as resp:
                assert resp.status in (401, 403)
        async with http.get(f"http://127.0.0.1:{PORT}/healthz") as resp:
            assert resp.status == 200
    sends_to_eve = [
        c for c in shop.telegram.calls_for("sendMessage") if str(c.params.get("chat_id")) == "6002"
    ]
    assert sends_to_eve == []


#: bodies no Telegram would send, posted with the right secret
NOT_JSON = {
    "nested arrays": b"[" * 200_000,
    "deep inside an update": b'{"update_id": 1, "x": ' + b"[" * 5_000 + b"]" * 5_000 + b"}",
    "unterminated string": b'{"update_id": 1, "a": "' + b"x" * 200_000,
    "not utf-8": b'{"update_id": 1, "a": "\xff\xfe"}',
    "empty": b"",
}


async def test_a_body_that_is_not_json_is_refused_with_400_and_no_traceback(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    headers = {
        "Content-Type": "application/json",
        "X-Telegram-Bot-Api-Secret-Token": webhook_secret(shop.app.settings),
    }
    async with aiohttp.ClientSession() as http:
        for name, body in NOT_JSON.items():
            async with http.post(
                f"http://127.0.0.1:{PORT}/webhooks/telegram", data=body, headers=headers
            ) as resp:
                assert resp.status == 400, name
        # JSON that is no update is taken (Telegram would only send it again) and dropped
        async with http.post(
            f"http://127.0.0.1:{PORT}/webhooks/telegram", json={"a": 1}, headers=headers
        ) as resp:
            assert resp.status == 200
    assert not [r for r in caplog.records if r.exc_info], "no traceback for a body from outside"
    # the shop still serves customers
    olga = shop.user(6003, first_name="Olga", language_code="en")
    assert "Welcome, Olga" in (await olga.wait_reply(await olga.send("/start"))).text
