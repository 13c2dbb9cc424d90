"""A protocol-true fake of the Telegram Bot API, served over real HTTP on 127.0.0.1.

The real aiogram `Bot` talks to it with `AiohttpSession(api=TelegramAPIServer.from_base(emulator.url))`.
Tests drive users through `emulator.user(...)` (see `FakeUser`), read what the bot shows, inject
failures and inspect every recorded call.

Deliberate differences from Telegram: webhooks may use plain http and any port on 127.0.0.1, and a
webhook update that keeps failing is dropped after a few attempts instead of being retried for hours.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import logging
import re
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from remnastore.emulators.served import Served
from remnastore.emulators.telegram_bot_methods import BOT_METHODS, MEMBER_STATUSES, member_json
from remnastore.emulators.telegram_faults import TelegramFaults
from remnastore.emulators.telegram_messages import MESSAGE_METHODS
from remnastore.emulators.telegram_params import (
    ApiError,
    Params,
    UploadedFile,
    normalize_params,
    read_request,
)
from remnastore.emulators.telegram_payments import PAYMENT_METHODS
from remnastore.emulators.telegram_state import ApiCall, BotMessage, Button, TelegramState
from remnastore.emulators.telegram_updates import UpdateHub
from remnastore.emulators.telegram_users import FakeUser, PaymentResult

__all__ = ["ApiCall", "BotMessage", "Button", "FakeUser", "PaymentResult", "TelegramEmulator"]

logger = logging.getLogger(__name__)

_TOKEN = re.compile(r"(\d+):[A-Za-z0-9_-]+")
_QUERY_FIELDS = ("callback_query_id", "pre_checkout_query_id", "inline_query_id")


class TelegramEmulator(TelegramFaults, Served):
    """The fake Bot API server plus the test-driver API around it."""

    def __init__(
        self,
        *,
        bot_username: str = "remnastore_test_bot",
        bot_first_name: str = "RemnaStore Test Bot",
        webhook_retry_delay: float = 0.2,
        webhook_max_attempts: int = 5,
        reply_settle: float = 0.05,
        unanswered_query_grace: float = 1.0,
    ) -> None:
        super().__init__()
        self.hub = UpdateHub(retry_delay=webhook_retry_delay, max_attempts=webhook_max_attempts)
        self.hub.reply_executor = self._execute_webhook_reply
        self.state = TelegramState(bot_username=bot_username, bot_first_name=bot_first_name, hub=self.hub)
        self.reply_settle = reply_settle
        self.unanswered_query_grace = unanswered_query_grace
        self.calls: list[ApiCall] = []
        self.internal_errors: list[str] = []
        self.inflight: dict[int, int] = {}
        self._methods = {
            name.lower(): (name, handler)
            for name, handler in {**BOT_METHODS, **MESSAGE_METHODS, **PAYMENT_METHODS}.items()
        }
        self._users: dict[int, FakeUser] = {}
        self._webhook_token: str | None = None
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        #: tokens revoked in @BotFather (or never issued): Telegram answers 401 Unauthorized to each call
        self.revoked_tokens: set[str] = set()

    # -- lifecycle -----------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0, handler_cancellation=True)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        self._runner = runner
        self._url = f"http://{bound_host}:{bound_port}"

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the Telegram emulator is not started")
        return self._url

    async def stop(self) -> None:
        await self.hub.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._url = None

    # -- HTTP ----------------------------------------------------------------------------------
    async def _handle_api(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if not _TOKEN.fullmatch(token) or token in self.revoked_tokens:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        try:
            raw, files = await read_request(request)
        except ApiError as exc:
            return web.json_response(exc.payload(), status=exc.error_code)
        status, body = await self.execute(
            token, request.match_info["method"], raw, files, content_type=request.content_type
        )
        return web.json_response(body, status=status)

    async def _handle_file(self, request: web.Request) -> web.Response:
        stored = self.state.file_by_path(request.match_info["path"])
        if stored is None or stored.data is None or not _TOKEN.fullmatch(request.match_info["token"]):
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")

    async def _execute_webhook_reply(
        self, method: str, raw: dict[str, Any], files: dict[str, UploadedFile]
    ) -> None:
        token = self._webhook_token or f"{self.state.bot_id or 1}:webhook"
        await self.execute(token, method, raw, files, via_webhook_reply=True)

    # -- method execution ----------------------------------------------------------------------
    async def execute(
        self,
        token: str,
        method: str,
        raw: dict[str, Any],
        files: dict[str, UploadedFile] | None = None,
        *,
        via_webhook_reply: bool = False,
        content_type: str | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Run one Bot API method; return the HTTP status and the JSON body Telegram would send."""
        files = files or {}
        started = time.monotonic()
        entry = self._methods.get(method.lower())
        name = entry[0] if entry else method
        params: dict[str, Any] = dict(raw)
        call = ApiCall(method=name, params=params, at=started, ok=False, via_webhook_reply=via_webhook_reply)
        call.content_type = content_type
        chat_key: int | None = None
        try:
            if entry is None:
                raise ApiError(404, "Not Found")
            self.state.bot_id = int(token.split(":", 1)[0])
            if name == "setWebhook":
                self._webhook_token = token
            params = call.params = normalize_params(raw, files)
            call.chat_id = chat_key = self._call_chat(params)
            if chat_key is not None:
                self.inflight[chat_key] = self.inflight.get(chat_key, 0) + 1
            if self._latency:
                await asyncio.sleep(self._latency)
            self._check_faults(name, chat_key)
            result = entry[1](self.state, Params(params, files))
            if inspect.isawaitable(result):
                result = await result
        except ApiError as exc:
            call.error, call.error_code = exc.description, exc.error_code
            return exc.error_code, exc.payload()
        except Exception as exc:
            logger.exception("Telegram emulator failed on %s", name)
            self.internal_errors.append(f"{name}: {exc!r}")
            call.error, call.error_code = f"Internal Server Error: {exc!r}", 500
            return 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
        finally:
            if chat_key is not None:
                self.inflight[chat_key] -= 1
            self._record(call)
        call.ok, call.result = True, copy.deepcopy(result)
        return 200, {"ok": True, "result": result}

    def _record(self, call: ApiCall) -> None:
        call.finished = time.monotonic()
        call.index = len(self.calls)
        self.calls.append(call)
        self.hub.notify()

    def _call_chat(self, params: dict[str, Any]) -> int | None:
        chat_id = params.get("chat_id")
        if isinstance(chat_id, int) and not isinstance(chat_id, bool):
            return chat_id
        for name in _QUERY_FIELDS:
            query = self.state.queries.get(str(params.get(name)))
            if query is not None:
                return query.user_id
        return None

    def delivered_per_chat(self, method: str) -> dict[int, int]:
        """How many successful calls of `method` each chat got (e.g. copies of a broadcast)."""
        counts: dict[int, int] = {}
        key = method.lower()
        for call in self.calls:
            if call.ok and call.method.lower() == key and call.chat_id is not None:
                counts[call.chat_id] = counts.get(call.chat_id, 0) + 1
        return counts

    def block(self, user_id: int, *, notify: bool = True) -> None:
        """The user blocks the bot: sends fail with 403 and the bot gets a my_chat_member update."""
        if user_id in self.state.blocked:
            return
        self.state.blocked.add(user_id)
        if notify:
            self._member_update(user_id, "member", "kicked")

    def unblock(self, user_id: int, *, notify: bool = True) -> None:
        if user_id not in self.state.blocked:
            return
        self.state.blocked.discard(user_id)
        if notify:
            self._member_update(user_id, "kicked", "member")

    def _member_update(self, user_id: int, old: str, new: str) -> None:
        chat = self.state.chats.get(user_id)
        if chat is None:
            return
        bot = self.state.bot_user
        body = {
            "chat": dict(chat.info),
            "from": self.state.user_json(user_id),
            "date": int(time.time()),
            "old_chat_member": member_json(old, bot),
            "new_chat_member": member_json(new, bot),
        }
        self.hub.enqueue({"my_chat_member": body})

    def set_chat_member(self, chat_id: int, user_id: int, status: str) -> None:
        """What getChatMember answers for this user in this chat."""
        if status not in MEMBER_STATUSES:
            raise ValueError(f"unknown chat member status {status!r}")
        self.state.members[(chat_id, user_id)] = status

    # -- the world -----------------------------------------------------------------------------
    def user(
        self,
        user_id: int,
        *,
        first_name: str = "Test",
        username: str | None = None,
        language_code: str | None = "en",
        is_premium: bool = False,
    ) -> FakeUser:
        """The user with this id (created on first use, the same object afterwards)."""
        existing = self._users.get(user_id)
        if existing is not None:
            return existing
        info: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        chat_info: dict[str, Any] = {"id": user_id, "type": "private", "first_name": first_name}
        if username:
            info["username"] = chat_info["username"] = username
        if language_code:
            info["language_code"] = language_code
        if is_premium:
            info["is_premium"] = True
        self.state.users[user_id] = info
        fake = FakeUser(self, info, self.state.add_chat(chat_info))
        self._users[user_id] = fake
        return fake

    def add_chat(
        self,
        chat_id: int,
        *,
        chat_type: str = "supergroup",
        title: str = "Test chat",
        username: str | None = None,
    ) -> None:
        """A group or channel the bot can post to (e.g. a log channel)."""
        info: dict[str, Any] = {"id": chat_id, "type": chat_type, "title": title}
        if username:
            info["username"] = username
        self.state.add_chat(info)

    def chat_messages(self, chat_id: int) -> list[BotMessage]:
        """What the bot currently shows in any chat."""
        chat = self.state.chats.get(chat_id)
        return chat.bot_messages() if chat else []

    def enqueue(self, update: dict[str, Any]) -> int:
        """Queue a raw update (update_id is assigned); return its update_id."""
        return self.hub.enqueue(update)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return list(self.hub.pending)

    # -- recorded calls ------------------------------------------------------------------------
    def calls_for(self, method: str) -> list[ApiCall]:
        key = method.lower()
        return [call for call in self.calls if call.method.lower() == key]

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - the test-driver API names it so
        *,
        start: int = 0,
    ) -> ApiCall:
        """The first recorded call of `method` (from index `start`) matching `predicate`, waiting for it."""
        key = method.lower()
        deadline = time.monotonic() + timeout
        while True:
            for call in self.calls[start:]:
                if call.method.lower() == key and (predicate is None or predicate(call)):
                    return call
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = [f"{call.method}({'ok' if call.ok else call.error})" for call in self.calls[start:]][
                    -20:
                ]
                raise AssertionError(f"no matching {method} call within {timeout}s; recent calls: {seen}")
            await self.hub.wait_changed(remaining)

    async def wait_until(
        self,
        condition: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - the test-driver API names it so
    ) -> None:
        """Wait until `condition()` holds; it is re-checked whenever the emulator's state changes."""
        deadline = time.monotonic() + timeout
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"condition not met within {timeout}s")
            await self.hub.wait_changed(min(remaining, 0.05))
