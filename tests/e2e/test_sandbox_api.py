"""The sandbox's JSON API (what the chat page calls), with the real bot and the emulators behind it."""

from __future__ import annotations

import asyncio
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from remnastore.sandbox.world import ADMIN_ID, BOT_TOKEN, Sandbox

Chat = dict[str, Any]


def page_now() -> datetime:
    """Now, as the page's panel view states times (UTC, without a zone)."""
    return datetime.now(UTC).replace(tzinfo=None)


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    running = Sandbox(port=0)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def http(sandbox: Sandbox) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(sandbox.url, timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield session


async def call(http: aiohttp.ClientSession, method: str, path: str, body: Any = None) -> Any:
    async with http.request(method, path, json=body) as response:
        assert response.status == 200, (path, response.status, await response.text())
        return await response.json()


async def status_of(http: aiohttp.ClientSession, method: str, path: str, **kwargs: Any) -> int:
    async with http.request(method, path, **kwargs) as response:
        return response.status


async def chat_until(
    http: aiohttp.ClientSession, user_id: int, condition: Callable[[Chat], bool], seconds: float = 10.0
) -> Chat:
    """Long-poll the chat the way the page does until `condition` holds."""
    deadline = time.monotonic() + seconds
    version = ""
    while True:
        chat: Chat = await call(http, "GET", f"/api/chats/{user_id}?wait=2&version={version}")
        if condition(chat):
            return chat
        assert time.monotonic() < deadline, chat["messages"][-3:]
        version = chat["version"]


def bot_says(text: str) -> Callable[[Chat], bool]:
    return lambda chat: any(m["from_bot"] and text in m["text"] for m in chat["messages"])


def button(chat: Chat, label: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The newest bot message with a button containing `label`, and that button."""
    for message in reversed(chat["messages"]):
        for row in message["buttons"]:
            for found in row:
                if label in found["text"]:
                    return message, found
    raise AssertionError(f"no button {label!r}")


def shows(text: str) -> Callable[[Chat], bool]:
    """The bot shows `text` in the newest message, as text or on a button."""

    def check(chat: Chat) -> bool:
        last = chat["messages"][-1] if chat["messages"] else None
        labels = [b["text"] for row in last["buttons"] for b in row] if last else []
        return last is not None and last["from_bot"] and any(text in item for item in [last["text"], *labels])

    return check


async def press(http: aiohttp.ClientSession, user_id: int, label: str, then: str) -> Chat:
    """Press a callback button; wait until the chat has changed and the bot shows `then`."""
    chat = await call(http, "GET", f"/api/chats/{user_id}")
    message, found = button(chat, label)
    assert found["kind"] == "callback", found
    body = {"message_id": message["id"], "data": found["data"]}
    await call(http, "POST", f"/api/chats/{user_id}/callbacks", body)
    before = chat["messages"]
    return await chat_until(http, user_id, lambda now: now["messages"] != before and shows(then)(now))


async def customer(http: aiohttp.ClientSession, language: str = "en") -> int:
    identity = await call(http, "POST", "/api/identities", {"language": language})
    assert identity["admin"] is False and identity["language"] == language
    return int(identity["user_id"])


async def order(http: aiohttp.ClientSession, user_id: int, method: str) -> dict[str, Any]:
    await call(http, "POST", f"/api/chats/{user_id}/messages", {"text": "/start"})
    await chat_until(http, user_id, bot_says("What would you like to do?"))
    await press(http, user_id, "Buy subscription", "Standard")
    await press(http, user_id, "Standard", "1 month")
    await press(http, user_id, "1 month", method)
    chat = await press(http, user_id, method, "Order")
    return button(chat, "💳 Pay")[1]


def panel_user(users: list[dict[str, Any]], telegram_id: int) -> dict[str, Any]:
    return next(user for user in users if user["telegram_id"] == telegram_id)


def expiry(user: dict[str, Any]) -> datetime:
    return datetime.strptime(user["expire_at"], "%Y-%m-%d %H:%M UTC")


async def test_the_page_chats_as_a_customer_and_sees_edits_in_place_and_the_panel(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    page = await http.get("/")
    assert page.status == 200 and "script-src 'self'" in page.headers["Content-Security-Policy"]
    info = await call(http, "GET", "/api/identities")
    admins = [i for i in info["identities"] if i["admin"]]
    assert [a["user_id"] for a in admins] == [ADMIN_ID] and len(info["identities"]) == 2
    assert sandbox.app is not None and sandbox.app.settings.telegram.admin_ids == [ADMIN_ID]

    user_id = await customer(http)
    await call(http, "POST", f"/api/chats/{user_id}/messages", {"text": "/start"})
    chat = await chat_until(http, user_id, bot_says("Welcome"))
    welcome = next(m for m in chat["messages"] if m["from_bot"])
    assert "<b>" not in welcome["text"] and any(e["type"] == "bold" for e in welcome["entities"])
    assert [c["command"] for c in chat["commands"]][:1] == ["start"]

    chat = await press(http, user_id, "Free trial", "Your free trial is active")
    edited = next(m for m in chat["messages"] if m["id"] == welcome["id"])
    assert edited["edited"] and "Your free trial is active" in edited["text"]  # the same message, edited
    users = (await call(http, "GET", "/api/panel/users"))["users"]
    mine = panel_user(users, user_id)
    assert mine["status"] == "ACTIVE" and mine["device_limit"] == 1
    assert abs(expiry(mine) - (page_now() + timedelta(days=3))) < timedelta(minutes=5)

    await press(http, user_id, "My subscription", "Valid until")
    chat = await press(http, user_id, "QR code", "QR code")
    photo = next(m["media"] for m in reversed(chat["messages"]) if m["media"])
    async with http.get(photo["url"]) as response:
        assert response.content_type == "image/png" and (await response.read()).startswith(b"\x89PNG")


async def test_a_russian_customer_gets_the_bot_in_russian(http: aiohttp.ClientSession) -> None:
    user_id = await customer(http, "ru")
    await call(http, "POST", f"/api/chats/{user_id}/messages", {"text": "/start"})
    chat = await chat_until(http, user_id, lambda c: any(m["from_bot"] for m in c["messages"]))
    assert "Добро пожаловать, Customer 2" in chat["messages"][-1]["text"]


async def test_the_long_poll_answers_on_a_change_and_otherwise_after_the_wait(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    user_id = await customer(http)
    first = await call(http, "GET", f"/api/chats/{user_id}")
    started = time.monotonic()
    same = await call(http, "GET", f"/api/chats/{user_id}?wait=0.5&version={first['version']}")
    assert same["version"] == first["version"] and time.monotonic() - started >= 0.45

    poll = asyncio.ensure_future(
        call(http, "GET", f"/api/chats/{user_id}?wait=20&version={first['version']}")
    )
    await asyncio.sleep(0.3)
    assert not poll.done()
    started = time.monotonic()
    await call(http, "POST", f"/api/chats/{user_id}/messages", {"text": "hello"})
    changed = await asyncio.wait_for(poll, 5)
    assert changed["version"] != first["version"] and time.monotonic() - started < 3
    assert changed["messages"][0]["text"] == "hello" and not changed["messages"][0]["from_bot"]


async def test_bad_requests_are_refused_and_change_nothing(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    user_id = await customer(http)
    updates_before = len(sandbox.telegram.hub.history)
    chat = f"/api/chats/{user_id}"
    assert await status_of(http, "GET", "/api/chats/123") == 404  # nobody the page may act as
    assert await status_of(http, "POST", "/api/chats/123/messages", json={"text": "hi"}) == 404
    not_json = {"Content-Type": "application/json"}
    assert await status_of(http, "POST", f"{chat}/messages", data=b"not json", headers=not_json) == 400
    # what another web site could make a browser send without a CORS preflight
    plain = {"Content-Type": "text/plain"}
    assert await status_of(http, "POST", f"{chat}/messages", data=b'{"text": "hi"}', headers=plain) == 415
    rebound = {"Host": "evil.example:8090"}
    assert await status_of(http, "POST", f"{chat}/messages", json={"text": "hi"}, headers=rebound) == 421
    assert await status_of(http, "POST", f"{chat}/messages", json=["text"]) == 400
    assert await status_of(http, "POST", f"{chat}/messages", json={"text": "  "}) == 400
    assert await status_of(http, "POST", f"{chat}/messages", json={"text": "x" * 4097}) == 400
    assert (
        await status_of(http, "POST", f"{chat}/callbacks", json={"message_id": 99, "data": "n:trial"}) == 400
    )
    assert await status_of(http, "POST", f"{chat}/callbacks", json={"message_id": "1", "data": "x"}) == 400
    assert await status_of(http, "POST", f"{chat}/payments", json={"link": "https://t.me/$nope"}) == 400
    assert await status_of(http, "POST", "/api/identities", json={"language": "de"}) == 400
    assert await status_of(http, "GET", "/api/files/nope") == 404
    assert await status_of(http, "GET", "/api/invoices?link=nope") == 404
    assert await status_of(http, "GET", "/static/../world.py") == 404
    assert await status_of(http, "GET", "/static/world.py") == 404
    assert len(sandbox.telegram.hub.history) == updates_before
    assert (await call(http, "GET", chat))["messages"] == []
    assert len((await call(http, "GET", "/api/identities"))["identities"]) == 3


async def test_yookassa_checkout_declines_then_pays_and_the_panel_expiry_moves(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    user_id = await customer(http)
    pay = await order(http, user_id, "YooKassa")
    # the checkout page is served next to the chat page (one port to forward from a remote server)
    assert pay["kind"] == "url" and pay["url"].startswith(sandbox.url + "checkout/")
    async with aiohttp.ClientSession() as payer:
        async with payer.get(pay["url"]) as page:
            assert page.status == 200 and "199.00 RUB" in await page.text()
        payment_id = pay["url"].split("orderId=")[1]
        form = {"orderId": payment_id, "action": "decline"}
        async with payer.post(pay["url"].split("?")[0], data=form, allow_redirects=False) as declined:
            assert declined.status == 303 and declined.headers["Location"].rstrip("/") == sandbox.url.rstrip(
                "/"
            )
        await chat_until(http, user_id, bot_says("did not go through"))
        assert sandbox.yookassa.deliveries[-1].status == 200
        async with payer.post(pay["url"].split("?")[0], data=form, allow_redirects=False) as again:
            assert again.status == 409  # a decided payment cannot be decided twice

        pay = await order(http, user_id, "YooKassa")
        form = {"orderId": pay["url"].split("orderId=")[1], "action": "pay"}
        async with payer.post(pay["url"].split("?")[0], data=form, allow_redirects=False) as paid:
            assert paid.status == 303
    await chat_until(http, user_id, bot_says("Payment received"))
    mine = panel_user((await call(http, "GET", "/api/panel/users"))["users"], user_id)
    assert abs(expiry(mine) - (page_now() + timedelta(days=30))) < timedelta(days=2)


async def test_yoomoney_quickpay_page_pays_and_the_panel_expiry_moves(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    user_id = await customer(http)
    pay = await order(http, user_id, "YooMoney wallet")
    # the payer's form is on the sandbox's own port, like YooKassa's page: one forwarded port is enough
    assert pay["kind"] == "url" and pay["url"].startswith(sandbox.url.rstrip("/") + "/quickpay/")
    async with aiohttp.ClientSession() as payer:
        async with payer.get(pay["url"]) as page:
            assert page.status == 200 and "199.00 RUB" in await page.text()
        transfer = next(iter(sandbox.yoomoney.transfers))
        form = {"transfer": transfer, "action": "pay"}
        async with payer.post(
            f"{sandbox.url.rstrip('/')}/quickpay/confirm/submit", data=form, allow_redirects=False
        ) as paid:
            assert paid.status == 303
    assert sandbox.yoomoney.deliveries[-1].status == 200
    await chat_until(http, user_id, bot_says("Payment received"))
    mine = panel_user((await call(http, "GET", "/api/panel/users"))["users"], user_id)
    assert abs(expiry(mine) - (page_now() + timedelta(days=30))) < timedelta(days=2)
    # the emulated tax service registered the income; the customer got the receipt link
    await chat_until(http, user_id, bot_says("receipt"))
    [receipt] = sandbox.nalogo.receipts.values()
    assert receipt.total == 199


async def test_stars_invoice_is_paid_from_the_page_and_the_admin_exports_it(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    user_id = await customer(http)
    pay = await order(http, user_id, "Telegram Stars")
    assert pay["kind"] == "invoice_link"
    invoice = await call(http, "GET", f"/api/invoices?link={pay['url']}")
    assert invoice["currency"] == "XTR" and invoice["total_amount"] == 150
    result = await call(http, "POST", f"/api/chats/{user_id}/payments", {"link": pay["url"]})
    assert result == {"approved": True, "error": None}
    await chat_until(http, user_id, bot_says("Payment received"))

    await call(http, "POST", f"/api/chats/{ADMIN_ID}/messages", {"text": "/orders"})
    await chat_until(http, ADMIN_ID, bot_says("Orders"))
    chat = await press(http, ADMIN_ID, "Export CSV", "Orders")
    chat = await chat_until(http, ADMIN_ID, lambda c: any(m["media"] for m in c["messages"]))
    document = next(m["media"] for m in chat["messages"] if m["media"])
    assert document["kind"] == "document" and document["name"].endswith(".csv")
    async with http.get(document["url"]) as response:
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert "150" in (await response.read()).decode("utf-8-sig")


async def test_a_real_shops_environment_does_not_reach_the_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "CRYPTOBOT_ENABLED": "true",
        "WEBHOOK_BASE_URL": "https://shop.example",
        "DATABASE_URL": "postgresql://shop@db.example/shop",
        "REDIS_URL": "redis://redis.example:6379/0",
        "LOG_CHAT_ID": "-1001234567890",
        "ADMIN_IDS": "42",
    }.items():
        monkeypatch.setenv(name, value)
    sandbox = Sandbox(port=0)
    await sandbox.start()
    try:
        assert sandbox.app is not None
        settings = sandbox.app.settings
        assert set(sandbox.app.providers) == {"stars", "yookassa", "yoomoney"}
        assert not settings.use_webhook and settings.redis.url is None and settings.sales.log_chat_id is None
        assert settings.database.is_sqlite and settings.telegram.admin_ids == [ADMIN_ID]
    finally:
        await sandbox.stop()


async def test_an_invoice_message_gets_a_pay_button_and_the_bot_refuses_an_unknown_order(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    user_id = await customer(http)
    invoice = {
        "chat_id": user_id,
        "title": "Not an order",
        "description": "No such order in the shop",
        "payload": "no-such-order",
        "currency": "XTR",
        "prices": [{"label": "VPN", "amount": 5}],
    }
    status, sent = await sandbox.telegram.execute(BOT_TOKEN, "sendInvoice", invoice)  # as the bot would
    assert status == 200, sent
    chat = await call(http, "GET", f"/api/chats/{user_id}")
    [message] = chat["messages"]
    assert message["invoice"]["total_amount"] == 5 and message["buttons"][0][0]["kind"] == "pay"

    result = await call(http, "POST", f"/api/chats/{user_id}/payments", {"message_id": message["id"]})
    assert result["approved"] is False and result["error"]  # the shop's pre-checkout answer: no
    assert not any(m["paid"] for m in (await call(http, "GET", f"/api/chats/{user_id}"))["messages"])


async def test_the_command_says_so_when_the_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "remnastore",
            "sandbox",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            cwd=tmp_path,
        )
        out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    assert "could not start" in out.decode() and "Traceback" not in out.decode()


async def test_the_admin_health_screen_shows_yookassa_up(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    """The sandbox names its own web server as PUBLIC_URL: YooKassa delivers there, so it is not DOWN."""
    await call(http, "POST", f"/api/chats/{ADMIN_ID}/messages", {"text": "/health"})
    chat = await chat_until(http, ADMIN_ID, bot_says("Health"))
    health = next(m["text"] for m in reversed(chat["messages"]) if "Health" in m["text"])
    assert "🟢 payments:yookassa" in health, health
    assert "🔴" not in health and "everything answers" in health


async def test_a_browser_on_another_address_opens_the_page_and_the_yookassa_checkout(tmp_path: Path) -> None:
    """`--host`: the page, and the checkout page it links to, answer on that address."""
    remote = Sandbox(port=0, data_dir=tmp_path, host="127.0.0.2")
    await remote.start()
    try:
        assert remote.url.startswith("http://127.0.0.2:")
        async with aiohttp.ClientSession(remote.url, timeout=aiohttp.ClientTimeout(total=30)) as session:
            user_id = await customer(session)
            pay = await order(session, user_id, "YooKassa")
            assert pay["url"].startswith(remote.url + "checkout/")
            async with session.get(pay["url"]) as page:
                assert page.status == 200 and "199.00 RUB" in await page.text()
            form = {"orderId": pay["url"].split("orderId=")[1], "action": "pay"}
            async with session.post(pay["url"].split("?")[0], data=form, allow_redirects=False) as paid:
                assert paid.status == 303 and paid.headers["Location"].rstrip("/") == remote.url.rstrip("/")
            await chat_until(session, user_id, bot_says("Payment received"))
            other = {"Host": "evil.example"}
            assert await status_of(session, "GET", "/api/identities", headers=other) == 421
    finally:
        await remote.stop()


def test_listening_on_every_address_is_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="no address a browser can open"):
        Sandbox(host="0.0.0.0")


async def test_each_customer_has_a_cabinet_link_that_signs_them_in_once(
    sandbox: Sandbox, http: aiohttp.ClientSession
) -> None:
    customer = await call(http, "POST", "/api/identities", {"language": "ru"})
    answer = await call(http, "POST", f"/api/identities/{customer['user_id']}/cabinet", {})
    assert answer["url"].startswith(f"{sandbox.public_url}/cabinet/login#")
    assert await status_of(http, "POST", f"/api/identities/{ADMIN_ID}/cabinet", json={}) == 404
    token = answer["url"].partition("#")[2]
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        async with browser.post(f"{sandbox.public_url}/cabinet/login", data={"token": token}) as response:
            assert response.status == 200
            page = await response.text()
        assert "Моя подписка" in page and "Sandbox VPN" in page
        async with browser.post(f"{sandbox.public_url}/cabinet/login", data={"token": token}) as response:
            assert response.status == 403
