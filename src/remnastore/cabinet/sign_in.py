"""Signing in and out: the personal link's page, the Mini App's launch, sign out (here, everywhere)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web

from remnastore.cabinet.auth import SignInRefused
from remnastore.cabinet.links import PREFIX
from remnastore.cabinet.pages import (
    COOKIE,
    MINI_APP_COOKIE,
    SESSION_KEY,
    TELEGRAM_SCRIPT,
    Pages,
    notice_of,
    redirect,
)
from remnastore.cabinet.sessions import CabinetSession

log = logging.getLogger(__name__)


class SignInScreens:
    def __init__(self, pages: Pages, client_address: Callable[[web.Request], str]) -> None:
        self._pages = pages
        self._client_address = client_address

    def register(self, router: web.UrlDispatcher) -> None:
        router.add_get("/login", self.login_page)
        router.add_post("/login", self.login)
        router.add_post("/code", self.code)
        router.add_get("/app", self.mini_app)
        router.add_post("/auth/telegram", self.telegram_sign_in)
        router.add_post("/logout", self.logout)
        router.add_post("/logout-everywhere", self.logout_everywhere)

    async def login_page(self, request: web.Request) -> web.Response:
        return self._pages.page(
            request,
            request.get(SESSION_KEY),
            "login.html",
            notice=notice_of(request),
            codes=self._pages.s.codes is not None,
        )

    async def login(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        token = form.get("token")
        try:
            if not isinstance(token, str):
                raise SignInRefused("no sign-in token")
            opened = await self._pages.s.access.sign_in_with_link(token.strip())
        except SignInRefused as exc:
            log.info("cabinet sign-in by link refused: %s", exc.reason)
            return self._pages.page(
                request, None, "notice.html", status=403, message_key="cabinet-link-refused"
            )
        return self._pages.with_cookie(redirect(f"{PREFIX}/"), opened.token)

    async def code(self, request: web.Request) -> web.StreamResponse:
        """A one-time code from the bot; wrong, expired, used and blocked codes are refused alike."""
        codes = self._pages.s.codes
        if codes is None:
            raise web.HTTPNotFound()
        form = await request.post()
        typed = form.get("code")
        try:
            if not isinstance(typed, str):
                raise SignInRefused("no sign-in code")
            opened = await codes.sign_in(typed, self._client_address(request))
        except SignInRefused as exc:
            log.info("cabinet sign-in by code refused: %s", exc.reason)
            return self._pages.page(
                request, None, "notice.html", status=403, message_key="cabinet-code-refused"
            )
        return self._pages.with_cookie(redirect(f"{PREFIX}/"), opened.token)

    async def mini_app(self, request: web.Request) -> web.Response:
        return self._pages.page(request, None, "app.html", telegram_script=TELEGRAM_SCRIPT)

    async def telegram_sign_in(self, request: web.Request) -> web.StreamResponse:
        pages = self._pages
        form = await request.post()
        init_data = form.get("init_data")
        current = request.get(SESSION_KEY)
        try:
            if not isinstance(init_data, str):
                raise SignInRefused("no init data")
            if isinstance(current, CabinetSession):
                # the Mini App reloaded with its launch data: its own customer's session goes on
                signed = pages.s.access.verify_launch(init_data)
                if signed.telegram_id == current.customer.telegram_id:
                    return web.json_response({"ok": True, "next": f"{PREFIX}/"})
            opened = await pages.s.access.sign_in_with_telegram(init_data)
        except SignInRefused as exc:
            log.info("cabinet Mini App sign-in refused: %s", exc.reason)
            return web.json_response({"ok": False}, status=403)
        response = pages.with_cookie(web.json_response({"ok": True, "next": f"{PREFIX}/"}), opened.token)
        response.set_cookie(
            MINI_APP_COOKIE,
            "1",
            max_age=int(pages.s.access.session_ttl.total_seconds()),
            path=PREFIX,
            secure=pages.secure,
            samesite="Lax",
        )
        return response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        session, _ = await self._pages.form(request)
        await self._pages.s.access.sign_out(session)
        response = redirect(f"{PREFIX}/login")
        response.del_cookie(COOKIE, path=PREFIX)
        return response

    async def logout_everywhere(self, request: web.Request) -> web.StreamResponse:
        session, _ = await self._pages.form(request)
        await self._pages.s.access.sign_out_everywhere(session.customer.id)
        response = redirect(f"{PREFIX}/login?notice=signed-out-everywhere")
        response.del_cookie(COOKIE, path=PREFIX)
        return response
