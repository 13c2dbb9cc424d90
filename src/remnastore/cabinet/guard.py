"""What stands before every cabinet request: the same-site check of POSTs, the rate limits per address
and per session, the session lookup, refusals rendered as pages, and the security headers."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urlsplit

from aiohttp import web

from remnastore.cabinet.links import PREFIX
from remnastore.cabinet.pages import COOKIE, MINI_APP_COOKIE, SESSION_KEY, Pages
from remnastore.cabinet.sessions import CabinetSession
from remnastore.domain.errors import DomainError, ServiceUnavailable
from remnastore.infra.ratelimit import RateLimiter
from remnastore.web.payments import client_ip

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'{scripts};"
    " connect-src 'self'; base-uri 'none'; object-src 'none';"
    " frame-ancestors 'self' https://web.telegram.org https://*.telegram.org"
)


def _same_origin(request: web.Request, public_host: str) -> bool:
    """A POST from our own pages: a browser's Origin header, when it sends one, names the shop's public
    address (or the host asked for), so a form on another site can neither sign a visitor in to somebody
    else's cabinet nor act in theirs."""
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return True
    return urlsplit(origin).netloc.lower() in {public_host, request.host.lower()}


def limiter_key(kind: str, value: str) -> int:
    """An integer key for the rate limiter (which counts integers) from an address or a session."""
    return int.from_bytes(hashlib.sha256(f"{kind}:{value}".encode()).digest()[:7], "big")


class Guard:
    def __init__(
        self,
        pages: Pages,
        *,
        trusted_proxies: Sequence[str] = (),
        per_address: RateLimiter | None = None,
        per_session: RateLimiter | None = None,
    ) -> None:
        self._pages = pages
        self._trusted = list(trusted_proxies)
        self._per_address = per_address
        self._per_session = per_session
        self._public_host = urlsplit(pages.s.links.base).netloc.lower()

    def client_address(self, request: web.Request) -> str:
        """The TCP peer, or behind a trusted proxy the last untrusted hop of X-Forwarded-For."""
        return client_ip(request, self._trusted)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Rate limits, the session, refusals as pages, and the security headers of every answer."""
        pages = self._pages
        token = request.cookies.get(COOKIE, "")
        static = request.path.startswith(f"{PREFIX}/static/") or request.path == f"{PREFIX}/theme.css"
        if request.method == "POST" and not _same_origin(request, self._public_host):
            log.info("cabinet: a form posted from another site was refused")
            response: web.StreamResponse = pages.page(
                request, None, "notice.html", status=403, message_key="cabinet-forbidden"
            )
        elif await self._limited(request, "" if static else token):
            response = pages.page(
                request, None, "notice.html", status=429, message_key="cabinet-too-many-requests"
            )
        else:
            request[SESSION_KEY] = await pages.s.access.session(token) if token else None
            response = await self._answer(request, handler)
        in_telegram = request.cookies.get(MINI_APP_COOKIE) == "1" or request.path == f"{PREFIX}/app"
        response.headers["Content-Security-Policy"] = _CSP.format(
            scripts=" https://telegram.org" if in_telegram else ""
        )
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "public, max-age=3600" if static else "no-store"
        return response

    async def _answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        pages = self._pages
        try:
            return await handler(request)
        except DomainError as exc:  # e.g. the panel is down: said in the customer's words
            session = request.get(SESSION_KEY)
            language = session.customer.language if isinstance(session, CabinetSession) else None
            message = pages.text(language).error(exc)
            status = 503 if isinstance(exc, ServiceUnavailable) else 400
            log.info("cabinet: %s refused: %s", request.path, exc.text_key)
            return pages.page(request, session, "notice.html", status=status, message=message)
        except web.HTTPException as exc:
            if exc.status < 400 or exc.status == 405:
                raise
            key = {403: "cabinet-forbidden", 404: "cabinet-not-found"}.get(exc.status, "cabinet-bad-request")
            return pages.page(
                request, request.get(SESSION_KEY), "notice.html", status=exc.status, message_key=key
            )

    async def _limited(self, request: web.Request, token: str) -> bool:
        address = self.client_address(request)
        if self._per_address is not None:
            verdict = await self._per_address.hit(limiter_key("ip", address))
            if not verdict.allowed:
                log.info("cabinet: too many requests from one address")
                return True
        if token and self._per_session is not None:
            verdict = await self._per_session.hit(limiter_key("session", token))
            if not verdict.allowed:
                log.info("cabinet: too many requests in one session")
                return True
        return False
