"""The update queue of the Telegram Bot API emulator: long polling and webhook delivery.

Updates wait in `pending` until the bot confirms them: with a later `offset` of getUpdates, or by
answering a webhook POST with a 2xx status. While a webhook is set, every pending update is POSTed
to it, one at a time per chat so that a chat's updates keep their order, and retried after a short
delay when the bot's server fails. A webhook reply (a method call in the response body) is executed
as if the bot had called it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from remnastore.emulators.telegram_params import ApiError, UploadedFile

logger = logging.getLogger(__name__)

Update = dict[str, Any]
ReplyExecutor = Callable[[str, dict[str, Any], dict[str, UploadedFile]], Awaitable[None]]

UPDATE_TYPES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)
_OPT_IN_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
CONFLICT_POLLING = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)


def update_type(update: Update) -> str:
    return next((key for key in update if key != "update_id"), "")


def update_chat_id(update: Update) -> int | None:
    """The chat an update belongs to (the sender's private chat for queries)."""
    body = update.get(update_type(update))
    if not isinstance(body, dict):
        return None
    for holder in (body, body.get("message")):
        if isinstance(holder, dict) and isinstance(holder.get("chat"), dict):
            chat_id = holder["chat"].get("id")
            if isinstance(chat_id, int):
                return chat_id
    sender = body.get("from") or body.get("user")
    if isinstance(sender, dict) and isinstance(sender.get("id"), int):
        return int(sender["id"])
    return None


def _allowed(update: Update, allowed: list[str] | None) -> bool:
    kind = update_type(update)
    if allowed:
        return kind in allowed
    return kind not in _OPT_IN_TYPES


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class DeliveryFailure:
    update_id: int
    attempts: int
    error: str
    at: float = field(default_factory=time.monotonic)


class UpdateHub:
    """Pending updates, long polling and webhook delivery."""

    def __init__(
        self, *, retry_delay: float = 0.2, max_attempts: int = 5, delivery_timeout: float = 10.0
    ) -> None:
        self.retry_delay = retry_delay
        self.max_attempts = max_attempts
        self.delivery_timeout = delivery_timeout
        #: the pending updates by id, in the order they came (``pending`` lists them)
        self._pending: dict[int, Update] = {}
        #: ids of updates the webhook's dispatcher has not looked at yet
        self._undispatched: collections.deque[int] = collections.deque()
        self.history: dict[int, Update] = {}
        self.delivered_at: dict[int, float] = {}
        self.completed_at: dict[int, float] = {}
        self.failures: list[DeliveryFailure] = []
        self.allowed_updates: list[str] | None = None
        self.webhook: WebhookConfig | None = None
        self.reply_executor: ReplyExecutor | None = None
        self._next_update_id = 1
        self._poll_generation = 0
        self._event = asyncio.Event()
        self._closing = False
        self._session: aiohttp.ClientSession | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        self._workers: dict[int, tuple[asyncio.Queue[Update], asyncio.Task[None]]] = {}
        self._scheduled: set[int] = set()
        self._semaphore = asyncio.Semaphore(40)
        #: called with the updates the bot has just acknowledged (a later getUpdates offset, or a 2xx
        #: webhook answer), before anything else happens: tests use it to kill the bot at that moment
        self.on_acknowledged: Callable[[list[Update]], None] | None = None

    @property
    def pending(self) -> list[Update]:
        """The updates the bot has not confirmed yet, oldest first."""
        return list(self._pending.values())

    # -- notifications -------------------------------------------------------------------------
    def notify(self) -> None:
        """Wake everybody waiting for a change (new update, new call, confirmed update)."""
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait_changed(self, seconds: float) -> None:
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)

    # -- queue ---------------------------------------------------------------------------------
    def enqueue(self, update: Update) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        update = {"update_id": update_id, **{k: v for k, v in update.items() if k != "update_id"}}
        self._pending[update_id] = update
        self._undispatched.append(update_id)
        self.history[update_id] = update
        self.notify()
        return update_id

    def _confirm(self, offset: int | None) -> None:
        if offset is None:
            return
        before = self.pending
        kept = before[offset:] if offset < 0 else [item for item in before if item["update_id"] >= offset]
        if len(kept) == len(before):
            return
        self._pending = {item["update_id"]: item for item in kept}
        if self.on_acknowledged is not None:
            ids = {id(item) for item in kept}
            self.on_acknowledged([item for item in before if id(item) not in ids])

    def _select(self, limit: int) -> list[Update]:
        kept = [item for item in self._pending.values() if _allowed(item, self.allowed_updates)]
        if len(kept) != len(self._pending):
            self._pending = {item["update_id"]: item for item in kept}
        return kept[:limit]

    async def get_updates(
        self, *, offset: int | None, limit: int, poll_seconds: float, allowed_updates: list[str] | None
    ) -> list[Update]:
        if self.webhook is not None:
            raise ApiError(409, CONFLICT_WEBHOOK)
        self._confirm(offset)
        if allowed_updates is not None:
            self.allowed_updates = [str(kind) for kind in allowed_updates] or None
        self._poll_generation += 1
        generation = self._poll_generation
        self.notify()  # an older long poll ends with a conflict
        deadline = time.monotonic() + min(max(poll_seconds, 0.0), 50.0)
        while True:
            batch = self._select(max(1, min(limit, 100)))
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self._closing:
                break
            await self.wait_changed(remaining)
            if generation != self._poll_generation:
                raise ApiError(409, CONFLICT_POLLING)
            if self.webhook is not None:
                raise ApiError(409, CONFLICT_WEBHOOK)
        now = time.monotonic()
        for item in batch:
            self.delivered_at.setdefault(item["update_id"], now)
        return batch

    # -- webhook -------------------------------------------------------------------------------
    def set_webhook(self, config: WebhookConfig, *, drop_pending_updates: bool) -> None:
        self._stop_delivery()
        if drop_pending_updates:
            self._pending.clear()
        self._undispatched = collections.deque(self._pending)  # the new dispatcher looks at them all
        self.webhook = config
        self._semaphore = asyncio.Semaphore(max(1, config.max_connections))
        self._dispatcher = asyncio.create_task(self._dispatch_loop())
        self.notify()

    def delete_webhook(self, *, drop_pending_updates: bool) -> None:
        self._stop_delivery()
        self.webhook = None
        if drop_pending_updates:
            self._pending.clear()
        self.notify()

    def _stop_delivery(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            self._dispatcher = None
        for _, task in self._workers.values():
            task.cancel()
        self._workers.clear()
        self._scheduled.clear()

    async def _dispatch_loop(self) -> None:
        while True:
            event = self._event
            config = self.webhook
            if config is None:
                return
            while self._undispatched:
                update_id = self._undispatched.popleft()
                update = self._pending.get(update_id)
                if update is None or update_id in self._scheduled:
                    continue
                if not _allowed(update, config.allowed_updates):
                    del self._pending[update_id]
                    continue
                self._scheduled.add(update_id)
                self._queue_for(update_chat_id(update) or 0).put_nowait(update)
            await event.wait()

    def _queue_for(self, chat_key: int) -> asyncio.Queue[Update]:
        if chat_key not in self._workers:
            queue: asyncio.Queue[Update] = asyncio.Queue()
            self._workers[chat_key] = (queue, asyncio.create_task(self._deliver_loop(queue)))
        return self._workers[chat_key][0]

    async def _deliver_loop(self, queue: asyncio.Queue[Update]) -> None:
        while True:
            update = await queue.get()
            async with self._semaphore:
                await self._deliver(update)

    async def _deliver(self, update: Update) -> None:
        update_id = update["update_id"]
        error = ""
        for _attempt in range(self.max_attempts):
            config = self.webhook
            if config is None:
                return
            self.delivered_at.setdefault(update_id, time.monotonic())
            try:
                reply = await self._post(config, update)
            except _DeliveryError as exc:
                error = str(exc)
                config.last_error_date = int(time.time())
                config.last_error_message = error
                await asyncio.sleep(self.retry_delay)
                continue
            if self.on_acknowledged is not None:
                self.on_acknowledged([update])
            self._forget(update)
            if reply is not None and self.reply_executor is not None:
                try:
                    await self.reply_executor(*reply)
                except Exception:  # a broken webhook reply must not stop the delivery
                    logger.exception("webhook reply of update %s failed", update_id)
            self.completed_at[update_id] = time.monotonic()
            self.notify()
            return
        self.failures.append(DeliveryFailure(update_id, self.max_attempts, error))
        self._forget(update)
        self.notify()

    def _forget(self, update: Update) -> None:
        self._pending.pop(update["update_id"], None)

    async def _post(
        self, config: WebhookConfig, update: Update
    ) -> tuple[str, dict[str, Any], dict[str, UploadedFile]] | None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        headers = {"X-Telegram-Bot-Api-Secret-Token": config.secret_token} if config.secret_token else {}
        try:
            async with self._session.post(
                config.url,
                json=update,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.delivery_timeout),
            ) as response:
                if not 200 <= response.status < 300:
                    raise _DeliveryError(
                        f"Wrong response from the webhook: {response.status} {response.reason}"
                    )
                return await _read_webhook_reply(response)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _DeliveryError(f"Connection error: {type(exc).__name__}") from exc

    async def close(self) -> None:
        self._closing = True
        self._stop_delivery()
        self.notify()
        if self._session is not None:
            await self._session.close()
            self._session = None


class _DeliveryError(Exception):
    pass


async def _read_webhook_reply(
    response: aiohttp.ClientResponse,
) -> tuple[str, dict[str, Any], dict[str, UploadedFile]] | None:
    if response.content_type == "multipart/form-data":
        params: dict[str, Any] = {}
        files: dict[str, UploadedFile] = {}
        reader = aiohttp.MultipartReader(response.headers, response.content)
        async for part in reader:
            if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                continue
            if part.filename is not None:
                data = bytes(await part.read())
                content_type = part.headers.get("Content-Type", "application/octet-stream")
                files[part.name] = UploadedFile(part.name, part.filename, content_type, data)
            else:
                params[part.name] = await part.text()
    else:
        body = await response.read()
        if not body.strip():
            return None
        try:
            decoded = await response.json(content_type=None)
        except ValueError:
            return None
        if not isinstance(decoded, dict):
            return None
        params, files = dict(decoded), {}
    method = params.pop("method", None)
    if not isinstance(method, str) or not method:
        return None
    return method, params, files
