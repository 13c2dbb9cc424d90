"""What every cabinet screen shares: the services it calls, the page renderer, the session and the
CSRF-checked form of a request, the session cookie and the fixed notices a redirect may ask for."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from remnastore.cabinet.codes import SignInCodes
from remnastore.cabinet.links import PREFIX, CabinetLinks
from remnastore.cabinet.render import PageText
from remnastore.cabinet.sessions import CabinetAccess, CabinetSession
from remnastore.cabinet.settings import CabinetSettings
from remnastore.locales import SUPPORTED_LANGUAGES, Locales
from remnastore.services.accounts import AccountService
from remnastore.services.balance import BalanceService
from remnastore.services.checkout import Checkout
from remnastore.services.devices import DeviceService
from remnastore.services.promos import PromoService
from remnastore.services.referrals import ReferralRewards
from remnastore.services.subscriptions import SubscriptionService

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
COOKIE = "remnastore_cabinet"
ORDER_COOKIE = "remnastore_cabinet_order"
#: set when the session was opened inside Telegram (Mini App): pages then load Telegram's Web App script
MINI_APP_COOKIE = "remnastore_cabinet_tg"
TELEGRAM_SCRIPT = "https://telegram.org/js/telegram-web-app.js"
#: notices a redirect may ask a page to show (fixed codes, never free text from the address)
NOTICES = frozenset({"device-disconnected", "language-changed", "signed-out-everywhere"})
SESSION_KEY = web.RequestKey("cabinet_session", object)


@dataclass(frozen=True)
class CabinetServices:
    """What the cabinet uses: the bot's own services (None where the shop switched a feature off)."""

    access: CabinetAccess
    links: CabinetLinks
    accounts: AccountService
    subscriptions: SubscriptionService
    devices: DeviceService | None
    checkout: Checkout
    balance: BalanceService | None
    promos: PromoService | None
    referrals: ReferralRewards | None
    bot_username: Callable[[], str | None]
    codes: SignInCodes | None = None


def redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def notice_of(request: web.Request) -> str | None:
    """The notice a redirect asked for, if it is one of the fixed ones."""
    notice = request.query.get("notice")
    return notice if notice in NOTICES else None


class Pages:
    """Renders the cabinet's pages in the visitor's language and reads what requests carry."""

    def __init__(
        self,
        services: CabinetServices,
        settings: CabinetSettings,
        locales: Locales,
        *,
        timezone: str,
        support_url: str | None,
    ) -> None:
        self.s = services
        self.settings = settings
        self._locales = locales
        self._timezone = timezone
        self._support = settings.support_url or support_url
        self.secure = services.links.base.startswith("https://")
        self._jinja = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def text(self, language: str | None) -> PageText:
        return PageText(self._locales.get(language), self._timezone)

    def page(
        self,
        request: web.Request,
        session: CabinetSession | None,
        template: str,
        *,
        status: int = 200,
        language: str | None = None,
        **context: Any,
    ) -> web.Response:
        lang = language or (session.customer.language if session else self._guess_language(request))
        text = self.text(lang)
        context.setdefault(
            "telegram_script", TELEGRAM_SCRIPT if request.cookies.get(MINI_APP_COOKIE) == "1" else None
        )
        body = self._jinja.get_template(template).render(
            t=text,
            session=session,
            csrf=session.csrf if session else "",
            shop_name=self.settings.shop_name,
            support_url=self._support,
            languages=SUPPORTED_LANGUAGES,
            base=PREFIX,
            path=request.path,
            **context,
        )
        return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")

    def _guess_language(self, request: web.Request) -> str:
        wanted = request.headers.get("Accept-Language", "")[:64].lower()
        for part in wanted.split(","):
            code = part.split(";")[0].strip()[:2]
            if code in SUPPORTED_LANGUAGES:
                return code
        return self._locales.default_language

    @staticmethod
    def session(request: web.Request) -> CabinetSession:
        """The visitor's session; a visitor without one is sent to the sign-in page."""
        session = request.get(SESSION_KEY)
        if not isinstance(session, CabinetSession):
            raise web.HTTPSeeOther(f"{PREFIX}/login")
        return session

    @staticmethod
    async def form(request: web.Request) -> tuple[CabinetSession, Mapping[str, str]]:
        """The session and the posted form, if the form carries the session's CSRF token."""
        session = request.get(SESSION_KEY)
        form = await request.post()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        sent = fields.get("csrf", "")
        if not isinstance(session, CabinetSession):
            log.info("cabinet: a form was posted without a session")
            raise web.HTTPForbidden()
        if not sent or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
            log.info(
                "cabinet: a form without the session's CSRF token", extra={"customer_id": session.customer.id}
            )
            raise web.HTTPForbidden()
        return session, fields

    def with_cookie(self, response: web.StreamResponse, token: str) -> web.StreamResponse:
        """``response`` opening the session ``token`` in the browser."""
        response.set_cookie(
            COOKIE,
            token,
            max_age=int(self.s.access.session_ttl.total_seconds()),
            path=PREFIX,
            httponly=True,
            secure=self.secure,
            samesite="Lax",
        )
        return response

    def remember_order(self, response: web.StreamResponse, kind: str, order_id: str) -> None:
        """Which order the return page follows (``kind``: "" for a subscription, "topup", "addon")."""
        response.set_cookie(
            ORDER_COOKIE,
            f"{kind}:{order_id}" if kind else order_id,
            path=PREFIX,
            httponly=True,
            secure=self.secure,
            samesite="Lax",
        )
