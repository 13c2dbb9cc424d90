"""The chat page and the small JSON API behind it.

Every action goes through the Telegram emulator's user operations (the same ones the tests use): send a
message, press a button, pay an invoice. ``GET /api/chats/{id}`` is a long poll: it answers as soon as the
chat differs from the ``version`` the page already has (edits included), or after ``wait`` seconds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import TYPE_CHECKING, Any

from aiohttp import web

from remnastore.emulators.telegram import FakeUser
from remnastore.emulators.yookassa_checkout import CHECKOUT_PATH
from remnastore.emulators.yoomoney import FORM_PATH as YOOMONEY_FORM_PATH
from remnastore.emulators.yoomoney import SUBMIT_PATH as YOOMONEY_SUBMIT_PATH
from remnastore.sandbox.chat_view import chat_json, invoice_json, panel_json
from remnastore.services.accounts import TelegramProfile

if TYPE_CHECKING:
    from remnastore.sandbox.world import Sandbox

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

MAX_TEXT = 4096
MAX_WAIT = 25.0
POLL_STEP = 0.25
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
STATIC_FILES = {
    "index.html": "text/html",
    "sandbox.css": "text/css",
    "sandbox.js": "text/javascript",
    "render.js": "text/javascript",
}
_IMAGES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF8", "image/gif"))
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class BadRequest(web.HTTPBadRequest):
    def __init__(self, reason: str) -> None:
        super().__init__(text=json.dumps({"error": reason}), content_type="application/json")


def _version(snapshot: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(snapshot, sort_keys=True).encode()).hexdigest()[:16]


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body must be JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _integer(body: dict[str, Any], name: str, *, required: bool = True) -> int | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadRequest(f"{name} must be an integer")
    return value


#: the payment pages served next to the chat page, whose forms post as the real providers' pages do
FORM_PAGES = frozenset({CHECKOUT_PATH, YOOMONEY_FORM_PATH, YOOMONEY_SUBMIT_PATH})


class SandboxApi:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def register(self, app: web.Application) -> None:
        app.middlewares.append(self._guard)
        app.router.add_get("/", self.index)
        app.router.add_get("/static/{name}", self.static)
        app.router.add_get("/api/identities", self.identities)
        app.router.add_post("/api/identities", self.new_customer)
        app.router.add_post("/api/identities/{user_id}/cabinet", self.cabinet_link)
        app.router.add_get("/api/chats/{user_id}", self.chat)
        app.router.add_post("/api/chats/{user_id}/messages", self.send)
        app.router.add_post("/api/chats/{user_id}/callbacks", self.press)
        app.router.add_post("/api/chats/{user_id}/payments", self.pay)
        app.router.add_get("/api/invoices", self.invoice)
        app.router.add_get("/api/files/{file_id}", self.file)
        app.router.add_get("/api/panel/users", self.panel_users)

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Refuse what no page of this sandbox sends; until the shop runs, every request is told to wait.

        Only this machine's names (and the ``--host`` address) are accepted as Host (another site's
        address resolving to 127.0.0.1 is refused), and POSTs must be JSON, which a browser sends
        cross-origin only after a CORS preflight this server never allows; the exceptions are the
        emulated YooKassa checkout page and YooMoney form, which post forms as the real pages do.
        """
        host = request.host.rsplit(":", 1)[0].strip("[]")
        if host not in LOCAL_HOSTS and host != self.sandbox.host:
            return web.json_response({"error": "unknown host"}, status=421)
        form_allowed = request.path in FORM_PAGES
        if request.method == "POST" and request.content_type != "application/json" and not form_allowed:
            return web.json_response({"error": "send JSON"}, status=415)
        if not self.sandbox.ready:
            return web.json_response({"error": "the sandbox is starting"}, status=503)
        return await handler(request)

    # -- page ----------------------------------------------------------------------------------------
    async def index(self, request: web.Request) -> web.Response:
        return self._static_file("index.html")

    async def static(self, request: web.Request) -> web.Response:
        return self._static_file(request.match_info["name"])

    def _static_file(self, name: str) -> web.Response:
        content_type = STATIC_FILES.get(name)
        if content_type is None:
            raise web.HTTPNotFound()
        data = resources.files("remnastore.sandbox").joinpath("static", name).read_bytes()
        return web.Response(body=data, content_type=content_type, charset="utf-8", headers=_SECURITY_HEADERS)

    # -- identities ----------------------------------------------------------------------------------
    async def identities(self, request: web.Request) -> web.Response:
        sandbox = self.sandbox
        state = sandbox.telegram.state
        return web.json_response(
            {
                "bot": {"name": state.bot_first_name, "username": state.bot_username},
                "identities": [vars(identity) for identity in sandbox.identities.values()],
                "urls": {
                    "telegram": sandbox.telegram.url,
                    "panel": sandbox.panel.url,
                    "yookassa": sandbox.yookassa.url,
                    "yoomoney": sandbox.yoomoney.url,
                    "nalogo": sandbox.nalogo.url,
                },
            }
        )

    async def new_customer(self, request: web.Request) -> web.Response:
        body = await _body(request)
        try:
            identity = self.sandbox.new_customer(str(body.get("language", "en")))
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
        return web.json_response(vars(identity))

    async def cabinet_link(self, request: web.Request) -> web.Response:
        """A personal sign-in link to the customer cabinet, as the bot's Cabinet button hands out."""
        user = self._user(request)
        identity = self.sandbox.identities[user.id]
        app = self.sandbox.app
        if identity.admin or app is None or app.cabinet is None:
            raise web.HTTPNotFound()
        arrival = await app.accounts.arrive(
            TelegramProfile(telegram_id=user.id, first_name=identity.name, language_code=identity.language)
        )
        return web.json_response({"url": await app.cabinet.links.sign_in_link(arrival.customer.id)})

    def _user(self, request: web.Request) -> FakeUser:
        try:
            user_id = int(request.match_info["user_id"])
        except ValueError:
            raise web.HTTPNotFound() from None
        user = self.sandbox.user(user_id)
        if user is None:
            raise web.HTTPNotFound()
        return user

    # -- chat ----------------------------------------------------------------------------------------
    def _snapshot(self, user: FakeUser) -> dict[str, Any]:
        language = self.sandbox.identities[user.id].language
        return chat_json(self.sandbox.telegram, user.chat, language)

    async def chat(self, request: web.Request) -> web.Response:
        user = self._user(request)
        known = request.query.get("version")
        try:
            wait = min(MAX_WAIT, max(0.0, float(request.query.get("wait", "0"))))
        except ValueError:
            raise BadRequest("wait must be a number of seconds") from None
        deadline = time.monotonic() + wait
        hub = self.sandbox.telegram.hub
        while True:
            snapshot = self._snapshot(user)
            version = _version(snapshot)
            remaining = deadline - time.monotonic()
            # a page that went away, or the sandbox stopping, ends the wait too
            gone = request.transport is None or request.transport.is_closing() or not self.sandbox.ready
            if version != known or remaining <= 0 or gone:
                return web.json_response({"version": version, **snapshot})
            await hub.wait_changed(min(remaining, POLL_STEP))

    async def send(self, request: web.Request) -> web.Response:
        user = self._user(request)
        text = (await _body(request)).get("text")
        if not isinstance(text, str) or not text.strip():
            raise BadRequest("text must be a non-empty string")
        if len(text) > MAX_TEXT:
            raise BadRequest(f"text is longer than {MAX_TEXT} characters")
        update_id = await user.send(text)
        return web.json_response({"update_id": update_id})

    async def press(self, request: web.Request) -> web.Response:
        user = self._user(request)
        body = await _body(request)
        message_id = _integer(body, "message_id")
        data = body.get("data")
        if not isinstance(data, str) or not data:
            raise BadRequest("data must be a non-empty string")
        stored = user.chat.messages.get(message_id or 0)
        if stored is None or stored.deleted or not stored.from_bot:
            raise BadRequest("the bot shows no such message")
        update_id = await user.press_data(data, message_id=message_id)
        return web.json_response({"update_id": update_id})

    async def pay(self, request: web.Request) -> web.Response:
        """Pay an invoice message (``message_id``) or an invoice link (``link``)."""
        user = self._user(request)
        body = await _body(request)
        message_id = _integer(body, "message_id", required=False)
        link = body.get("link")
        invoice_links = self.sandbox.telegram.state.invoice_links
        try:
            if isinstance(link, str) and link in invoice_links:
                result = await user.pay_invoice(link=link)
            elif message_id is not None:
                stored = user.chat.messages.get(message_id)
                if stored is None or stored.invoice_details is None:
                    raise BadRequest("that message is not an invoice")
                result = await user.pay_invoice(stored.view("current"))
            else:
                raise BadRequest("name an invoice: message_id or link")
        except (AssertionError, TimeoutError) as exc:
            log.warning("payment did not go through: %s", exc)
            return web.json_response({"approved": False, "error": "the bot did not answer"}, status=504)
        return web.json_response({"approved": result.approved, "error": result.error_message})

    async def invoice(self, request: web.Request) -> web.Response:
        found = self.sandbox.telegram.state.invoice_links.get(request.query.get("link", ""))
        if found is None:
            raise web.HTTPNotFound()
        return web.json_response(invoice_json(found))

    async def file(self, request: web.Request) -> web.Response:
        stored = self.sandbox.telegram.state.files.get(request.match_info["file_id"])
        if stored is None or stored.data is None:
            raise web.HTTPNotFound()
        headers = {"X-Content-Type-Options": "nosniff"}
        mime = _image_type(stored.data)
        if mime is None:
            # anything but a plain image is downloaded, never shown in the page's origin
            mime = "application/octet-stream"
            headers["Content-Disposition"] = f'attachment; filename="{_safe_name(stored.file_name)}"'
        return web.Response(body=stored.data, content_type=mime, headers=headers)

    # -- panel ---------------------------------------------------------------------------------------
    async def panel_users(self, request: web.Request) -> web.Response:
        return web.json_response({"users": panel_json(self.sandbox.panel)})


def _image_type(data: bytes) -> str | None:
    for signature, mime in _IMAGES:
        if data.startswith(signature):
            return mime
    return None


def _safe_name(name: str | None) -> str:
    cleaned = "".join(ch for ch in (name or "file") if ch.isalnum() or ch in "._-")
    return cleaned[:100] or "file"
